/* select.c — reading the results DB: one read-only statement at a time, streamed row by row
 * to a callback (cv_store_select_each) or collected into a StoreTable (cv_store_select), plus
 * the canned reads of the query command, and its views (several canned reads as one
 * StoreView; the reads of one run are run_read.c's).
 *
 * Read-only is enforced three ways, because each alone has a hole: sqlite3_stmt_readonly()
 * calls ATTACH/DETACH read-only (they change the connection, not a file); a read-only
 * connection still lets `PRAGMA query_only = 0` or a TEMP table through; and the
 * authorizer alone would trust our list of actions. So cv_store_select_each refuses a
 * statement unless stmt_readonly says read-only AND the authorizer (installed during
 * prepare on a read-write connection, permanently on a read-only one) allowed every
 * action in it. `chemvae query` additionally opens the file with SQLITE_OPEN_READONLY.
 *
 * StoreTable layout: names (ncol) and cells (nrow * ncol, row-major); every TEXT/BLOB cell
 * owns a malloc'd copy of its bytes, grown by doubling `cap` rows. */
#include "store_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include "chemvae/chem/chem.h"

/* ---- the read-only authorizer ------------------------------------------------------- */

/* Pragmas that only report something, whatever their argument (a table or index name). */
static const char *const PRAGMAS_WITH_ARG[] = {
    "table_info",       "table_xinfo",       "index_list",      "index_info",  "index_xinfo",
    "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
};
/* Pragmas that report a value when given no argument (and set it when given one). */
static const char *const PRAGMAS_NO_ARG[] = {
    "user_version",   "application_id", "schema_version", "page_count",      "page_size",
    "freelist_count", "journal_mode",   "encoding",       "compile_options", "function_list",
    "table_list",     "database_list",  "collation_list", "module_list",     "pragma_list",
    "data_version",   "foreign_keys",   "query_only",
};

static int in_list(const char *name, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (name && !strcasecmp(name, list[i])) return 1;
    return 0;
}

int cv_store_readonly_authorizer(void *ctx, int action, const char *a1, const char *a2,
                                 const char *a3, const char *a4) {
    (void)a3;
    (void)a4;
    Store *s = ctx;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_UPDATE:
        /* Reading an eponymous virtual table (pragma_table_info(...), json_each(...))
         * registers it in the in-memory schema, which SQLite reports as an update of
         * sqlite_master. A real UPDATE of sqlite_master is refused by SQLite itself and
         * by the stmt_readonly check. */
        if (a1 && !strcmp(a1, "sqlite_master")) return SQLITE_OK;
        break;
    case SQLITE_FUNCTION:
        if (a2 && !strcasecmp(a2, "load_extension")) break;
        return SQLITE_OK;
    case SQLITE_PRAGMA:
        if (in_list(a1, PRAGMAS_WITH_ARG, sizeof PRAGMAS_WITH_ARG / sizeof *PRAGMAS_WITH_ARG))
            return SQLITE_OK;
        if (!a2 && in_list(a1, PRAGMAS_NO_ARG, sizeof PRAGMAS_NO_ARG / sizeof *PRAGMAS_NO_ARG))
            return SQLITE_OK;
        snprintf(s->denied, sizeof s->denied, "PRAGMA %s%s%s", a1 ? a1 : "", a2 ? " = " : "",
                 a2 ? a2 : "");
        return SQLITE_DENY;
    default:
        break;
    }
    static const struct {
        int action;
        const char *name;
    } NAMES[] = {
        {SQLITE_INSERT, "INSERT"},
        {SQLITE_UPDATE, "UPDATE"},
        {SQLITE_DELETE, "DELETE"},
        {SQLITE_ATTACH, "ATTACH"},
        {SQLITE_DETACH, "DETACH"},
        {SQLITE_DROP_TABLE, "DROP TABLE"},
        {SQLITE_CREATE_TABLE, "CREATE TABLE"},
        {SQLITE_ALTER_TABLE, "ALTER TABLE"},
        {SQLITE_TRANSACTION, "a transaction"},
        {SQLITE_SAVEPOINT, "SAVEPOINT"},
        {SQLITE_FUNCTION, "load_extension()"},
    };
    const char *what = "a statement that changes the database";
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++)
        if (NAMES[i].action == action) what = NAMES[i].name;
    if (a1 && (!strcmp(a1, "sqlite_master") || !strcmp(a1, "sqlite_temp_master")))
        what = "a schema change (CREATE, DROP or ALTER)";
    snprintf(s->denied, sizeof s->denied, "%s", what);
    return SQLITE_DENY;
}

/* ---- statements ------------------------------------------------------------------------ */

static int only_space_or_comments(const char *p) {
    while (*p) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ';') p++;
        else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n') p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            if (!end) return 1; /* an unterminated comment runs to the end */
            p = end + 2;
        } else return 0;
    }
    return 1;
}

static CvStatus prepare_readonly(Store *s, const char *sql, sqlite3_stmt **out, CvError *err) {
    const char *tail = NULL;
    *out = NULL;
    s->denied[0] = '\0';
    if (!s->read_only) sqlite3_set_authorizer(s->db, cv_store_readonly_authorizer, s);
    int rc = sqlite3_prepare_v2(s->db, sql, -1, out, &tail);
    if (!s->read_only) sqlite3_set_authorizer(s->db, NULL, NULL);
    if (rc == SQLITE_AUTH || (rc != SQLITE_OK && s->denied[0]))
        return cv_error_set(err, CV_ERR_INVALID, "%s: refused: %s (queries are read-only)", s->path,
                            s->denied[0] ? s->denied : "not authorized");
    if (rc != SQLITE_OK) return cv_store_db_error(s, err, rc, "query");
    if (!*out) return cv_error_set(err, CV_ERR_INVALID, "%s: empty query", s->path);
    if (tail && !only_space_or_comments(tail))
        return cv_error_set(err, CV_ERR_INVALID,
                            "%s: one statement per query, found more after: '%.60s'", s->path,
                            tail);
    if (!sqlite3_stmt_readonly(*out))
        return cv_error_set(err, CV_ERR_INVALID,
                            "%s: refused: the statement would change the database (queries are "
                            "read-only): '%.80s'",
                            s->path, sql);
    return CV_OK;
}

static void column_value(sqlite3_stmt *st, int c, StoreValue *v) {
    memset(v, 0, sizeof *v);
    switch (sqlite3_column_type(st, c)) {
    case SQLITE_INTEGER:
        v->type = STORE_INT;
        v->i = sqlite3_column_int64(st, c);
        v->d = (double)v->i;
        break;
    case SQLITE_FLOAT:
        v->type = STORE_REAL;
        v->d = sqlite3_column_double(st, c);
        break;
    case SQLITE_TEXT:
        v->type = STORE_TEXT;
        v->s = (const char *)sqlite3_column_text(st, c);
        v->len = (size_t)sqlite3_column_bytes(st, c);
        break;
    case SQLITE_BLOB:
        v->type = STORE_BLOB;
        v->s = sqlite3_column_blob(st, c);
        v->len = (size_t)sqlite3_column_bytes(st, c);
        break;
    default:
        v->type = STORE_NULL;
        break;
    }
}

static double monotonic_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* SQLite's progress handler: a non-zero return interrupts the statement. */
static int past_deadline(void *ctx) {
    const Store *s = ctx;
    return monotonic_seconds() > s->query_deadline;
}

CvStatus cv_store_select_each(Store *s, const char *sql, const StoreValue *params, size_t nparams,
                              StoreRowFn fn, void *ctx, CvError *err) {
    if (s->pg) return store_pg_select_each(s, sql, params, nparams, fn, ctx, err);
    sqlite3_stmt *st = NULL;
    if (s->query_timeout > 0) {
        s->query_deadline = monotonic_seconds() + s->query_timeout;
        sqlite3_progress_handler(s->db, 10000, past_deadline, s);
    }
    const char **names = NULL;
    StoreValue *vals = NULL;
    CvStatus status = prepare_readonly(s, sql, &st, err);
    if (status) goto fail;
    if ((int)nparams != sqlite3_bind_parameter_count(st)) {
        status = cv_error_set(err, CV_ERR_INVALID, "%s: query takes %d parameters, %zu given",
                              s->path, sqlite3_bind_parameter_count(st), nparams);
        goto fail;
    }
    for (size_t i = 0; i < nparams; i++) store_bind_value(st, (int)i + 1, &params[i]);
    size_t ncol = (size_t)sqlite3_column_count(st);
    names = calloc(ncol + 1, sizeof *names);
    vals = calloc(ncol + 1, sizeof *vals);
    if (!names || !vals) {
        status = cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", s->path);
        goto fail;
    }
    for (size_t c = 0; c < ncol; c++) names[c] = sqlite3_column_name(st, (int)c);
    size_t nrow = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (size_t c = 0; c < ncol; c++) column_value(st, (int)c, &vals[c]);
        nrow++;
        if (fn(ctx, ncol, names, vals)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc == SQLITE_INTERRUPT && s->query_timeout > 0) {
        status = cv_error_set(err, CV_ERR_DB,
                              "%s: query stopped after %g s (the time limit; "
                              "--timeout changes it)",
                              s->path, s->query_timeout);
        goto fail;
    }
    if (rc != SQLITE_DONE) {
        status = cv_store_db_error(s, err, rc, "query");
        goto fail;
    }
    if (nrow == 0) fn(ctx, ncol, names, NULL);
fail:
    if (s->query_timeout > 0) sqlite3_progress_handler(s->db, 0, NULL, NULL);
    free(names);
    free(vals);
    sqlite3_finalize(st);
    return status;
}

/* ---- StoreTable -------------------------------------------------------------------------- */

void cv_store_table_free(StoreTable *t) {
    if (!t) return;
    for (size_t c = 0; t->names && c < t->ncol; c++) free(t->names[c]);
    for (size_t k = 0; t->cells && k < t->nrow * t->ncol; k++) free((char *)t->cells[k].s);
    free(t->names);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

int cv_store_table_col(const StoreTable *t, const char *name) {
    for (size_t c = 0; c < t->ncol; c++)
        if (!strcmp(t->names[c], name)) return (int)c;
    return -1;
}

double cv_store_table_real(const StoreTable *t, size_t row, size_t col) {
    const StoreValue *v = &t->cells[row * t->ncol + col];
    return v->type == STORE_REAL || v->type == STORE_INT ? v->d : NAN;
}

typedef struct {
    StoreTable *t;
    int failed;
} Collect;

static int collect_row(void *ctx, size_t ncol, const char *const *names, const StoreValue *vals) {
    Collect *cl = ctx;
    StoreTable *t = cl->t;
    if (!t->names) {
        if (!(t->names = calloc(ncol + 1, sizeof *t->names))) goto oom;
        t->ncol = ncol;
        for (size_t c = 0; c < ncol; c++)
            if (!(t->names[c] = strdup(names[c] ? names[c] : ""))) goto oom;
    }
    if (!vals) return 0;
    if (t->nrow == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        StoreValue *cells = realloc(t->cells, cap * (ncol ? ncol : 1) * sizeof *cells);
        if (!cells) goto oom;
        t->cells = cells;
        t->cap = cap;
    }
    StoreValue *row = &t->cells[t->nrow * ncol];
    for (size_t c = 0; c < ncol; c++) {
        row[c] = vals[c];
        row[c].s = NULL;
    }
    t->nrow++; /* counted before copying so cv_store_table_free frees a half-copied row */
    for (size_t c = 0; c < ncol; c++) {
        if (vals[c].type != STORE_TEXT && vals[c].type != STORE_BLOB) continue;
        char *copy = malloc(vals[c].len + 1);
        if (!copy) goto oom;
        if (vals[c].len) memcpy(copy, vals[c].s, vals[c].len);
        copy[vals[c].len] = '\0';
        row[c].s = copy;
    }
    return 0;
oom:
    cl->failed = 1;
    return 1;
}

CvStatus cv_store_select(Store *s, const char *sql, const StoreValue *params, size_t nparams,
                         StoreTable *out, CvError *err) {
    memset(out, 0, sizeof *out);
    Collect cl = {out, 0};
    CvStatus status = cv_store_select_each(s, sql, params, nparams, collect_row, &cl, err);
    if (!status && cl.failed)
        status = cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", s->path);
    if (status) cv_store_table_free(out);
    return status;
}

/* ---- canned reads -------------------------------------------------------------------------- */

CvStatus store_select_by_id(Store *s, const char *sql, int64_t id, StoreTable *out, CvError *err) {
    StoreValue p = {.type = STORE_INT, .i = id};
    return cv_store_select(s, sql, &p, 1, out, err);
}

CvStatus cv_store_list_runs(Store *s, StoreTable *out, CvError *err) {
    return cv_store_select(
        s,
        "SELECT r.id, r.kind, r.status, r.started_at, r.finished_at, r.seed, r.parent, "
        "r.model_path, "
        "(SELECT count(*) FROM generations g WHERE g.run_id = r.id) AS generations, "
        "(SELECT count(*) FROM generations g WHERE g.run_id = r.id AND g.valid = 1) AS valid, "
        "(SELECT count(*) FROM molecules m WHERE m.first_run = r.id) AS new_molecules "
        "FROM runs r ORDER BY r.id DESC",
        NULL, 0, out, err);
}

const char *store_score_column(const char *column) {
    static const char *const COLUMNS[] = {"mw", "logp", "qed", "sa", "penalized_logp"};
    for (size_t i = 0; i < sizeof COLUMNS / sizeof *COLUMNS; i++)
        if (column && !strcmp(column, COLUMNS[i])) return COLUMNS[i];
    return NULL;
}

int cv_store_is_score_column(const char *column) {
    return store_score_column(column) != NULL;
}

CvStatus cv_store_top_molecules(Store *s, const char *column, size_t n, int ascending,
                                int64_t run_id, StoreTable *out, CvError *err) {
    const char *col = store_score_column(column);
    if (!col)
        return cv_error_set(err, CV_ERR_INVALID,
                            "unknown molecule column '%s' (mw, logp, qed, sa, penalized_logp)",
                            column ? column : "(null)");
    /* The column name comes from store_score_column's fixed list, never from the caller's text. */
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT id, smiles, mw, logp, qed, sa, penalized_logp, first_run FROM molecules "
             "WHERE ?2 <= 0 OR first_run = ?2 OR id IN (SELECT molecule_id FROM generations "
             "WHERE run_id = ?2) ORDER BY %s IS NULL, %s %s, id LIMIT ?1",
             col, col, ascending ? "ASC" : "DESC");
    StoreValue p[2] = {{.type = STORE_INT, .i = n > INT64_MAX ? INT64_MAX : (int64_t)n},
                       {.type = STORE_INT, .i = run_id}};
    return cv_store_select(s, sql, p, 2, out, err);
}

CvStatus cv_store_find_molecule(Store *s, const char *canonical_smiles, StoreTable *out,
                                CvError *err) {
    StoreValue p = {.type = STORE_TEXT, .s = canonical_smiles};
    return cv_store_select(s, "SELECT * FROM molecules WHERE smiles = ?1", &p, 1, out, err);
}

CvStatus cv_store_molecule_origins(Store *s, int64_t molecule_id, StoreTable *out, CvError *err) {
    return store_select_by_id(
        s,
        "SELECT g.run_id, r.kind, g.method, count(*) AS n, min(g.step) AS first_step, "
        "max(g.step) AS last_step, group_concat(DISTINCT g.source) AS sources, "
        "max(g.similarity) AS best_similarity FROM generations g JOIN runs r ON r.id = g.run_id "
        "WHERE g.molecule_id = ?1 GROUP BY g.run_id, g.method ORDER BY g.run_id, g.method",
        molecule_id, out, err);
}

CvStatus cv_store_list_schema(Store *s, StoreTable *out, CvError *err) {
    return cv_store_select(s,
                           s->pg ? STORE_PG_SCHEMA_SQL
                                 : "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE "
                                   "'sqlite_%' ORDER BY type DESC, name",
                           NULL, 0, out, err);
}

/* ---- views (store.h) ---------------------------------------------------------------------- */

void cv_store_view_free(StoreView *v) {
    for (size_t i = 0; i < v->n; i++) cv_store_table_free(&v->part[i]);
    memset(v, 0, sizeof *v);
}

/* Reads the next part of v: `which` of run run_id. */
static CvStatus view_part(Store *s, StoreView *v, const char *heading, const char *key,
                          StoreRunRead which, int64_t run_id, CvError *err) {
    v->heading[v->n] = heading;
    v->key[v->n] = key;
    return cv_store_run_read(s, which, run_id, &v->part[v->n++], err);
}

CvStatus cv_store_run_view(Store *s, int64_t run_id, StoreView *out, CvError *err) {
    memset(out, 0, sizeof *out);
    CvStatus st = view_part(s, out, "run", "run", STORE_READ_RUN, run_id, err);
    if (!st && out->part[0].nrow == 0)
        st = cv_error_set(err, CV_ERR_INVALID, "%s: no run with id %lld", s->path,
                          (long long)run_id);
    if (!st) st = view_part(s, out, "counts", "counts", STORE_READ_COUNTS, run_id, err);
    if (!st)
        st = view_part(s, out, "training (rows, epochs and last row per split)", "training",
                       STORE_READ_TRAINING_SUMMARY, run_id, err);
    if (!st)
        st =
            view_part(s, out, "eval_metrics", "eval_metrics", STORE_READ_EVAL_METRICS, run_id, err);
    return st;
}

CvStatus cv_store_molecule_view(Store *s, const char *smiles, StoreView *out, CvError *err) {
    memset(out, 0, sizeof *out);
    char *canonical = cv_chem_canonical(smiles);
    if (!canonical) return cv_error_set(err, CV_ERR_INVALID, "invalid SMILES '%s'", smiles);
    out->heading[0] = out->key[0] = "molecule";
    out->n = 1;
    CvStatus st = cv_store_find_molecule(s, canonical, &out->part[0], err);
    if (!st && out->part[0].nrow == 0)
        st = cv_error_set(err, CV_ERR_EMPTY, "%s: %s (canonical %s) is not in the database",
                          s->path, smiles, canonical);
    free(canonical);
    if (st) return st;
    int64_t id = out->part[0].cells[cv_store_table_col(&out->part[0], "id")].i;
    out->heading[1] = out->key[1] = "origins (run, method)";
    out->n = 2;
    return cv_store_molecule_origins(s, id, &out->part[1], err);
}
