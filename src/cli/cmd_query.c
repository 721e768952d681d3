/* cmd_query.c — `chemvae query`: read-only access to the results database.
 *
 *   chemvae query [--db PATH] [--format table|csv|json] "SELECT ..." [--param V]...
 *   chemvae query top [--by qed|logp|sa|penalized_logp|mw] [-n 20] [--asc] [--run N]
 *   chemvae query runs | run N | molecule SMILES | schema
 *
 * The reads are the store's (store.h: the DB is opened with STORE_READ_ONLY, every
 * statement must be read-only, the canned views are store functions); this file parses
 * the options and formats the output. Output: an aligned table when stdout is a terminal,
 * CSV otherwise (chemvae's default for results on stdout); --format/--json/--csv choose
 * explicitly. CSV and JSON of raw SQL stream row by row; tables are collected first to
 * size the columns. Views with several parts (run N, molecule) print each part under a
 * "== name" line (table), after a "# name" line (CSV), or as the members of one JSON
 * object. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/chem/chem.h"
#include "chemvae/store/store.h"
#include "cli.h"
#include "options.h"

enum { QUERY_MAX_PARAMS = 32 };

typedef struct {
    StoreValue v[QUERY_MAX_PARAMS];
    size_t n;
} QueryParams;

typedef struct {
    const char *db_path, *by;
    StoreFormat fmt;
    long max_width, n, run;
    int asc;
    double timeout;
    QueryParams params;
} QueryArgs;

static const char *const FORMAT_NAMES[] = {"table", "csv", "json"};

static void format_json(CvJson *j, const void *field) {
    cv_json_string(j, FORMAT_NAMES[*(const StoreFormat *)field]);
}
static CvStatus parse_format(const char *opt, const char *arg, void *field, CvError *err) {
    if (!cv_store_format_parse(arg, field)) return CV_OK;
    cv_error_set(err, CV_ERR_INVALID, "%s expects table, csv or json, got '%s'", opt, arg);
    return CV_ERR_INVALID;
}
static CvStatus set_csv(const char *opt, const char *arg, void *field, CvError *err) {
    (void)opt, (void)arg, (void)err;
    *(StoreFormat *)field = STORE_FORMAT_CSV;
    return CV_OK;
}
static CvStatus set_json(const char *opt, const char *arg, void *field, CvError *err) {
    (void)opt, (void)arg, (void)err;
    *(StoreFormat *)field = STORE_FORMAT_JSON;
    return CV_OK;
}
static const CvParamType FORMAT = {1, "F", parse_format, format_json};
static const CvParamType AS_CSV = {0, NULL, set_csv, format_json};
static const CvParamType AS_JSON = {0, NULL, set_json, format_json};

/* -p V: the next positional parameter of the SQL, as text */
static CvStatus parse_param(const char *opt, const char *arg, void *field, CvError *err) {
    QueryParams *p = field;
    if (p->n < QUERY_MAX_PARAMS) {
        p->v[p->n++] = (StoreValue){.type = STORE_TEXT, .s = arg};
        return CV_OK;
    }
    (void)opt;
    cv_error_set(err, CV_ERR_INVALID, "at most %d --param values", QUERY_MAX_PARAMS);
    return CV_ERR_INVALID;
}
static void params_json(CvJson *j, const void *field) {
    const QueryParams *p = field;
    cv_json_begin_array(j);
    for (size_t k = 0; k < p->n; k++) cv_json_string(j, p->v[k].s);
    cv_json_end_array(j);
}
static const CvParamType PARAM = {1, "V", parse_param, params_json};

/* --by: a score column of `molecules` */
static CvStatus parse_by(const char *opt, const char *arg, void *field, CvError *err) {
    char key[24];
    snprintf(key, sizeof key, " %s ", arg);
    if (strlen(arg) <= 16 && strstr(" mw logp qed sa penalized_logp ", key)) {
        *(const char **)field = arg;
        return CV_OK;
    }
    cv_error_set(err, CV_ERR_INVALID, "%s expects mw, logp, qed, sa or penalized_logp, got '%s'",
                 opt, arg);
    return CV_ERR_INVALID;
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
    CV_PARAM("csv", 0, AS_CSV, F(fmt), NULL, "shorthand for --format csv"),
    CV_PARAM("json", 0, AS_JSON, F(fmt), NULL, "shorthand for --format json"),
    CV_PARAM("max-width", 0, CV_PARAM_LONG, F(max_width), "N",
             "cut table cells to N characters (default 60 on a terminal,\n0 = never)"),
    CV_PARAM("param", 'p', PARAM, F(params), "V", "bind V to the next ?N of the SQL (repeatable)"),
    CV_PARAM("by", 0, BY, F(by), "COL", "top: mw | logp | qed | sa | penalized_logp (default qed)"),
    CV_PARAM(NULL, 'n', CV_PARAM_LONG, F(n), "N", "top: number of molecules (default 20)"),
    CV_PARAM("asc", 0, CV_PARAM_SWITCH, F(asc), NULL, "top: lowest first (e.g. --by sa --asc)"),
    CV_PARAM("run", 0, CV_PARAM_LONG, F(run), "N", "top: only molecules run N generated"),
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
                "       chemvae query [options] schema        tables and their SQL",
    .tables = {{&OPTS_TABLE, 0}},
    .epilog = "SQL functions: mol_valid(s) canonical(s) mw(s) logp(s) qed(s) sa(s)\n"
              "penalized_logp(s) tanimoto(a, b) has_substruct(s, smarts); NULL on invalid "
              "input.\n"
              "Example: chemvae query \"SELECT smiles, qed FROM molecules WHERE "
              "has_substruct(smiles, 'c1ccccc1') ORDER BY qed DESC LIMIT 5\"\n",
    .max_operands = -1};

/* The operands: a view (with its argument) or one SQL statement. */
static int check_operands(int npos, char **pos, int64_t *run_id) {
    const char *cmd = COMMAND.name;
    long v;
    if (npos < 1)
        return cli_usage_error(cmd, "give an SQL statement or a view (top, runs, run N, "
                                    "molecule SMILES, schema)");
    if (!strcmp(pos[0], "run")) {
        if (npos != 2) return cli_usage_error(cmd, "usage: chemvae query run N");
        if (cli_parse_long(cmd, "run", pos[1], &v)) return CLI_USAGE;
        *run_id = v;
    } else if (!strcmp(pos[0], "molecule")) {
        if (npos != 2) return cli_usage_error(cmd, "usage: chemvae query molecule SMILES");
    } else if (npos != 1) {
        return cli_usage_error(cmd,
                               "one SQL statement or view expected, got %d arguments "
                               "(quote the SQL)",
                               npos);
    }
    return CLI_OK;
}

static int parse_args(int argc, char **argv, QueryArgs *a, int *first, int64_t *run_id) {
    int tty = isatty(STDOUT_FILENO);
    *a = (QueryArgs){.db_path = CLI_DEFAULT_DB,
                     .fmt = tty ? STORE_FORMAT_TABLE : STORE_FORMAT_CSV,
                     .max_width = tty ? 60 : 0,
                     .by = "qed",
                     .n = 20,
                     .timeout = 60};
    /* `run -5` would reach getopt as an option: say what is wrong with it instead */
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "run") && argv[i + 1][0] == '-' &&
            isdigit((unsigned char)argv[i + 1][1]))
            return cli_usage_error(
                COMMAND.name, "run N: N is a run id (a positive number), got '%s'", argv[i + 1]);
    int rc = cli_options_parse(&COMMAND, argc, argv, a, first);
    if (rc) return rc;
    if (a->timeout < 0) return cli_usage_error(COMMAND.name, "--timeout must be >= 0 seconds");
    return check_operands(argc - *first, argv + *first, run_id);
}

/* Prints one part of a multi-part view. `first` tells whether a separator is due. */
static CvStatus print_part(const QueryArgs *a, const char *name, const StoreTable *t, int first,
                           CvError *err) {
    switch (a->fmt) {
    case STORE_FORMAT_TABLE:
        printf("%s== %s\n", first ? "" : "\n", name);
        break;
    case STORE_FORMAT_CSV:
        printf("%s# %s\n", first ? "" : "\n", name);
        break;
    case STORE_FORMAT_JSON:
        printf("%s\"%s\": ", first ? "{" : ",\n", name);
        break;
    }
    return cv_store_print_table(stdout, t, a->fmt, (size_t)a->max_width, err);
}

static void end_parts(const QueryArgs *a) {
    if (a->fmt == STORE_FORMAT_JSON) printf("}\n");
}

static CvStatus view_run(Store *db, const QueryArgs *a, int64_t run_id, CvError *err) {
    static const struct {
        const char *name, *json_name;
        CvStatus (*fn)(Store *, int64_t, StoreTable *, CvError *);
    } PARTS[] = {
        {"counts", "counts", cv_store_run_counts},
        {"training (rows, epochs and last row per split)", "training", cv_store_training_summary},
        {"eval_metrics", "eval_metrics", cv_store_eval_metrics},
    };
    StoreTable t = {0};
    CvStatus status = cv_store_get_run(db, run_id, &t, err);
    if (!status && t.nrow == 0)
        status = cv_error_set(err, CV_ERR_INVALID, "%s: no run with id %lld", cv_store_path(db),
                              (long long)run_id);
    if (!status) status = print_part(a, "run", &t, 1, err);
    for (size_t i = 0; !status && i < sizeof PARTS / sizeof *PARTS; i++) {
        cv_store_table_free(&t);
        status = PARTS[i].fn(db, run_id, &t, err);
        const char *name = a->fmt == STORE_FORMAT_JSON ? PARTS[i].json_name : PARTS[i].name;
        if (!status) status = print_part(a, name, &t, 0, err);
    }
    if (!status) end_parts(a);
    cv_store_table_free(&t);
    return status;
}

static CvStatus view_molecule(Store *db, const QueryArgs *a, const char *smiles, CvError *err) {
    char *canonical = cv_chem_canonical(smiles);
    if (!canonical) return cv_error_set(err, CV_ERR_INVALID, "invalid SMILES '%s'", smiles);
    StoreTable t = {0};
    CvStatus status = cv_store_find_molecule(db, canonical, &t, err);
    if (!status && t.nrow == 0)
        status = cv_error_set(err, CV_ERR_EMPTY, "%s: %s (canonical %s) is not in the database",
                              cv_store_path(db), smiles, canonical);
    int64_t id = status ? 0 : t.cells[cv_store_table_col(&t, "id")].i;
    if (!status) status = print_part(a, "molecule", &t, 1, err);
    cv_store_table_free(&t);
    if (!status) status = cv_store_molecule_origins(db, id, &t, err);
    if (!status) status = print_part(a, "origins (run, method)", &t, 0, err);
    if (!status) end_parts(a);
    cv_store_table_free(&t);
    free(canonical);
    return status;
}

/* Raw SQL: CSV and JSON stream; a table is collected first. */
static CvStatus run_sql(Store *db, const QueryArgs *a, const char *sql, CvError *err) {
    if (a->fmt == STORE_FORMAT_TABLE) {
        StoreTable t = {0};
        CvStatus status = cv_store_select(db, sql, a->params.v, a->params.n, &t, err);
        if (!status) status = cv_store_print_table(stdout, &t, a->fmt, (size_t)a->max_width, err);
        cv_store_table_free(&t);
        return status;
    }
    StorePrinter p;
    cv_store_printer_init(&p, stdout, a->fmt);
    CvStatus status =
        cv_store_select_each(db, sql, a->params.v, a->params.n, cv_store_printer_row, &p, err);
    CvStatus end = cv_store_printer_end(&p, status ? NULL : err);
    return status ? status : end;
}

/* A one-table view: top, runs or schema. */
static CvStatus print_view(Store *db, const QueryArgs *a, const char *view, CvError *err) {
    StoreTable t = {0};
    CvStatus status;
    if (!strcmp(view, "top"))
        status = cv_store_top_molecules(db, a->by, (size_t)a->n, a->asc, a->run, &t, err);
    else if (!strcmp(view, "runs")) status = cv_store_list_runs(db, &t, err);
    else status = cv_store_list_schema(db, &t, err);
    if (!status) status = cv_store_print_table(stdout, &t, a->fmt, (size_t)a->max_width, err);
    cv_store_table_free(&t);
    return status;
}

int cmd_query(int argc, char **argv) {
    QueryArgs a;
    int first = argc;
    int64_t run_id = 0;
    int rc = parse_args(argc, argv, &a, &first, &run_id);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    const char *view = argv[first];
    Store *db = NULL;
    CvError err = {0};
    CvStatus status = cv_store_open(a.db_path, STORE_READ_ONLY, &db, &err);
    if (status) return cli_report(COMMAND.name, &err);
    if (cv_store_is_immutable(db))
        fprintf(stderr, "chemvae query: %s is on read-only media: read as immutable\n", a.db_path);
    cv_store_set_query_timeout(db, a.timeout);
    if (!strcmp(view, "top") || !strcmp(view, "runs") || !strcmp(view, "schema"))
        status = print_view(db, &a, view, &err);
    else if (!strcmp(view, "run")) status = view_run(db, &a, run_id, &err);
    else if (!strcmp(view, "molecule")) status = view_molecule(db, &a, argv[first + 1], &err);
    else status = run_sql(db, &a, view, &err);
    cv_store_close(db);
    return status ? cli_report(COMMAND.name, &err) : CLI_OK;
}
