/* cmd_query.c — `chemvae query`: read-only access to the results database.
 *
 *   chemvae query [--db PATH] [--format table|csv|json] "SELECT ..." [--param V]...
 *   chemvae query top [--by qed|logp|sa|penalized_logp|mw] [-n 20] [--asc] [--run N]
 *   chemvae query similar SMILES [-k 10] [--min T] | substruct SMARTS [-n 20]
 *   chemvae query runs | run N | molecule SMILES | schema
 *
 * The reads, the views and their printing are the store's (store.h; the DB is opened
 * read-only); this file parses the options and picks the view. Output: an aligned table
 * when stdout is a terminal, CSV otherwise; --format/--json/--csv choose explicitly. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/store/store.h"
#include "cli.h"
#include "options.h"

typedef struct {
    const char *db_path, *by;
    StoreFormat fmt;
    long max_width, n, run, k;
    int asc;
    double timeout, min_sim;
    CvStrings params; /* the SQL's ?1, ?2, ... as text */
    char **pos;       /* the operands: a view and its argument, or the SQL */
    int view;         /* pos[0] names a view */
    long run_id;      /* of `run N` */
} QueryArgs;

/* --format F, and the switches --csv / --json, which are named after their format */
static CvStatus parse_format(const char *name, const char *text, void *field, CvError *err) {
    if (!cv_store_format_parse(*text ? text : name + strspn(name, "-"), field)) return CV_OK;
    return cv_error_set(err, CV_ERR_INVALID, "%s expects table, csv or json, got '%s'", name, text);
}
static void format_json(CvJson *j, const void *field) {
    cv_json_string(j, cv_store_format_name(*(const StoreFormat *)field));
}
static const CvParamType FORMAT = {1, "F", parse_format, format_json};
static const CvParamType FORMAT_SWITCH = {0, NULL, parse_format, format_json};

/* --by: a score column of `molecules` */
static CvStatus parse_by(const char *name, const char *text, void *field, CvError *err) {
    *(const char **)field = text;
    if (cv_store_is_score_column(text)) return CV_OK;
    return cv_error_set(err, CV_ERR_INVALID,
                        "%s expects mw, logp, qed, sa or penalized_logp, got '%s'", name, text);
}
static void by_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const char *const *)field);
}
static const CvParamType BY = {1, "COL", parse_by, by_json};

#define F(field) offsetof(QueryArgs, field)
static const CvParam OPTS[] = {
    CV_PARAM("db", 0, CV_PARAM_STRING, F(db_path), "PATH",
             "results database (default " CLI_DEFAULT_DB "), opened read-only"),
    CV_PARAM("format", 0, FORMAT, F(fmt), "F",
             "table | csv | json (default: table on a terminal, else csv)"),
    CV_PARAM("csv", 0, FORMAT_SWITCH, F(fmt), NULL, "shorthand for --format csv"),
    CV_PARAM("json", 0, FORMAT_SWITCH, F(fmt), NULL, "shorthand for --format json"),
    CV_PARAM("max-width", 0, CV_PARAM_LONG, F(max_width), "N",
             "cut table cells to N characters (default 60 on a terminal,\n0 = never)"),
    CV_PARAM("param", 'p', CV_PARAM_STRINGS, F(params), "V",
             "bind V to the next ?N of the SQL (repeatable)"),
    CV_PARAM("by", 0, BY, F(by), "COL", "top: mw | logp | qed | sa | penalized_logp (default qed)"),
    CV_PARAM(NULL, 'n', CV_PARAM_LONG, F(n), "N",
             "top, substruct: number of molecules (default 20)"),
    CV_PARAM("asc", 0, CV_PARAM_SWITCH, F(asc), NULL, "top: lowest first (e.g. --by sa --asc)"),
    CV_PARAM("run", 0, CV_PARAM_LONG, F(run), "N", "top: only molecules run N generated"),
    CV_PARAM(NULL, 'k', CV_PARAM_LONG, F(k), "N",
             "similar: number of molecules (default 10; 0 = all)"),
    CV_PARAM("min", 0, CV_PARAM_DOUBLE, F(min_sim), "T",
             "similar: only molecules with similarity >= T (0..1)"),
    CV_PARAM("timeout", 0, CV_PARAM_DOUBLE, F(timeout), "S",
             "stop a statement after S seconds (default 60; 0 = never)"),
};
static const CvParamTable OPTS_TABLE = CV_PARAM_TABLE(OPTS);
#undef F

static const CliCommand COMMAND = {
    .name = "query",
    .synopsis = "[options] \"SQL\"        one read-only SQL statement\n"
                "       chemvae query [options] top           best molecules by a score\n"
                "       chemvae query [options] runs          every run with its counts\n"
                "       chemvae query [options] run N         one run: row, counts, metrics\n"
                "       chemvae query [options] molecule SMILES   a molecule and where it came "
                "from\n"
                "       chemvae query [options] similar SMILES    most similar stored molecules\n"
                "       chemvae query [options] substruct SMARTS  molecules containing a "
                "pattern\n"
                "       chemvae query [options] schema        tables and their SQL",
    .tables = {{&OPTS_TABLE, 0}},
    .epilog = "SQL functions: mol_valid(s) canonical(s) mw(s) logp(s) qed(s) sa(s)\n"
              "penalized_logp(s) morgan_fp(s) tanimoto(a, b) has_substruct(s, smarts); NULL on "
              "invalid input.\n"
              "similar: Tanimoto of the stored Morgan fingerprints (radius 2, 2048 bits).\n"
              "Example: chemvae query \"SELECT smiles, qed FROM molecules WHERE "
              "has_substruct(smiles, 'c1ccccc1') ORDER BY qed DESC LIMIT 5\"\n",
    .max_operands = -1};

/* Views taking one argument, with its name for the usage message. */
static const char *const VIEWS_WITH_ARG[][2] = {
    {"run", "N"}, {"molecule", "SMILES"}, {"similar", "SMILES"}, {"substruct", "SMARTS"}};

/* The operands: a view (with its argument) or one SQL statement. */
static int check_operands(QueryArgs *a, int npos) {
    const char *cmd = COMMAND.name, *op = a->pos[0];
    if (npos < 1)
        return cli_usage_error(cmd, "give an SQL statement or a view (top, runs, run N, "
                                    "molecule SMILES, similar SMILES, substruct SMARTS, schema)");
    a->view = !strcmp(op, "top") || !strcmp(op, "runs") || !strcmp(op, "schema");
    for (size_t i = 0; i < sizeof VIEWS_WITH_ARG / sizeof *VIEWS_WITH_ARG; i++) {
        if (strcmp(op, VIEWS_WITH_ARG[i][0])) continue;
        if (npos != 2)
            return cli_usage_error(cmd, "usage: chemvae query %s %s", op, VIEWS_WITH_ARG[i][1]);
        a->view = 1;
        if (strcmp(op, "run")) return CLI_OK;
        CvError err = {0};
        if (!cv_param_read_long("run", a->pos[1], LONG_MAX, &a->run_id, &err)) return CLI_OK;
        return cli_usage_error(cmd, "%s", err.msg);
    }
    if (npos != 1)
        return cli_usage_error(
            cmd, "one SQL statement or view expected, got %d arguments (quote the SQL)", npos);
    return CLI_OK;
}

static int parse_args(int argc, char **argv, QueryArgs *a) {
    int tty = isatty(STDOUT_FILENO), first = argc;
    *a = (QueryArgs){.db_path = CLI_DEFAULT_DB, .by = "qed", .n = 20, .k = 10, .timeout = 60};
    a->fmt = tty ? STORE_FORMAT_TABLE : STORE_FORMAT_CSV;
    a->max_width = tty ? 60 : 0;
    /* `run -5` would reach getopt as an option: say what is wrong with it instead */
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "run") && argv[i + 1][0] == '-' &&
            isdigit((unsigned char)argv[i + 1][1]))
            return cli_usage_error(
                COMMAND.name, "run N: N is a run id (a positive number), got '%s'", argv[i + 1]);
    int rc = cli_options_parse(&COMMAND, argc, argv, a, &first);
    if (rc) return rc;
    if (a->timeout < 0) return cli_usage_error(COMMAND.name, "--timeout must be >= 0 seconds");
    if (!(a->min_sim >= 0 && a->min_sim <= 1))
        return cli_usage_error(COMMAND.name, "--min must be between 0 and 1, got %g", a->min_sim);
    a->pos = argv + first;
    return check_operands(a, argc - first);
}

/* Reads the view the operands name into *v. */
static CvStatus read_view(Store *db, const QueryArgs *a, StoreView *v, CvError *err) {
    const char *view = a->pos[0];
    if (!strcmp(view, "run")) return cv_store_run_view(db, a->run_id, v, err);
    if (!strcmp(view, "molecule")) return cv_store_molecule_view(db, a->pos[1], v, err);
    if (!strcmp(view, "similar"))
        return cv_store_similar(db, a->pos[1], (size_t)a->k, a->min_sim, v->part, err);
    if (!strcmp(view, "substruct"))
        return cv_store_substruct(db, a->pos[1], (size_t)a->n, v->part, err);
    if (!strcmp(view, "top"))
        return cv_store_top_molecules(db, a->by, (size_t)a->n, a->asc, a->run, v->part, err);
    if (!strcmp(view, "runs")) return cv_store_list_runs(db, v->part, err);
    return cv_store_list_schema(db, v->part, err);
}

/* Runs the SQL operand, its --param values bound as text. */
static CvStatus run_sql(Store *db, const QueryArgs *a, CvError *err) {
    StoreValue p[CV_STRINGS_MAX];
    for (size_t k = 0; k < a->params.n; k++)
        p[k] = (StoreValue){.type = STORE_TEXT, .s = a->params.v[k]};
    return cv_store_print_select(stdout, db, a->pos[0], p, a->params.n, a->fmt,
                                 (size_t)a->max_width, err);
}

int cmd_query(int argc, char **argv) {
    QueryArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    Store *db = NULL;
    CvError err = {0};
    CvStatus st = cv_store_open(a.db_path, STORE_READ_ONLY, &db, &err);
    if (st) return cli_report(COMMAND.name, &err);
    if (cv_store_is_immutable(db))
        fprintf(stderr, "chemvae query: %s is on read-only media: read as immutable\n", a.db_path);
    cv_store_set_query_timeout(db, a.timeout);
    StoreView v = {.n = 1}; /* a one-table view unless read_view says otherwise */
    if (!a.view) st = run_sql(db, &a, &err);
    else if (!(st = read_view(db, &a, &v, &err)))
        st = cv_store_print_view(stdout, &v, a.fmt, (size_t)a.max_width, &err);
    cv_store_view_free(&v);
    cv_store_close(db);
    return st ? cli_report(COMMAND.name, &err) : CLI_OK;
}
