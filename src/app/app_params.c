/* app_params.c — the parameter types every job shares and the table helpers (see
 * app_params.h). */
#include "chemvae/app/app_params.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/app/app_model.h"
#include "chemvae/core/parfor.h"
#include "chemvae/data/molin.h"
#include "chemvae/data/smiles_grammar.h"

CvStatus cv_param_read_long(const char *name, const char *text, long max, long *out, CvError *err) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 0)
        return cv_error_set(err, CV_ERR_INVALID, "%s expects a non-negative integer, got '%s'",
                            name, text);
    if (v > max)
        return cv_error_set(err, CV_ERR_INVALID, "%s must be at most %ld, got %ld", name, max, v);
    *out = v;
    return CV_OK;
}

CvStatus cv_param_read_double(const char *name, const char *text, double *out, CvError *err) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v))
        return cv_error_set(err, CV_ERR_INVALID, "%s expects a finite number, got '%s'", name,
                            text);
    *out = v;
    return CV_OK;
}

static CvStatus parse_switch(const char *name, const char *text, void *field, CvError *err) {
    (void)name, (void)text, (void)err;
    *(int *)field = 1;
    return CV_OK;
}
static void switch_json(CvJson *j, const void *field) {
    cv_json_bool(j, *(const int *)field);
}

static CvStatus parse_long(const char *name, const char *text, void *field, CvError *err) {
    return cv_param_read_long(name, text, LONG_MAX, field, err);
}
static void long_json(CvJson *j, const void *field) {
    cv_json_int(j, *(const long *)field);
}

static CvStatus parse_int(const char *name, const char *text, void *field, CvError *err) {
    long v;
    CvStatus st = cv_param_read_long(name, text, INT_MAX, &v, err);
    if (!st) *(int *)field = (int)v;
    return st;
}
static void int_json(CvJson *j, const void *field) {
    cv_json_int(j, *(const int *)field);
}

static CvStatus parse_size(const char *name, const char *text, void *field, CvError *err) {
    long v;
    CvStatus st = cv_param_read_long(name, text, LONG_MAX, &v, err);
    if (!st) *(size_t *)field = (size_t)v;
    return st;
}
static void size_json(CvJson *j, const void *field) {
    cv_json_int(j, (int64_t) * (const size_t *)field);
}

static CvStatus parse_u64(const char *name, const char *text, void *field, CvError *err) {
    long v;
    CvStatus st = cv_param_read_long(name, text, LONG_MAX, &v, err);
    if (!st) *(uint64_t *)field = (uint64_t)v;
    return st;
}
static void u64_json(CvJson *j, const void *field) {
    cv_json_int(j, (int64_t) * (const uint64_t *)field);
}

static CvStatus parse_double(const char *name, const char *text, void *field, CvError *err) {
    return cv_param_read_double(name, text, field, err);
}
static void double_json(CvJson *j, const void *field) {
    cv_json_double(j, *(const double *)field);
}

static CvStatus parse_float(const char *name, const char *text, void *field, CvError *err) {
    double v;
    CvStatus st = cv_param_read_double(name, text, &v, err);
    if (!st) *(float *)field = (float)v;
    return st;
}
/* The shortest decimal that reads back to the same float (0.001, not 0.0010000000474974513). */
static void float_json(CvJson *j, const void *field) {
    float v = *(const float *)field;
    char buf[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v) break;
    }
    cv_json_double(j, strtod(buf, NULL));
}

static CvStatus parse_temperature(const char *name, const char *text, void *field, CvError *err) {
    CvStatus st = cv_param_read_double(name, text, field, err);
    if (!st && *(double *)field < 0.0)
        st =
            cv_error_set(err, CV_ERR_INVALID, "%s must be >= 0 (0 = greedy), got '%s'", name, text);
    return st;
}

static CvStatus parse_string(const char *name, const char *text, void *field, CvError *err) {
    (void)name, (void)err;
    *(const char **)field = text;
    return CV_OK;
}
static void string_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const char *const *)field); /* NULL: null */
}

static CvStatus parse_constrain(const char *name, const char *text, void *field, CvError *err) {
    if (cv_smiles_constrain_parse(text, field) == 0) return CV_OK;
    return cv_error_set(err, CV_ERR_INVALID, "%s: unknown mode '%s' (none, syntax, valence)", name,
                        text);
}
static void constrain_json(CvJson *j, const void *field) {
    cv_json_string(j, cv_smiles_constrain_name(*(const int *)field));
}

static CvStatus parse_rescue(const char *name, const char *text, void *field, CvError *err) {
    long k;
    CvStatus st = cv_param_read_long(name, text, LONG_MAX, &k, err);
    if (!st && (k < 1 || k > CV_MAX_RESCUE))
        st = cv_error_set(err, CV_ERR_INVALID, "%s must be in 1..%d, got %ld", name, CV_MAX_RESCUE,
                          k);
    if (!st) *(int *)field = (int)k;
    return st;
}

static CvStatus parse_delimiter(const char *name, const char *text, void *field, CvError *err) {
    char *d = field;
    if (!strcmp(text, "tab") || !strcmp(text, "\\t") || !strcmp(text, "\t")) *d = '\t';
    else if (strlen(text) == 1 && text[0] != '"' && text[0] != '\n' && text[0] != '\r')
        *d = text[0];
    else
        return cv_error_set(err, CV_ERR_INVALID, "%s expects one character or 'tab', got '%s'",
                            name, text);
    return CV_OK;
}
static void delimiter_json(CvJson *j, const void *field) {
    char d[2] = {*(const char *)field, '\0'};
    cv_json_string(j, d[0] ? d : NULL);
}

static CvStatus parse_input_format(const char *name, const char *text, void *field, CvError *err) {
    if (!cv_molin_format_parse(text, field)) return CV_OK;
    return cv_error_set(err, CV_ERR_INVALID, "%s: unknown format '%s' (auto, csv, smi, sdf)", name,
                        text);
}
static void input_format_json(CvJson *j, const void *field) {
    cv_json_string(j, cv_molin_format_name(*(const MolinFormat *)field));
}

const CvParamType CV_PARAM_SWITCH = {0, NULL, parse_switch, switch_json};
const CvParamType CV_PARAM_LONG = {1, "N", parse_long, long_json};
const CvParamType CV_PARAM_INT = {1, "N", parse_int, int_json};
const CvParamType CV_PARAM_SIZE = {1, "N", parse_size, size_json};
const CvParamType CV_PARAM_U64 = {1, "N", parse_u64, u64_json};
const CvParamType CV_PARAM_DOUBLE = {1, "X", parse_double, double_json};
const CvParamType CV_PARAM_FLOAT = {1, "X", parse_float, float_json};
const CvParamType CV_PARAM_TEMPERATURE = {1, "X", parse_temperature, double_json};
const CvParamType CV_PARAM_STRING = {1, "S", parse_string, string_json};
const CvParamType CV_PARAM_CONSTRAIN = {1, "MODE", parse_constrain, constrain_json};
const CvParamType CV_PARAM_RESCUE = {1, "K", parse_rescue, int_json};
const CvParamType CV_PARAM_DELIMITER = {1, "C", parse_delimiter, delimiter_json};

/* threads: workers, 0 (every CPU) .. CV_PARFOR_MAX_WORKERS */
static CvStatus parse_threads(const char *name, const char *text, void *field, CvError *err) {
    long v;
    CvStatus st = cv_param_read_long(name, text, LONG_MAX, &v, err);
    if (!st && v > CV_PARFOR_MAX_WORKERS)
        st = cv_error_set(err, CV_ERR_INVALID, "%s must be 0..%d (0: every CPU), got %ld", name,
                          CV_PARFOR_MAX_WORKERS, v);
    if (!st) *(int *)field = (int)v;
    return st;
}
static void threads_json(CvJson *j, const void *field) {
    cv_json_int(j, *(const int *)field);
}
const CvParamType CV_PARAM_THREADS = {1, "N", parse_threads, threads_json};
const CvParamType CV_PARAM_INPUT_FORMAT = {1, "FORMAT", parse_input_format, input_format_json};

static CvStatus parse_renamed(const char *name, const char *text, void *field, CvError *err) {
    (void)text, (void)field;
    return cv_error_set(err, CV_ERR_INVALID, "%s has been renamed", name);
}
static void renamed_json(CvJson *j, const void *field) {
    (void)field;
    cv_json_null(j);
}
const CvParamType CV_PARAM_RENAMED = {0, NULL, parse_renamed, renamed_json};

CvStatus cv_param_read(const CvParam *p, const char *name, const char *text, void *cfg,
                       CvError *err) {
    if (p->type == &CV_PARAM_RENAMED)
        return cv_error_set(err, CV_ERR_INVALID, "%s is now called %s", name, p->metavar);
    return p->type->parse(name, text ? text : "", (char *)cfg + p->offset, err);
}

/* 1 when a and b are the same name with '-' and '_' alike. */
static int same_name(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_'))) return 0;
    return *a == *b;
}

const CvParam *cv_params_find(const CvParamTable *t, const char *name) {
    for (size_t i = 0; i < t->n; i++) {
        const CvParam *p = &t->params[i];
        if (p->name ? same_name(p->name, name) : (name[0] == p->short_name && !name[1])) return p;
    }
    return NULL;
}

CvStatus cv_params_set(const CvParamTable *t, void *cfg, const char *name, const char *text,
                       CvError *err) {
    const CvParam *p = cv_params_find(t, name);
    if (!p) return cv_error_set(err, CV_ERR_INVALID, "unknown parameter '%s'", name);
    return cv_param_read(p, name, text, cfg, err);
}

const char *cv_param_key(const CvParam *p, char *buf, size_t cap) {
    snprintf(buf, cap, "%s", p->key ? p->key : p->name ? p->name : "");
    if (!p->key)
        for (char *c = buf; *c; c++)
            if (*c == '-') *c = '_';
    return buf;
}

void cv_params_config(const CvParamTable *t, const void *cfg, CvJson *j) {
    for (size_t i = 0; i < t->n; i++) {
        const CvParam *p = &t->params[i];
        if (p->flags & CV_PARAM_NOCONFIG) continue;
        char key[128];
        cv_json_key(j, cv_param_key(p, key, sizeof key));
        p->type->to_json(j, (const char *)cfg + p->offset);
    }
}

/* ---- repeatable string parameters (see app_params.h) ---- */
static CvStatus parse_strings(const char *name, const char *text, void *field, CvError *err) {
    CvStrings *l = field;
    if (l->n == CV_STRINGS_MAX)
        return cv_error_set(err, CV_ERR_INVALID, "at most %d %s values", CV_STRINGS_MAX, name);
    l->v[l->n++] = text;
    return CV_OK;
}
static void strings_json(CvJson *j, const void *field) {
    const CvStrings *l = field;
    cv_json_begin_array(j);
    for (size_t k = 0; k < l->n; k++) cv_json_string(j, l->v[k]);
    cv_json_end_array(j);
}
const CvParamType CV_PARAM_STRINGS = {1, "S", parse_strings, strings_json};
/* ---- end of repeatable string parameters ---- */

/* One help entry: "  -c, --name MV" and the help text from column 24. */
static void help_entry(const CvParam *o, FILE *out) {
    if (o->type == &CV_PARAM_RENAMED) return;
    const char *mv = o->type->has_value ? (o->metavar ? o->metavar : o->type->metavar) : NULL;
    const char *sp = mv ? " " : "";
    mv = mv ? mv : "";
    char head[128];
    int w;
    if (o->short_name && o->name)
        w = snprintf(head, sizeof head, "  -%c, --%s%s%s", o->short_name, o->name, sp, mv);
    else if (o->name) w = snprintf(head, sizeof head, "  --%s%s%s", o->name, sp, mv);
    else w = snprintf(head, sizeof head, "  -%c%s%s", o->short_name, sp, mv);
    fputs(head, out);
    if (w >= 23) fprintf(out, "\n%24s", "");
    else fprintf(out, "%*s", 24 - w, "");
    for (const char *h = o->help ? o->help : ""; *h; h++) {
        fputc(*h, out);
        if (*h == '\n' && h[1]) fprintf(out, "%24s", "");
    }
    fputc('\n', out);
}

void cv_params_help(const CvParamTable *t, FILE *out) {
    for (size_t i = 0; i < t->n; i++) help_entry(&t->params[i], out);
}
