/* cmd_query.c — `chemvae query`: read-only access to the results database.
 *
 *   chemvae query [--db PATH] [--format table|csv|json] "SELECT ..." [--param V]...
 *   chemvae query top [--by qed|logp|sa|penalized_logp|mw] [-n 20] [--asc] [--run N]
 *   chemvae query similar SMILES [-k 10] [--min T] | substruct SMARTS [-n 20]
 *   chemvae query runs | run N | molecule SMILES | schema
 *
 * The views and their settings are the query job's (app_query.h), the reads and printing
 * the store's (store.h; the DB is opened read-only); this file parses the options. Output: an
 * aligned table when stdout is a terminal, CSV otherwise; --format/--json/--csv choose explicitly.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/app/app_query.h"
#include "cli.h"
#include "options.h"

typedef struct {
    const char *db_path;
    StoreFormat fmt;
    long max_width;
    CvQueryConfig job;
    char **pos; /* the operands: a view and its argument, or the SQL */
} QueryArgs;

#define F(field) offsetof(QueryArgs, field)
static const CvParam OPTS[] = {
    CV_PARAM("db", 0, CV_PARAM_STRING, F(db_path), "FILE",
             "results database (default " CLI_DEFAULT_DB
             ", or a\npostgresql:// URI), opened read-only"),
    CV_PARAM("format", 0, CV_PARAM_STORE_FORMAT, F(fmt), "F",
             "table | csv | json | sdf | smi (default: table on a\nterminal, else csv)"),
    CV_PARAM("csv", 0, CV_PARAM_STORE_FORMAT_SWITCH, F(fmt), NULL, "shorthand for --format csv"),
    CV_PARAM("json", 0, CV_PARAM_STORE_FORMAT_SWITCH, F(fmt), NULL, "shorthand for --format json"),
    CV_PARAM("max-width", 0, CV_PARAM_LONG, F(max_width), "N",
             "cut table cells to N characters (default 60 on a terminal,\n0 = never)"),
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
                "       chemvae query [options] scores N      run N's --scorer values\n"
                "       chemvae query [options] schema        tables and their SQL",
    .tables = {{&OPTS_TABLE, 0}, {&cv_query_params, offsetof(QueryArgs, job)}},
    .epilog = "SQL functions (SQLite): mol_valid(s) canonical(s) mw(s) logp(s) qed(s) sa(s)\n"
              "penalized_logp(s) morgan_fp(s) tanimoto(a, b) has_substruct(s, smarts); NULL on "
              "invalid input.\n"
              "similar: Tanimoto of the stored Morgan fingerprints (radius 2, 2048 bits).\n"
              "Example: chemvae query \"SELECT smiles, qed FROM molecules WHERE "
              "has_substruct(smiles, 'c1ccccc1') ORDER BY qed DESC LIMIT 5\"\n"
              "On PostgreSQL: its own SQL, with the RDKit cartridge's functions where installed.\n",
    .max_operands = -1};

/* The operands: a view (with its argument) or one SQL statement. */
static int check_operands(const QueryArgs *a, int npos) {
    const char *cmd = COMMAND.name, *arg = NULL;
    if (npos < 1)
        return cli_usage_error(cmd, "give an SQL statement or a view (%s)", cv_query_views_text());
    int view = cv_query_is_view(a->pos[0], &arg);
    if (view && npos != 1 + (arg != NULL))
        return cli_usage_error(cmd, "usage: chemvae query %s%s%s", a->pos[0], arg ? " " : "",
                               arg ? arg : "");
    long id;
    CvError err = {0};
    if (view && !strcmp(a->pos[0], "run") &&
        cv_param_read_long("run N: N", a->pos[1], LONG_MAX, &id, &err))
        return cli_usage_error(cmd, "%s", err.msg);
    if (!view && npos != 1)
        return cli_usage_error(
            cmd, "one SQL statement or view expected, got %d arguments (quote the SQL)", npos);
    return CLI_OK;
}

static int parse_args(int argc, char **argv, QueryArgs *a) {
    int tty = isatty(STDOUT_FILENO), first = argc;
    *a = (QueryArgs){.db_path = CLI_DEFAULT_DB, .job = CV_QUERY_DEFAULTS};
    a->fmt = tty ? STORE_FORMAT_TABLE : STORE_FORMAT_CSV;
    a->max_width = tty ? 60 : 0;
    /* `run -5` would reach getopt as an option: say what is wrong with it instead */
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "run") && argv[i + 1][0] == '-' &&
            isdigit((unsigned char)argv[i + 1][1]))
            return cli_usage_error(
                COMMAND.name, "run N: N is a run id (a positive number), got '%s'", argv[i + 1]);
    int rc = cli_options_parse(&COMMAND, argc, argv, a, &first);
    a->pos = argv + first;
    return rc ? rc : check_operands(a, argc - first);
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
    cv_store_set_query_timeout(db, a.job.timeout);
    StoreView v = {.n = 1}; /* a one-table view unless the read says otherwise */
    const char *arg = NULL;
    if (!cv_query_is_view(a.pos[0], &arg))
        st = cv_query_print_sql(stdout, db, &a.job, a.pos[0], a.fmt, (size_t)a.max_width, &err);
    else if (!(st = cv_query_read_view(db, &a.job, a.pos[0], arg ? a.pos[1] : NULL, &v, &err)))
        st = cv_store_print_view(stdout, &v, a.fmt, (size_t)a.max_width, &err);
    cv_store_view_free(&v);
    cv_store_close(db);
    return st ? cli_report(COMMAND.name, &err) : CLI_OK;
}
