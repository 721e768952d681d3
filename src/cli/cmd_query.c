/* cmd_query.c — `chemvae query`: read-only access to the results database.
 *
 *   chemvae query [--db PATH] [--format table|csv|json] "SELECT ..." [--param V]...
 *   chemvae query top [--by qed|logp|sa|penalized_logp|mw] [-n 20] [--asc] [--run N]
 *   chemvae query runs | run N | molecule SMILES | schema
 *
 * The DB is opened with STORE_READ_ONLY (SQLITE_OPEN_READONLY + query_only + an
 * authorizer), and every statement must pass sqlite3_stmt_readonly, so no query can change
 * it. Output: an aligned table when stdout is a terminal, CSV otherwise (chemvae's
 * default for results on stdout); --format/--json/--csv choose explicitly. CSV and JSON of
 * raw SQL stream row by row; tables are collected first to size the columns. Views with
 * several parts (run N, molecule) print each part under a "== name" line (table), after a
 * "# name" line (CSV), or as the members of one JSON object. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/chem.h"
#include "chemvae/store.h"
#include "cli.h"

int cmd_query(int argc, char **argv); /* called by main.c */

static const char *CMD = "query";

static void usage(FILE *out) {
    fprintf(out,
            "usage: chemvae query [options] \"SQL\"        one read-only SQL statement\n"
            "       chemvae query [options] top           best molecules by a score\n"
            "       chemvae query [options] runs          every run with its counts\n"
            "       chemvae query [options] run N         one run: row, counts, metrics\n"
            "       chemvae query [options] molecule SMILES   a molecule and where it came from\n"
            "       chemvae query [options] schema        tables and their SQL\n"
            "\n"
            "options:\n"
            "  --db PATH          results database (default %s), opened read-only\n"
            "  --format F         table | csv | json (default: table on a terminal, else csv)\n"
            "  --csv, --json      shorthands for --format csv / json\n"
            "  --max-width N      cut table cells to N characters (default 60 on a terminal,\n"
            "                     0 = never)\n"
            "  -p, --param V      bind V to the next ?N of the SQL (repeatable)\n"
            "  --by COL           top: mw | logp | qed | sa | penalized_logp (default qed)\n"
            "  -n N               top: number of molecules (default 20)\n"
            "  --asc              top: lowest first (e.g. --by sa --asc)\n"
            "  --run N            top: only molecules run N generated\n"
            "  --timeout S        stop a statement after S seconds (default 60; 0 = never)\n"
            "  -h, --help         this help\n"
            "\n"
            "SQL functions: mol_valid(s) canonical(s) mw(s) logp(s) qed(s) sa(s)\n"
            "penalized_logp(s) tanimoto(a, b) has_substruct(s, smarts); NULL on invalid input.\n"
            "Example: chemvae query \"SELECT smiles, qed FROM molecules WHERE "
            "has_substruct(smiles, 'c1ccccc1') ORDER BY qed DESC LIMIT 5\"\n",
            CLI_DEFAULT_DB);
}

typedef struct {
    const char *db_path;
    StoreFormat fmt;
    size_t max_width;
    const char *by;
    long n;
    int asc;
    long run;
    StoreValue params[32];
    size_t nparams;
} Options;

/* Prints one part of a multi-part view. `first` tells whether a separator is due. */
static CvStatus print_part(const Options *o, const char *name, const StoreTable *t, int first,
                           CvError *err) {
    switch (o->fmt) {
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
    return store_print_table(stdout, t, o->fmt, o->max_width, err);
}

static void end_parts(const Options *o) {
    if (o->fmt == STORE_FORMAT_JSON) printf("}\n");
}

static CvStatus view_run(Store *db, const Options *o, int64_t run_id, CvError *err) {
    StoreTable t = {0};
    CvStatus status = store_get_run(db, run_id, &t, err);
    if (status) return status;
    if (t.nrow == 0) {
        store_table_free(&t);
        return cv_error_set(err, CV_ERR_INVALID, "%s: no run with id %lld", store_path(db),
                            (long long)run_id);
    }
    static const struct {
        const char *name;
        CvStatus (*fn)(Store *, int64_t, StoreTable *, CvError *);
    } PARTS[] = {
        {"counts", store_run_counts},
        {"training (rows, epochs and last row per split)", store_training_summary},
        {"eval_metrics", store_eval_metrics},
    };
    status = print_part(o, "run", &t, 1, err);
    for (size_t i = 0; !status && i < sizeof PARTS / sizeof *PARTS; i++) {
        store_table_free(&t);
        status = PARTS[i].fn(db, run_id, &t, err);
        if (!status) {
            /* JSON keys are the short names. */
            const char *name = PARTS[i].name;
            if (o->fmt == STORE_FORMAT_JSON && !strncmp(name, "training", 8)) name = "training";
            status = print_part(o, name, &t, 0, err);
        }
    }
    if (!status) end_parts(o);
    store_table_free(&t);
    return status;
}

static CvStatus view_molecule(Store *db, const Options *o, const char *smiles, CvError *err) {
    char *canonical = chem_canonical(smiles);
    if (!canonical) return cv_error_set(err, CV_ERR_INVALID, "invalid SMILES '%s'", smiles);
    StoreTable t = {0};
    CvStatus status = store_find_molecule(db, canonical, &t, err);
    if (status) goto fail;
    if (t.nrow == 0) {
        status = cv_error_set(err, CV_ERR_EMPTY, "%s: %s (canonical %s) is not in the database",
                              store_path(db), smiles, canonical);
        goto fail;
    }
    int64_t id = t.cells[store_table_col(&t, "id")].i;
    status = print_part(o, "molecule", &t, 1, err);
    store_table_free(&t);
    if (!status) status = store_molecule_origins(db, id, &t, err);
    if (!status) status = print_part(o, "origins (run, method)", &t, 0, err);
    if (!status) end_parts(o);
fail:
    store_table_free(&t);
    free(canonical);
    return status;
}

/* Raw SQL: CSV and JSON stream; a table is collected first. */
static CvStatus run_sql(Store *db, const Options *o, const char *sql, CvError *err) {
    if (o->fmt == STORE_FORMAT_TABLE) {
        StoreTable t = {0};
        CvStatus status = store_select(db, sql, o->params, o->nparams, &t, err);
        if (!status) status = store_print_table(stdout, &t, o->fmt, o->max_width, err);
        store_table_free(&t);
        return status;
    }
    StorePrinter p;
    store_printer_init(&p, stdout, o->fmt);
    CvStatus status = store_select_each(db, sql, o->params, o->nparams, store_printer_row, &p, err);
    CvStatus end = store_printer_end(&p, status ? NULL : err);
    return status ? status : end;
}

static CvStatus print_view(Store *db, const Options *o,
                           CvStatus (*fn)(Store *, StoreTable *, CvError *), CvError *err) {
    StoreTable t = {0};
    CvStatus status = fn(db, &t, err);
    if (!status) status = store_print_table(stdout, &t, o->fmt, o->max_width, err);
    store_table_free(&t);
    return status;
}

static CvStatus print_view_top(Store *db, const Options *o, CvError *err) {
    StoreTable t = {0};
    CvStatus status = store_top_molecules(db, o->by, (size_t)o->n, o->asc, o->run, &t, err);
    if (!status) status = store_print_table(stdout, &t, o->fmt, o->max_width, err);
    store_table_free(&t);
    return status;
}

static CvStatus list_schema(Store *db, StoreTable *t, CvError *err) {
    return store_select(db,
                        "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE "
                        "'sqlite_%' ORDER BY type DESC, name",
                        NULL, 0, t, err);
}

int cmd_query(int argc, char **argv) {
    enum {
        OPT_DB = 256,
        OPT_FORMAT,
        OPT_CSV,
        OPT_JSON,
        OPT_MAXW,
        OPT_BY,
        OPT_ASC,
        OPT_RUN,
        OPT_TIMEOUT
    };
    static const struct option LONG[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"csv", no_argument, NULL, OPT_CSV},
        {"json", no_argument, NULL, OPT_JSON},
        {"max-width", required_argument, NULL, OPT_MAXW},
        {"param", required_argument, NULL, 'p'},
        {"by", required_argument, NULL, OPT_BY},
        {"asc", no_argument, NULL, OPT_ASC},
        {"run", required_argument, NULL, OPT_RUN},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int tty = isatty(STDOUT_FILENO);
    Options o = {.db_path = CLI_DEFAULT_DB,
                 .fmt = tty ? STORE_FORMAT_TABLE : STORE_FORMAT_CSV,
                 .max_width = tty ? 60 : 0,
                 .by = "qed",
                 .n = 20};
    long v;
    int c;
    char key[24];
    double timeout = 60;
    /* `run -5` would reach getopt as an option: say what is wrong with it instead */
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "run") && argv[i + 1][0] == '-' &&
            isdigit((unsigned char)argv[i + 1][1]))
            return cli_usage_error(CMD, "run N: N is a run id (a positive number), got '%s'",
                                   argv[i + 1]);
    optind = 1;
    while ((c = getopt_long(argc, argv, "hn:p:", LONG, NULL)) != -1) {
        switch (c) {
        case OPT_DB:
            o.db_path = optarg;
            break;
        case OPT_FORMAT:
            if (store_format_parse(optarg, &o.fmt))
                return cli_usage_error(CMD, "--format expects table, csv or json, got '%s'",
                                       optarg);
            break;
        case OPT_CSV:
            o.fmt = STORE_FORMAT_CSV;
            break;
        case OPT_JSON:
            o.fmt = STORE_FORMAT_JSON;
            break;
        case OPT_MAXW:
            if (cli_parse_long(CMD, "--max-width", optarg, &v)) return CLI_USAGE;
            o.max_width = (size_t)v;
            break;
        case 'p':
            if (o.nparams == sizeof o.params / sizeof *o.params)
                return cli_usage_error(CMD, "at most %zu --param values",
                                       sizeof o.params / sizeof *o.params);
            o.params[o.nparams++] = (StoreValue){.type = STORE_TEXT, .s = optarg};
            break;
        case OPT_BY:
            snprintf(key, sizeof key, " %s ", optarg);
            if (strlen(optarg) > 16 || !strstr(" mw logp qed sa penalized_logp ", key))
                return cli_usage_error(CMD,
                                       "--by expects mw, logp, qed, sa or penalized_logp, "
                                       "got '%s'",
                                       optarg);
            o.by = optarg;
            break;
        case 'n':
            if (cli_parse_long(CMD, "-n", optarg, &o.n)) return CLI_USAGE;
            break;
        case OPT_ASC:
            o.asc = 1;
            break;
        case OPT_RUN:
            if (cli_parse_long(CMD, "--run", optarg, &o.run)) return CLI_USAGE;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_double(CMD, "--timeout", optarg, &timeout)) return CLI_USAGE;
            if (timeout < 0) return cli_usage_error(CMD, "--timeout must be >= 0 seconds");
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            return cli_usage_error(CMD, "unknown option");
        }
    }
    int npos = argc - optind;
    char **pos = argv + optind;
    if (npos < 1)
        return cli_usage_error(CMD, "give an SQL statement or a view (top, runs, run N, "
                                    "molecule SMILES, schema)");
    const char *view = pos[0];
    int64_t run_id = 0;
    if (!strcmp(view, "run")) {
        if (npos != 2 || cli_parse_long(CMD, "run", pos[1], &v)) {
            if (npos != 2) cli_usage_error(CMD, "usage: chemvae query run N");
            return CLI_USAGE;
        }
        run_id = v;
    } else if (!strcmp(view, "molecule")) {
        if (npos != 2) return cli_usage_error(CMD, "usage: chemvae query molecule SMILES");
    } else if (npos != 1) {
        return cli_usage_error(CMD,
                               "one SQL statement or view expected, got %d arguments "
                               "(quote the SQL)",
                               npos);
    }

    Store *db = NULL;
    CvError err = {0};
    CvStatus status = store_open(o.db_path, STORE_READ_ONLY, &db, &err);
    if (status) return cli_report(CMD, &err);
    if (store_is_immutable(db))
        fprintf(stderr, "chemvae query: %s is on read-only media: read as immutable\n", o.db_path);
    store_set_query_timeout(db, timeout);
    if (!strcmp(view, "top")) status = print_view_top(db, &o, &err);
    else if (!strcmp(view, "runs")) status = print_view(db, &o, store_list_runs, &err);
    else if (!strcmp(view, "schema")) status = print_view(db, &o, list_schema, &err);
    else if (!strcmp(view, "run")) status = view_run(db, &o, run_id, &err);
    else if (!strcmp(view, "molecule")) status = view_molecule(db, &o, pos[1], &err);
    else status = run_sql(db, &o, view, &err);
    store_close(db);
    return status ? cli_report(CMD, &err) : CLI_OK;
}
