/* options.c — the option tables' parser, help printer and config writer (see options.h).
 * getopt_long's tables are built per call from the command's parameter tables: a long
 * option's val is 256 + (table << 10) + index, short options map by letter. */
#include "options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* "--name" or "-c", for messages. */
static const char *display_name(const CvParam *o, char *buf, size_t cap) {
    if (o->name) snprintf(buf, cap, "--%s", o->name);
    else snprintf(buf, cap, "-%c", o->short_name);
    return buf;
}

/* The option a getopt_long value stands for, and where its field is in args. */
typedef struct {
    const CvParam *opt;
    size_t base;
} Found;

static Found by_value(const CliCommand *c, int ch) {
    Found f = {NULL, 0};
    for (int t = 0; t < CLI_MAX_TABLES && c->tables[t].table; t++) {
        const CvParamTable *tb = c->tables[t].table;
        for (size_t i = 0; i < tb->n; i++) {
            const CvParam *o = &tb->params[i];
            if ((ch >= 256 && ch == 256 + (t << 10) + (int)i) || (ch < 256 && o->short_name == ch))
                return (Found){o, c->tables[t].base};
        }
    }
    return f;
}

/* The usage error of an option getopt_long refused (optopt: which, 0 = an unknown long one). */
static int bad_option(const CliCommand *c, const char *shorts, const char *arg) {
    char name[128];
    if (optopt >= 256)
        return cli_usage_error(c->name, "%s needs a value",
                               display_name(by_value(c, optopt).opt, name, sizeof name));
    if (optopt > 0 && optopt != ':' && strchr(shorts, optopt))
        return cli_usage_error(c->name, "-%c needs a value", optopt);
    if (optopt > 0) return cli_usage_error(c->name, "unknown option '-%c'", optopt);
    return cli_usage_error(c->name, "unknown option '%s'", arg ? arg : "");
}

/* getopt_long's long options (ending in --help) and short-option string for c's tables;
 * 0, or -1 out of memory. */
static int build_getopt(const CliCommand *c, struct option **longs, char **shorts) {
    size_t n = 0;
    for (int t = 0; t < CLI_MAX_TABLES && c->tables[t].table; t++) n += c->tables[t].table->n;
    *longs = calloc(n + 2, sizeof **longs);
    *shorts = malloc(2 * n + 3);
    if (!*longs || !*shorts) return -1;
    size_t nl = 0, ns = 0;
    (*shorts)[ns++] = 'h';
    for (int t = 0; t < CLI_MAX_TABLES && c->tables[t].table; t++) {
        const CvParamTable *tb = c->tables[t].table;
        for (size_t i = 0; i < tb->n; i++) {
            const CvParam *o = &tb->params[i];
            if (o->name)
                (*longs)[nl++] =
                    (struct option){o->name, o->type->has_value ? required_argument : no_argument,
                                    NULL, 256 + (t << 10) + (int)i};
            if (o->short_name) {
                (*shorts)[ns++] = o->short_name;
                if (o->type->has_value) (*shorts)[ns++] = ':';
            }
        }
    }
    (*shorts)[ns] = '\0';
    (*longs)[nl] = (struct option){"help", no_argument, NULL, 'h'};
    return 0;
}

/* Reads one option's value into its field; CLI_OK or CLI_USAGE after the message. */
static int set_option(const CliCommand *c, Found f, const char *value, void *args) {
    char name[128];
    CvError err = {0};
    if (!cv_param_read(f.opt, display_name(f.opt, name, sizeof name), value, (char *)args + f.base,
                       &err))
        return CLI_OK;
    return cli_usage_error(c->name, "%s", err.msg);
}

int cli_options_parse(const CliCommand *c, int argc, char **argv, void *args, int *first_operand) {
    struct option *longs = NULL;
    char *shorts = NULL;
    int rc = CLI_OK, ch;
    if (build_getopt(c, &longs, &shorts)) {
        fprintf(stderr, "chemvae %s: out of memory\n", c->name);
        rc = CLI_USAGE;
    }
    optind = 1;
    opterr = 0;
    while (rc == CLI_OK && (ch = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        Found f = ch == 'h' ? (Found){NULL, 0} : by_value(c, ch);
        if (ch == 'h') {
            cli_options_help(c, stdout);
            rc = CLI_HELP_SHOWN;
        } else if (!f.opt) {
            rc = bad_option(c, shorts, argv[optind - 1]);
        } else {
            rc = set_option(c, f, optarg, args);
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
    for (int t = 0; t < CLI_MAX_TABLES && c->tables[t].table; t++)
        cv_params_help(c->tables[t].table, out);
    fprintf(out, "  -h, --help            this help\n");
    if (c->epilog) fprintf(out, "\n%s", c->epilog);
}

void cli_options_config(const CliCommand *c, const void *args, CvJson *j) {
    for (int t = 0; t < CLI_MAX_TABLES && c->tables[t].table; t++)
        cv_params_config(c->tables[t].table, (const char *)args + c->tables[t].base, j);
}
