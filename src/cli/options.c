/* options.c — the option tables' parser, help printer and config writer (see options.h).
 * getopt_long's tables are built per call from the command's CliOpt array: the long
 * options index back into the array (val = 256 + index), short options map by letter. */
#include "options.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/app/app_model.h"
#include "cli.h"

static void *field_at(void *args, const CliOpt *o) {
    return (char *)args + o->offset;
}

static int parse_flag(const char *cmd, const char *opt, const char *arg, void *field) {
    (void)cmd, (void)opt, (void)arg;
    *(int *)field = 1;
    return 0;
}
static void flag_json(CvJson *j, const void *field) {
    cv_json_bool(j, *(const int *)field);
}
static int parse_long(const char *cmd, const char *opt, const char *arg, void *field) {
    return cli_parse_long(cmd, opt, arg, field);
}
static void long_json(CvJson *j, const void *field) {
    cv_json_int(j, *(const long *)field);
}
static int parse_double(const char *cmd, const char *opt, const char *arg, void *field) {
    return cli_parse_double(cmd, opt, arg, field);
}
static int parse_temperature(const char *cmd, const char *opt, const char *arg, void *field) {
    return cli_parse_temperature(cmd, opt, arg, field);
}
static void double_json(CvJson *j, const void *field) {
    cv_json_double(j, *(const double *)field);
}
static int parse_string(const char *cmd, const char *opt, const char *arg, void *field) {
    (void)cmd, (void)opt;
    *(const char **)field = arg;
    return 0;
}
static void string_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const char *const *)field); /* NULL: null */
}
static int parse_constrain(const char *cmd, const char *opt, const char *arg, void *field) {
    if (cv_smiles_constrain_parse(arg, field) == 0) return 0;
    cli_usage_error(cmd, "%s: unknown mode '%s' (none, syntax, valence)", opt, arg);
    return -1;
}
static void constrain_json(CvJson *j, const void *field) {
    cv_json_string(j, cv_smiles_constrain_name(*(const int *)field));
}
static int parse_rescue(const char *cmd, const char *opt, const char *arg, void *field) {
    long *k = field;
    if (cli_parse_long(cmd, opt, arg, k)) return -1;
    if (*k >= 1 && *k <= CV_MAX_RESCUE) return 0;
    cli_usage_error(cmd, "%s must be in 1..%d, got %ld", opt, CV_MAX_RESCUE, *k);
    return -1;
}

static int parse_int(const char *cmd, const char *opt, const char *arg, void *field) {
    long v;
    if (cli_parse_long(cmd, opt, arg, &v)) return -1;
    if (v > INT_MAX) {
        cli_usage_error(cmd, "%s must be at most %d, got %ld", opt, INT_MAX, v);
        return -1;
    }
    *(int *)field = (int)v;
    return 0;
}
static void int_json(CvJson *j, const void *field) {
    cv_json_int(j, *(const int *)field);
}
static int parse_size(const char *cmd, const char *opt, const char *arg, void *field) {
    long v;
    if (cli_parse_long(cmd, opt, arg, &v)) return -1;
    *(size_t *)field = (size_t)v;
    return 0;
}
static void size_json(CvJson *j, const void *field) {
    cv_json_int(j, (int64_t) * (const size_t *)field);
}
static int parse_u64(const char *cmd, const char *opt, const char *arg, void *field) {
    long v;
    if (cli_parse_long(cmd, opt, arg, &v)) return -1;
    *(uint64_t *)field = (uint64_t)v;
    return 0;
}
static void u64_json(CvJson *j, const void *field) {
    cv_json_int(j, (int64_t) * (const uint64_t *)field);
}

/* A finite real into a float field, stored as the shortest decimal that reads back to the
 * same float (0.001, not 0.0010000000474974513). */
static int parse_float(const char *cmd, const char *opt, const char *arg, void *field) {
    double v;
    if (cli_parse_double(cmd, opt, arg, &v)) return -1;
    *(float *)field = (float)v;
    return 0;
}
static void float_json(CvJson *j, const void *field) {
    float v = *(const float *)field;
    char buf[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v) break;
    }
    cv_json_double(j, strtod(buf, NULL));
}

const CliOptType CLI_FLAG = {0, NULL, parse_flag, flag_json};
const CliOptType CLI_LONG = {1, "N", parse_long, long_json};
const CliOptType CLI_DOUBLE = {1, "X", parse_double, double_json};
const CliOptType CLI_TEMPERATURE = {1, "X", parse_temperature, double_json};
const CliOptType CLI_STRING = {1, "S", parse_string, string_json};
const CliOptType CLI_CONSTRAIN = {1, "MODE", parse_constrain, constrain_json};
const CliOptType CLI_RESCUE = {1, "K", parse_rescue, long_json};
const CliOptType CLI_INT = {1, "N", parse_int, int_json};
const CliOptType CLI_SIZE = {1, "N", parse_size, size_json};
const CliOptType CLI_U64 = {1, "N", parse_u64, u64_json};
const CliOptType CLI_FLOAT = {1, "X", parse_float, float_json};

/* "--name" or "-c", for messages. */
static const char *display_name(const CliOpt *o, char *buf, size_t cap) {
    if (o->name) snprintf(buf, cap, "--%s", o->name);
    else snprintf(buf, cap, "-%c", o->short_name);
    return buf;
}

static const CliOpt *find_short(const CliCommand *c, int ch) {
    for (size_t i = 0; i < c->n_opts; i++)
        if (c->opts[i].short_name == ch) return &c->opts[i];
    return NULL;
}

/* The usage error of an option getopt_long refused (optopt: which, 0 = an unknown long one). */
static int bad_option(const CliCommand *c, const char *shorts, const char *arg) {
    char name[128];
    if (optopt >= 256)
        return cli_usage_error(c->name, "%s needs a value",
                               display_name(&c->opts[optopt - 256], name, sizeof name));
    if (optopt > 0 && optopt != ':' && strchr(shorts, optopt))
        return cli_usage_error(c->name, "-%c needs a value", optopt);
    if (optopt > 0) return cli_usage_error(c->name, "unknown option '-%c'", optopt);
    return cli_usage_error(c->name, "unknown option '%s'", arg ? arg : "");
}

int cli_options_parse(const CliCommand *c, int argc, char **argv, void *args, int *first_operand) {
    struct option *longs = calloc(c->n_opts + 2, sizeof *longs);
    char *shorts = malloc(2 * c->n_opts + 3);
    if (!longs || !shorts) {
        free(longs);
        free(shorts);
        fprintf(stderr, "chemvae %s: out of memory\n", c->name);
        return CLI_USAGE;
    }
    size_t nl = 0, ns = 0;
    shorts[ns++] = 'h';
    for (size_t i = 0; i < c->n_opts; i++) {
        const CliOpt *o = &c->opts[i];
        if (o->name)
            longs[nl++] = (struct option){
                o->name, o->type->has_arg ? required_argument : no_argument, NULL, 256 + (int)i};
        if (o->short_name) {
            shorts[ns++] = o->short_name;
            if (o->type->has_arg) shorts[ns++] = ':';
        }
    }
    shorts[ns] = '\0';
    longs[nl++] = (struct option){"help", no_argument, NULL, 'h'};
    int rc = CLI_OK, ch;
    optind = 1;
    opterr = 0;
    while (rc == CLI_OK && (ch = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        const CliOpt *o = ch >= 256 ? &c->opts[ch - 256] : ch == 'h' ? NULL : find_short(c, ch);
        char name[128];
        if (ch == 'h') {
            cli_options_help(c, stdout);
            rc = CLI_HELP_SHOWN;
        } else if (!o) {
            rc = bad_option(c, shorts, argv[optind - 1]);
        } else if (o->type->parse(c->name, display_name(o, name, sizeof name), optarg,
                                  field_at(args, o))) {
            rc = CLI_USAGE;
        }
    }
    free(longs);
    free(shorts);
    if (rc != CLI_OK) return rc;
    int n = argc - optind;
    if (n < c->min_operands)
        return cli_usage_error(c->name, "missing argument (usage: chemvae %s %s)", c->name,
                               c->synopsis);
    if (c->max_operands >= 0 && n > c->max_operands)
        return cli_usage_error(c->name, "unexpected argument '%s'", argv[optind + c->max_operands]);
    if (first_operand) *first_operand = optind;
    return CLI_OK;
}

void cli_options_help(const CliCommand *c, FILE *out) {
    fprintf(out, "usage: chemvae %s %s\n", c->name, c->synopsis);
    if (c->intro) fprintf(out, "\n%s", c->intro);
    fprintf(out, "\n");
    for (size_t i = 0; i < c->n_opts; i++) {
        const CliOpt *o = &c->opts[i];
        const char *mv = o->type->has_arg ? (o->metavar ? o->metavar : o->type->metavar) : NULL;
        char head[96];
        int w = 0;
        if (o->short_name && o->name)
            w = snprintf(head, sizeof head, "  -%c, --%s%s%s", o->short_name, o->name,
                         mv ? " " : "", mv ? mv : "");
        else if (o->name)
            w = snprintf(head, sizeof head, "  --%s%s%s", o->name, mv ? " " : "", mv ? mv : "");
        else
            w = snprintf(head, sizeof head, "  -%c%s%s", o->short_name, mv ? " " : "",
                         mv ? mv : "");
        fputs(head, out);
        const char *h = o->help ? o->help : "";
        if (w >= 23) fprintf(out, "\n%24s", "");
        else fprintf(out, "%*s", 24 - w, "");
        for (; *h; h++) {
            fputc(*h, out);
            if (*h == '\n' && h[1]) fprintf(out, "%24s", "");
        }
        fputc('\n', out);
    }
    fprintf(out, "  -h, --help            this help\n");
    if (c->epilog) fprintf(out, "\n%s", c->epilog);
}

void cli_options_config(const CliCommand *c, const void *args, CvJson *j) {
    for (size_t i = 0; i < c->n_opts; i++) {
        const CliOpt *o = &c->opts[i];
        if (o->flags & CLI_OPT_NOCONFIG) continue;
        char key[128];
        if (o->key) snprintf(key, sizeof key, "%s", o->key);
        else {
            snprintf(key, sizeof key, "%s", o->name ? o->name : "");
            for (char *p = key; *p; p++)
                if (*p == '-') *p = '_';
        }
        cv_json_key(j, key);
        o->type->to_json(j, (const char *)args + o->offset);
    }
}
