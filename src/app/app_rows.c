/* app_rows.c — result rows as CSV, JSON, SDF or a SMILES file (see app_rows.h). CSV and
 * JSON stream field by field (the CSV and JSON writers of core quote and escape; a row's
 * JSON object is built in t->obj and written at its end); SDF and SMILES files gather the
 * row's molecule and data items and write the record at the row's end, the molblock from
 * chem (cv_chem_mol_block). */
#include "chemvae/app/app_rows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/core/csvout.h"

static const char *const FORMAT_NAMES[] = {"csv", "json", "sdf", "smi"};

int cv_rows_format_parse(const char *name, CvRowsFormat *format) {
    for (size_t f = 0; f < sizeof FORMAT_NAMES / sizeof *FORMAT_NAMES; f++)
        if (!strcmp(name, FORMAT_NAMES[f])) return *format = (CvRowsFormat)f, 0;
    return -1;
}

const char *cv_rows_format_name(CvRowsFormat format) {
    return FORMAT_NAMES[format];
}

/* --format F, or a switch named after its format (--json: the name without its dashes): a
 * format up to `last` (`names` lists them for the message) */
static CvStatus read_format(const char *name, const char *text, CvRowsFormat last,
                            const char *names, void *field, CvError *err) {
    CvRowsFormat f;
    if (!cv_rows_format_parse(*text ? text : name + strspn(name, "-"), &f) && f <= last)
        return *(CvRowsFormat *)field = f, CV_OK;
    return cv_error_set(err, CV_ERR_INVALID, "%s expects %s, got '%s'", name, names, text);
}
static CvStatus parse_format(const char *name, const char *text, void *field, CvError *err) {
    return read_format(name, text, CV_ROWS_SMI, "csv, json, sdf or smi", field, err);
}
static void format_json(CvJson *j, const void *field) {
    cv_json_string(j, cv_rows_format_name(*(const CvRowsFormat *)field));
}
static const CvParamType FORMAT = {1, "F", parse_format, format_json};
static const CvParamType FORMAT_SWITCH = {0, NULL, parse_format, format_json};

static const CvParam ROWS_PARAMS[] = {
    CV_PARAM("format", 0, FORMAT, 0, "F",
             "csv (default) | json | sdf (2D coordinates, fields as data\nitems) | smi "
             "(SMILES NAME)",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("json", 0, FORMAT_SWITCH, 0, NULL, "shorthand for --format json",
             .flags = CV_PARAM_NOCONFIG),
};
const CvParamTable cv_rows_params = CV_PARAM_TABLE(ROWS_PARAMS);

/* The same for results that are not molecules: csv or json only */
static CvStatus parse_csv_json(const char *name, const char *text, void *field, CvError *err) {
    return read_format(name, text, CV_ROWS_JSON, "csv or json", field, err);
}
static const CvParamType CSV_JSON = {1, "F", parse_csv_json, format_json};
static const CvParamType CSV_JSON_SWITCH = {0, NULL, parse_csv_json, format_json};

static const CvParam CSV_JSON_PARAMS[] = {
    CV_PARAM("format", 0, CSV_JSON, 0, "F", "csv (default) | json", .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("json", 0, CSV_JSON_SWITCH, 0, NULL, "shorthand for --format json",
             .flags = CV_PARAM_NOCONFIG),
};
const CvParamTable cv_rows_csv_json_params = CV_PARAM_TABLE(CSV_JSON_PARAMS);

static int is_json(const CvRows *t) {
    return t->format == CV_ROWS_JSON;
}

/* SDF and SMILES files write a record per row at its end. */
static int is_record(const CvRows *t) {
    return t->format == CV_ROWS_SDF || t->format == CV_ROWS_SMI;
}

void cv_rows_begin(CvRows *t, FILE *fp, CvRowsFormat format, const char *csv_header,
                   const char *name_prefix) {
    *t = (CvRows){
        .fp = fp, .format = format, .name_prefix = name_prefix ? name_prefix : "mol", .digits = 4};
    if (format == CV_ROWS_JSON) fputc('[', fp);
    else if (format == CV_ROWS_CSV) fprintf(fp, "%s\n", csv_header);
}

/* SDF: "> <key>\ntext\n\n" into the row's data items, line ends in text as spaces. */
static void add_item(CvRows *t, const char *key, const char *text) {
    if (t->format == CV_ROWS_SDF && text) cv_chem_sdf_item(&t->items, key, text, strlen(text));
}

/* Before a field: the row begins with its first one. */
static void next_field(CvRows *t) {
    if (!t->fields && is_json(t)) {
        cv_json_reset(&t->obj);
        cv_json_begin_object(&t->obj);
    }
    if (t->fields++ && t->format == CV_ROWS_CSV) fputc(',', t->fp);
}

/* A field already formatted (JSON: inserted as it is, NULL: null). */
static void field(CvRows *t, const char *key, const char *text) {
    next_field(t);
    if (is_json(t)) {
        cv_json_key(&t->obj, key);
        if (text) cv_json_raw(&t->obj, text);
        else cv_json_null(&t->obj);
    } else if (is_record(t)) {
        add_item(t, key, text);
    } else if (text) {
        fputs(text, t->fp);
    }
}

void cv_row_text(CvRows *t, const char *key, const char *s) {
    next_field(t);
    if (is_json(t)) cv_json_kv_string(&t->obj, key, s ? s : "");
    else if (is_record(t)) add_item(t, key, s ? s : "");
    else cv_csv_str(t->fp, s ? s : "");
}

void cv_row_name(CvRows *t, const char *name) {
    if (!is_record(t)) return;
    free(t->name);
    t->name = name ? strdup(name) : NULL;
}

void cv_row_smiles(CvRows *t, const char *key, const char *smiles) {
    cv_row_text(t, key, smiles);
    if (!is_record(t)) return;
    free(t->smiles);
    t->smiles = strdup(smiles ? smiles : "");
}

void cv_row_count(CvRows *t, const char *key, size_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%zu", v);
    field(t, key, buf);
}

void cv_row_real(CvRows *t, const char *key, double v) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", t->digits, v);
    field(t, key, buf);
}

void cv_row_real_or_none(CvRows *t, const char *key, double v) {
    if (isfinite(v)) cv_row_real(t, key, v);
    else field(t, key, NULL);
}

void cv_row_float(CvRows *t, const char *key, double v) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.7g", v);
    field(t, key, isfinite(v) ? buf : NULL);
}

void cv_row_flag(CvRows *t, const char *key, int v) {
    field(t, key, is_json(t) ? (v ? "true" : "false") : (v ? "1" : "0"));
}

void cv_row_scores(CvRows *t, const ChemScores *s) {
    cv_row_real(t, "mw", s->mw);
    cv_row_real(t, "logp", s->logp);
    cv_row_real(t, "qed", s->qed);
    cv_row_real(t, "sa", s->sa);
    cv_row_real(t, "penalized_logp", s->penalized_logp);
}

void cv_row_end(CvRows *t) {
    char name[96];
    if (t->name) snprintf(name, sizeof name, "%s", t->name);
    else snprintf(name, sizeof name, "%s-%zu", t->name_prefix, t->rows + 1);
    if (is_json(t)) {
        cv_json_end_object(&t->obj);
        const char *text = cv_json_text(&t->obj, NULL);
        fprintf(t->fp, "%s\n%s", t->rows ? "," : "", text ? text : "{}");
    } else if (t->format == CV_ROWS_SDF) {
        cv_chem_write_sdf_record(t->fp, t->smiles, name, t->items.p);
    } else if (t->format == CV_ROWS_SMI) {
        fprintf(t->fp, "%s %s\n", t->smiles && *t->smiles ? t->smiles : "*", name);
    } else {
        fputc('\n', t->fp);
    }
    free(t->smiles);
    free(t->name);
    t->smiles = t->name = NULL;
    t->items.len = 0;
    if (t->items.p) t->items.p[0] = 0;
    t->rows++;
    t->fields = 0;
}

void cv_rows_end(CvRows *t) {
    if (is_json(t)) fputs("\n]\n", t->fp);
    fflush(t->fp);
    cv_json_free(&t->obj);
    free(t->items.p);
    free(t->smiles);
    free(t->name);
    t->items = (CvBuf){0};
    t->smiles = t->name = NULL;
}
