/* store.c — opening the results DB, its schema and migrations, and every write.
 *
 * Opening: a read-write open creates the parent directories and the file, switches the DB
 * to WAL (persistent), sets synchronous=NORMAL, foreign_keys=ON and a busy timeout, checks
 * application_id/user_version, then migrates: MIGRATIONS[v] takes the schema from version
 * v to v+1, each step in its own BEGIN IMMEDIATE transaction that re-reads user_version
 * first, so two processes creating the same DB at once do not both apply a step. A DB from
 * a newer chemvae (user_version > STORE_SCHEMA_VERSION) is refused, never modified.
 * A read-only open uses SQLITE_OPEN_READONLY + PRAGMA query_only + an authorizer that
 * refuses writes, ATTACH and pragma assignments (see select.c), so a user's SQL cannot
 * change anything even through a statement sqlite3_stmt_readonly() calls read-only.
 *
 * Writes: every public write is one transaction (BEGIN IMMEDIATE ... COMMIT). IMMEDIATE
 * takes the write lock up front, so waiting for another writer goes through the busy
 * handler instead of failing later with a stale snapshot. On any error the transaction is
 * rolled back (if SQLite has not already done so, e.g. after SQLITE_FULL) and the error
 * names the DB, the batch and what happened to the data. Statements are prepared once and
 * cached in Store.st; values are always bound, never formatted into SQL.
 *
 * Why not one transaction per row: even with WAL + synchronous=NORMAL (no fsync per
 * commit), per-row commits of generations ran at 4-7k rows/s against 24-36k rows/s in
 * batches of 1024 (tests/bench/store.sh, 2 shared cores), and a crash mid-batch would leave
 * half a batch; callers group the rows that belong together (one decode batch). */
#include "store_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chemvae/chem/chem.h"
#include "chemvae/core/fileio.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "z blobs are stored as little-endian float32; add a byte swap for this target");

/* ---- schema ------------------------------------------------------------------------- */

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

/* MIGRATIONS[v]: SQL taking the schema from version v to v + 1. Append, never edit. */
static const char *const MIGRATIONS[STORE_SCHEMA_VERSION] = {
    /* 0 -> 1: the schema of src/store/README.md "Schema". */
    "CREATE TABLE runs(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  kind TEXT NOT NULL,\n"
    "  status TEXT NOT NULL DEFAULT 'running'\n"
    "    CHECK(status IN ('running','ok','failed','interrupted')),\n"
    "  started_at TEXT NOT NULL DEFAULT (" NOW_SQL "),\n"
    "  finished_at TEXT,\n"
    "  config TEXT CHECK(config IS NULL OR json_valid(config)),\n"
    "  model_path TEXT,\n"
    "  model_hash TEXT,\n"
    "  seed INTEGER,\n"
    "  parent INTEGER REFERENCES runs(id) ON DELETE SET NULL\n"
    ");\n"
    "CREATE TABLE molecules(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  smiles TEXT NOT NULL UNIQUE,\n"
    "  mw REAL, logp REAL, qed REAL, sa REAL, penalized_logp REAL,\n"
    "  first_run INTEGER REFERENCES runs(id) ON DELETE SET NULL\n"
    ");\n"
    "CREATE TABLE generations(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  method TEXT NOT NULL,\n"
    "  step INTEGER NOT NULL DEFAULT 0,\n"
    "  source TEXT,\n"
    "  raw_smiles TEXT NOT NULL,\n"
    "  valid INTEGER NOT NULL CHECK(valid IN (0, 1)),\n"
    "  molecule_id INTEGER REFERENCES molecules(id),\n"
    "  z BLOB,\n"
    "  predicted TEXT CHECK(predicted IS NULL OR json_valid(predicted)),\n"
    "  similarity REAL\n"
    ");\n"
    "CREATE INDEX generations_run ON generations(run_id, step);\n"
    "CREATE INDEX generations_molecule ON generations(molecule_id);\n"
    "CREATE INDEX molecules_first_run ON molecules(first_run);\n"
    "CREATE INDEX runs_parent ON runs(parent);\n"
    "CREATE TABLE training_metrics(\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  epoch INTEGER NOT NULL,\n"
    "  step INTEGER NOT NULL,\n"
    "  split TEXT NOT NULL,\n"
    "  loss REAL, recon REAL, kl REAL, prop REAL, beta REAL, lr REAL, accuracy REAL,\n"
    "  extra TEXT CHECK(extra IS NULL OR json_valid(extra))\n"
    ");\n"
    "CREATE INDEX training_metrics_run ON training_metrics(run_id, step);\n"
    "CREATE TABLE eval_metrics(\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  name TEXT NOT NULL,\n"
    "  value REAL,\n"
    "  PRIMARY KEY(run_id, name)\n"
    ") WITHOUT ROWID;\n",
    /* 1 -> 2: why each invalid generation failed (smiles_grammar.h's classes). */
    "ALTER TABLE generations ADD COLUMN failure TEXT CHECK(failure IS NULL OR failure IN "
    "('syntax','ring','valence','aromaticity','length','other'));\n",
    /* 2 -> 3: which process runs a run, so a killed one can be told from a live one. */
    "ALTER TABLE runs ADD COLUMN pid INTEGER;\n"
    "ALTER TABLE runs ADD COLUMN host TEXT;\n",
    /* 3 -> 4: each molecule's Morgan fingerprint (chem.h CHEM_FP_BYTES = 256 bytes) for
     * similarity search, computed for the molecules already stored (morgan_fp() is one of
     * the chemistry SQL functions, registered before migrating). */
    "ALTER TABLE molecules ADD COLUMN fp BLOB CHECK(fp IS NULL OR length(fp) = 256);\n"
    "UPDATE molecules SET fp = morgan_fp(smiles);\n",
    /* 4 -> 5: an external scorer's value of each molecule of a run (--scorer CMD). */
    "CREATE TABLE scores(\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  molecule_id INTEGER NOT NULL REFERENCES molecules(id),\n"
    "  name TEXT NOT NULL,\n"
    "  value REAL,\n"
    "  PRIMARY KEY(run_id, name, molecule_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX scores_molecule ON scores(molecule_id);\n",
};
_Static_assert(CHEM_FP_BYTES == 256, "MIGRATIONS[3] checks fp blobs of 256 bytes");

const char *const STORE_STMT_SQL[ST_COUNT] = {
    [ST_RUN_BEGIN] =
        "INSERT INTO runs(kind, config, model_path, model_hash, seed, parent, pid, host, "
        "started_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_RUN_FINISH] = "UPDATE runs SET status = ?2, finished_at = CASE WHEN ?2 = 'running' "
                      "THEN NULL ELSE ?3 END WHERE id = ?1 RETURNING id",
    [ST_RUN_EXISTS] = "SELECT 1 FROM runs WHERE id = ?1",
    [ST_RUNS_RUNNING_HERE] =
        "SELECT id, pid FROM runs WHERE status = 'running' AND pid IS NOT NULL "
        "AND host = ?1",
    [ST_MOL_UPSERT] =
        "INSERT INTO molecules(smiles, mw, logp, qed, sa, penalized_logp, first_run, fp) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(smiles) DO UPDATE SET "
        "mw = coalesce(molecules.mw, excluded.mw), "
        "logp = coalesce(molecules.logp, excluded.logp), "
        "qed = coalesce(molecules.qed, excluded.qed), sa = coalesce(molecules.sa, excluded.sa), "
        "penalized_logp = coalesce(molecules.penalized_logp, excluded.penalized_logp), "
        "fp = coalesce(molecules.fp, excluded.fp) "
        "WHERE (molecules.mw IS NULL AND excluded.mw IS NOT NULL) "
        "OR (molecules.logp IS NULL AND excluded.logp IS NOT NULL) "
        "OR (molecules.qed IS NULL AND excluded.qed IS NOT NULL) "
        "OR (molecules.sa IS NULL AND excluded.sa IS NOT NULL) "
        "OR (molecules.penalized_logp IS NULL AND excluded.penalized_logp IS NOT NULL) "
        "OR (molecules.fp IS NULL AND excluded.fp IS NOT NULL) "
        "RETURNING id",
    [ST_MOL_FIND] = "SELECT id FROM molecules WHERE smiles = ?1",
    /* id, negated when the row lacks its fingerprint or a score the caller has (?2..?6: 1) */
    [ST_MOL_LOOKUP] = "SELECT CASE WHEN fp IS NULL OR (mw IS NULL AND ?2 = 1) OR (logp IS NULL "
                      "AND ?3 = 1) OR (qed IS NULL AND ?4 = 1) OR (sa IS NULL AND ?5 = 1) OR "
                      "(penalized_logp IS NULL AND ?6 = 1) THEN -id ELSE id END FROM molecules "
                      "WHERE smiles = ?1",
    [ST_GEN_INSERT] = "INSERT INTO generations(run_id, method, step, source, raw_smiles, valid, "
                      "molecule_id, z, predicted, similarity, failure) "
                      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, coalesce(?7, (SELECT id FROM molecules "
                      "WHERE smiles = ?12)), ?8, ?9, ?10, ?11)",
    [ST_TRAIN_INSERT] = "INSERT INTO training_metrics(run_id, epoch, step, split, loss, recon, kl, "
                        "prop, beta, lr, accuracy, extra) "
                        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [ST_EVAL_UPSERT] = "INSERT INTO eval_metrics(run_id, name, value) VALUES(?1, ?2, ?3) "
                       "ON CONFLICT(run_id, name) DO UPDATE SET value = excluded.value",
    [ST_SCORE_UPSERT] = "INSERT INTO scores(run_id, molecule_id, name, value) "
                        "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(run_id, name, molecule_id) "
                        "DO UPDATE SET value = excluded.value",
    [ST_RUN_COPY] = "INSERT INTO runs(kind, status, started_at, finished_at, config, model_path, "
                    "model_hash, seed, parent, pid, host) "
                    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
};

/* The inserts whose new row's id store_run returns: SQLite's last_insert_rowid, a
 * `RETURNING id` pg.c appends on PostgreSQL (SQLite's RETURNING cost 12 % of the generation
 * insert rate, tests/bench/store.sh). */
const unsigned char STORE_STMT_NEW_ID[ST_COUNT] = {
    [ST_RUN_BEGIN] = 1, [ST_GEN_INSERT] = 1, [ST_RUN_COPY] = 1};

/* ---- errors -------------------------------------------------------------------------- */

CvStatus cv_store_db_error(Store *s, CvError *err, int rc, const char *what) {
    if (s && s->pg) return store_pg_error(s, err, what, NULL);
    const char *path = s && s->path ? s->path : "(results db)";
    const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return cv_error_set(err, CV_ERR_DB,
                            "%s: %s: the database is locked by another process (waited %d ms); "
                            "nothing of this call was written, retry when that process is done",
                            path, what, s ? s->busy_ms : 0);
    case SQLITE_FULL:
        return cv_error_set(err, CV_ERR_DB,
                            "%s: %s: disk or database full (%s); this batch was rolled back, "
                            "rows committed before are intact",
                            path, what, msg);
    case SQLITE_READONLY:
        return cv_error_set(err, CV_ERR_DB, "%s: %s: the database is read-only (%s)", path, what,
                            msg);
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return cv_error_set(err, CV_ERR_DB, "%s: %s: not a valid SQLite database (%s)", path, what,
                            msg);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN: {
        int e = s && s->db ? sqlite3_system_errno(s->db) : 0;
        return cv_error_set(err, CV_ERR_DB, "%s: %s: %s%s%s", path, what, msg, e ? ": " : "",
                            e ? strerror(e) : "");
    }
    default:
        return cv_error_set(err, CV_ERR_DB, "%s: %s: %s", path, what, msg);
    }
}

/* ---- small helpers --------------------------------------------------------------------- */

static CvStatus exec_sql(Store *s, const char *sql, const char *what, CvError *err) {
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? CV_OK : cv_store_db_error(s, err, rc, what);
}

static CvStatus pragma_int(Store *s, const char *sql, int64_t *out, CvError *err) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    CvStatus status = rc == SQLITE_OK ? CV_OK : cv_store_db_error(s, err, rc, sql);
    sqlite3_finalize(st);
    return status;
}

static int stmt(Store *s, int which, sqlite3_stmt **out) {
    if (!s->st[which]) {
        int rc = sqlite3_prepare_v3(s->db, STORE_STMT_SQL[which], -1, SQLITE_PREPARE_PERSISTENT,
                                    &s->st[which], NULL);
        if (rc != SQLITE_OK) return rc;
    }
    sqlite3_reset(s->st[which]);
    sqlite3_clear_bindings(s->st[which]);
    *out = s->st[which];
    return SQLITE_OK;
}

void store_bind_value(sqlite3_stmt *st, int i, const StoreValue *v) {
    switch (v->type) {
    case STORE_INT:
        sqlite3_bind_int64(st, i, v->i);
        break;
    case STORE_REAL:
        if (isnan(v->d)) sqlite3_bind_null(st, i);
        else sqlite3_bind_double(st, i, v->d);
        break;
    case STORE_TEXT:
        sqlite3_bind_text(st, i, v->s, -1, SQLITE_STATIC); /* NUL-terminated; len may be unset */
        break;
    case STORE_BLOB:
        sqlite3_bind_blob64(st, i, v->s, v->len, SQLITE_STATIC);
        break;
    case STORE_NULL:
        sqlite3_bind_null(st, i);
        break;
    }
}

int store_run(Store *s, int which, const StoreValue *p, size_t n, int64_t *id, int *got_row) {
    if (s->pg) return store_pg_run(s, which, p, n, id, got_row);
    sqlite3_stmt *st;
    int rc = stmt(s, which, &st);
    if (rc != SQLITE_OK) return rc;
    for (size_t i = 0; i < n; i++) store_bind_value(st, (int)i + 1, &p[i]);
    rc = sqlite3_step(st);
    if (got_row) *got_row = rc == SQLITE_ROW;
    if (id) *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (id && rc == SQLITE_DONE && STORE_STMT_NEW_ID[which]) *id = sqlite3_last_insert_rowid(s->db);
    while (rc == SQLITE_ROW) rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* StoreValue constructors for store_run's parameters: NULL for a NULL string, a NaN, an id
 * <= 0. */
static StoreValue v_text(const char *t) {
    return t ? (StoreValue){.type = STORE_TEXT, .s = t, .len = strlen(t)} : (StoreValue){0};
}
static StoreValue v_int(int64_t i) {
    return (StoreValue){.type = STORE_INT, .i = i};
}
static StoreValue v_real(double d) {
    return isnan(d) ? (StoreValue){0} : (StoreValue){.type = STORE_REAL, .d = d};
}
static StoreValue v_id(int64_t id) {
    return id > 0 ? v_int(id) : (StoreValue){0};
}
static StoreValue v_blob(const void *p, size_t len) {
    return p ? (StoreValue){.type = STORE_BLOB, .s = p, .len = len} : (StoreValue){0};
}

/* Now as ISO-8601 UTC text ("2026-11-22T01:02:03Z"), the format of runs' times. */
static const char *utc_now(char buf[32]) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static CvStatus tx_begin(Store *s, const char *what, CvError *err) {
    if (s->read_only)
        return cv_error_set(err, CV_ERR_DB, "%s: %s: the database was opened read-only", s->path,
                            what);
    if (s->outer_tx) return CV_OK;
    if (s->pg) return store_pg_tx(s, "BEGIN", what, err);
    return exec_sql(s, "BEGIN IMMEDIATE", what, err);
}

/* Rolls back the open transaction, if SQLite has not already (SQLITE_FULL, IOERR). The
 * caller's error message was formatted before this, so ROLLBACK cannot overwrite it. */
static void tx_rollback(Store *s) {
    if (s->outer_tx) return; /* cv_store_copy rolls back the whole copy */
    if (s->pg) {
        store_pg_tx(s, "ROLLBACK", "rolling back", NULL);
        return;
    }
    for (int i = 0; i < ST_COUNT; i++)
        if (s->st[i]) sqlite3_reset(s->st[i]);
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static CvStatus tx_commit(Store *s, const char *what, CvError *err) {
    if (s->outer_tx) return CV_OK;
    if (s->pg) {
        CvStatus status = store_pg_tx(s, "COMMIT", what, err);
        if (status) tx_rollback(s);
        return status;
    }
    int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK) return CV_OK;
    CvStatus status = cv_store_db_error(s, err, rc, what);
    tx_rollback(s);
    return status;
}

static CvStatus require_run(Store *s, int64_t run_id, const char *what, CvError *err) {
    StoreValue p = v_int(run_id);
    int got = 0;
    int rc = store_run(s, ST_RUN_EXISTS, &p, 1, NULL, &got);
    if (rc) return cv_store_db_error(s, err, rc, what);
    if (got) return CV_OK;
    return cv_error_set(err, CV_ERR_INVALID, "%s: %s: no run with id %lld", s->path, what,
                        (long long)run_id);
}

/* ---- open / close / migrate ---------------------------------------------------------- */

static CvStatus check_version(Store *s, int64_t *version, CvError *err) {
    int64_t app = 0, tables = 0;
    /* The three reads share one read transaction (unless the caller already holds one), so
     * they see one snapshot: another process committing the first migration in between
     * cannot make a new DB look like tables without a chemvae schema version (the failure
     * seen once under heavy load; a stress of 300 rounds x 16 processes creating one DB at
     * once gives 0 failures with this, as it did without it on a quieter machine). */
    int own_tx = sqlite3_get_autocommit(s->db);
    CvStatus status = own_tx ? exec_sql(s, "BEGIN", "reading the schema version", err) : CV_OK;
    if (!status)
        status =
            pragma_int(s, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'", &tables, err);
    if (!status) status = pragma_int(s, "PRAGMA application_id", &app, err);
    if (!status) status = pragma_int(s, "PRAGMA user_version", version, err);
    if (own_tx && !status) status = exec_sql(s, "COMMIT", "reading the schema version", err);
    if (own_tx && status) tx_rollback(s);
    if (status) return status;
    if (app != 0 && app != STORE_APPLICATION_ID)
        return cv_error_set(err, CV_ERR_FORMAT,
                            "%s: not a chemvae results database (application_id 0x%llx)", s->path,
                            (unsigned long long)app);
    if (*version > STORE_SCHEMA_VERSION)
        return cv_error_set(err, CV_ERR_FORMAT,
                            "%s: schema version %lld is newer than this chemvae supports (%d); "
                            "use a newer chemvae or another --db",
                            s->path, (long long)*version, STORE_SCHEMA_VERSION);
    if (app == 0 && tables > 0)
        return cv_error_set(err, CV_ERR_FORMAT,
                            "%s: not a chemvae results database (it has %lld tables but no "
                            "chemvae schema version)",
                            s->path, (long long)tables);
    return CV_OK;
}

static CvStatus migrate(Store *s, CvError *err) {
    for (;;) {
        char what[96];
        int64_t version = 0;
        CvStatus status = tx_begin(s, "upgrading the schema", err);
        if (status) return status;
        status = check_version(s, &version, err); /* re-read under the write lock */
        if (status || version == STORE_SCHEMA_VERSION) {
            tx_rollback(s);
            return status;
        }
        snprintf(what, sizeof what, "upgrading the schema from version %lld to %lld",
                 (long long)version, (long long)version + 1);
        char pragmas[128];
        snprintf(pragmas, sizeof pragmas, "PRAGMA application_id = %d; PRAGMA user_version = %lld",
                 STORE_APPLICATION_ID, (long long)version + 1);
        status = exec_sql(s, MIGRATIONS[version], what, err);
        if (!status) status = exec_sql(s, pragmas, what, err);
        if (!status) status = tx_commit(s, what, err);
        if (status) {
            tx_rollback(s);
            return status;
        }
    }
}

/* SQLite's unix VFS refuses file names longer than its mxPathname (512 bytes in Debian's
 * build) once made absolute, with a bare "unable to open database file"; say so before
 * anything is created. The 8 bytes are the longest side-file suffix ("-journal"). */
static CvStatus check_path_length(const Store *s, CvError *err) {
    sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
    if (!vfs) return CV_OK;
    size_t n = strlen(s->path);
    if (s->path[0] != '/') {
        char cwd[PATH_MAX];
        n += getcwd(cwd, sizeof cwd) ? strlen(cwd) + 1 : 0;
    }
    if (n + 8 < (size_t)vfs->mxPathname) return CV_OK;
    return cv_error_set(err, CV_ERR_IO,
                        "%s: the results DB path is %zu bytes long as an absolute path; SQLite "
                        "opens at most %d: pass a shorter --db path",
                        s->path, n, vfs->mxPathname - 8);
}

/* This machine's name (runs record it with their pid). */
static const char *this_host(char *buf, size_t cap) {
    if (gethostname(buf, cap) != 0) snprintf(buf, cap, "unknown");
    buf[cap - 1] = '\0';
    return buf;
}

/* Runs still 'running' whose process (on this host) no longer exists were killed: they
 * become 'interrupted' (cv_store_run_finish). A pid reused by another process keeps its run
 * 'running' (the safe side). Best effort, up to 64 runs an open: a DB busy with other
 * writers is left for the next open. */
static void reap_dead_runs(Store *s) {
    char host[256];
    StoreTable t = {0};
    StoreValue p = v_text(this_host(host, sizeof host));
    if (cv_store_select(s, STORE_STMT_SQL[ST_RUNS_RUNNING_HERE], &p, 1, &t, NULL)) return;
    for (size_t r = 0, n = 0; r < t.nrow && n < 64; r++) {
        pid_t pid = (pid_t)t.cells[r * 2 + 1].i;
        if (pid > 0 && pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH && ++n)
            cv_store_run_finish(s, t.cells[r * 2].i, STORE_RUN_INTERRUPTED, NULL);
    }
    cv_store_table_free(&t);
}

static CvStatus open_read_write(Store *s, CvError *err) {
    CvStatus status = check_path_length(s, err);
    if (status) return status;
    status = cv_mkdir_parents(s->path, err);
    if (status) return status;
    int rc = sqlite3_open_v2(
        s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE, NULL);
    if (rc != SQLITE_OK) return cv_store_db_error(s, err, rc, "opening");
    sqlite3_busy_timeout(s->db, s->busy_ms);
    /* Before migrating: MIGRATIONS[3] fingerprints the stored molecules with morgan_fp(). */
    if ((status = cv_store_register_chem_functions(s, err))) return status;
    int64_t version = 0;
    status = check_version(s, &version, err);
    if (status) return status;
    char mode[16] = "";
    /* Several processes opening a brand-new DB at once race to switch it to WAL; the loser
     * can get SQLITE_BUSY without the busy handler being consulted (seen in
     * test_concurrent_writers under load), so retry for up to the busy timeout. */
    for (int waited = 0;; waited += 50) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(st, 0));
            rc = SQLITE_OK;
        }
        sqlite3_finalize(st);
        if ((rc & 0xff) != SQLITE_BUSY || waited >= s->busy_ms) break;
        sqlite3_sleep(50);
    }
    if (rc != SQLITE_OK) return cv_store_db_error(s, err, rc, "switching to WAL");
    if (strcmp(mode, "wal") != 0)
        return cv_error_set(err, CV_ERR_DB, "%s: cannot use WAL journaling (got '%s')", s->path,
                            mode);
    status = exec_sql(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", "setting pragmas",
                      err);
    if (status) return status;
    if (version < STORE_SCHEMA_VERSION && (status = migrate(s, err))) return status;
    reap_dead_runs(s);
    return CV_OK;
}

/* 1 when new files can be created in path's directory. */
static int dir_writable(const char *path) {
    char dir[PATH_MAX];
    return cv_path_dir(path, dir, sizeof dir) == 0 && access(dir, W_OK) == 0;
}

/* "file:<path, percent-encoded>?immutable=1" (malloc'd), or NULL. */
static char *immutable_uri(const char *path) {
    size_t n = strlen(path);
    char *u = malloc(3 * n + 32);
    if (!u) return NULL;
    size_t k = (size_t)sprintf(u, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        k += (size_t)(*p == '%' || *p == '?' || *p == '#' ? sprintf(u + k, "%%%02X", *p)
                                                          : sprintf(u + k, "%c", *p));
    sprintf(u + k, "?immutable=1");
    return u;
}

static CvStatus open_read_only(Store *s, CvError *err) {
    CvStatus status0 = check_path_length(s, err);
    if (status0) return status0;
    if (access(s->path, R_OK) != 0)
        return cv_error_set(err, CV_ERR_IO, "%s: %s", s->path,
                            errno == ENOENT ? "no such results database (run a command that "
                                              "records results first, or pass --db)"
                                            : strerror(errno));
    int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_EXRESCODE, NULL);
    if (rc != SQLITE_OK) return cv_store_db_error(s, err, rc, "opening read-only");
    sqlite3_busy_timeout(s->db, s->busy_ms);
    int64_t version = 0;
    CvStatus status = check_version(s, &version, err);
    if (status && !dir_writable(s->path)) {
        /* A WAL database needs its -shm side file even to be read; on read-only media it
         * cannot be created. SQLite's immutable mode reads without it (nothing can write
         * there anyway). */
        CvError first = *err;
        sqlite3_close(s->db);
        s->db = NULL;
        char *uri = immutable_uri(s->path);
        rc = uri ? sqlite3_open_v2(uri, &s->db,
                                   SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE,
                                   NULL)
                 : SQLITE_NOMEM;
        free(uri);
        status = rc == SQLITE_OK ? check_version(s, &version, err) : CV_ERR_DB;
        if (status) {
            *err = first;
            return first.code;
        }
        s->immutable = 1;
    }
    if (status) return status;
    if (version < STORE_SCHEMA_VERSION)
        return cv_error_set(err, CV_ERR_FORMAT,
                            "%s: schema version %lld is older than this chemvae's (%d) or the file "
                            "is empty; a command that writes results upgrades it",
                            s->path, (long long)version, STORE_SCHEMA_VERSION);
    status = exec_sql(s, "PRAGMA query_only = 1", "setting query_only", err);
    if (status) return status;
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_limit(s->db, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_set_authorizer(s->db, cv_store_readonly_authorizer, s);
    return CV_OK;
}

CvStatus cv_store_open(const char *path, unsigned flags, Store **out, CvError *err) {
    *out = NULL;
    if (!path || !*path) return cv_error_set(err, CV_ERR_INVALID, "results database: empty path");
    Store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", path);
    }
    s->read_only = (flags & STORE_READ_ONLY) != 0;
    s->busy_ms = STORE_BUSY_TIMEOUT_MS;
    CvStatus status;
    if (store_path_is_pg(path)) {
        status = store_pg_open(s, err);
        if (!status && !s->read_only) reap_dead_runs(s);
    } else {
        status = s->read_only ? open_read_only(s, err) : open_read_write(s, err);
        /* (open_read_write registers them itself, before migrating) */
        if (!status && s->read_only) status = cv_store_register_chem_functions(s, err);
    }
    if (status) goto fail;
    *out = s;
    return CV_OK;
fail:
    cv_store_close(s);
    return status;
}

void cv_store_close(Store *s) {
    if (!s) return;
    store_pg_close(s);
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

void cv_store_set_busy_timeout(Store *s, int ms) {
    s->busy_ms = ms;
    if (s->db) sqlite3_busy_timeout(s->db, ms);
}

void cv_store_set_query_timeout(Store *s, double seconds) {
    s->query_timeout = seconds > 0 ? seconds : 0;
}

const char *cv_store_path(const Store *s) {
    return s->path;
}

int cv_store_is_immutable(const Store *s) {
    return s->immutable;
}

/* ---- runs ------------------------------------------------------------------------------ */

const char *cv_store_run_status_name(StoreRunStatus status) {
    switch (status) {
    case STORE_RUN_RUNNING:
        return "running";
    case STORE_RUN_OK:
        return "ok";
    case STORE_RUN_FAILED:
        return "failed";
    case STORE_RUN_INTERRUPTED:
        return "interrupted";
    }
    return "failed";
}

CvStatus cv_store_run_begin(Store *s, const char *kind, const char *config_json,
                            const char *model_path, const char *model_hash, int64_t seed,
                            int64_t parent_run, int64_t *run_id, CvError *err) {
    if (!kind || !*kind) return cv_error_set(err, CV_ERR_INVALID, "%s: run kind is empty", s->path);
    char host[256], now[32];
    StoreValue p[9] = {v_text(kind),
                       v_text(config_json),
                       v_text(model_path),
                       v_text(model_hash),
                       seed >= 0 ? v_int(seed) : v_id(0),
                       v_id(parent_run),
                       v_int((int64_t)getpid()),
                       v_text(this_host(host, sizeof host)),
                       v_text(utc_now(now))};
    CvStatus status = tx_begin(s, "starting a run", err);
    if (status) return status;
    int rc = store_run(s, ST_RUN_BEGIN, p, 9, run_id, NULL);
    if (rc) {
        status = cv_store_db_error(s, err, rc, "starting a run");
        tx_rollback(s);
        return status;
    }
    return tx_commit(s, "starting a run", err);
}

CvStatus cv_store_run_finish(Store *s, int64_t run_id, StoreRunStatus run_status, CvError *err) {
    char what[64], now[32];
    snprintf(what, sizeof what, "finishing run %lld", (long long)run_id);
    StoreValue p[3] = {v_int(run_id), v_text(cv_store_run_status_name(run_status)),
                       v_text(utc_now(now))};
    CvStatus status = tx_begin(s, what, err);
    if (status) return status;
    int got = 0;
    int rc = store_run(s, ST_RUN_FINISH, p, 3, NULL, &got);
    if (rc) status = cv_store_db_error(s, err, rc, what);
    else if (!got)
        status = cv_error_set(err, CV_ERR_INVALID, "%s: %s: no run with id %lld", s->path, what,
                              (long long)run_id);
    if (status) {
        tx_rollback(s);
        return status;
    }
    return tx_commit(s, what, err);
}

CvStatus cv_store_runs_finish_running(Store *s, int64_t root, StoreRunStatus run_status,
                                      CvError *err) {
    static const char *sql =
        "WITH RECURSIVE tree(id) AS (SELECT ?1 UNION SELECT runs.id FROM runs JOIN tree ON "
        "runs.parent = tree.id) SELECT id FROM runs WHERE id IN (SELECT id FROM tree) AND "
        "status = 'running'";
    StoreTable t = {0};
    StoreValue p = v_int(root);
    CvStatus st = cv_store_select(s, sql, &p, 1, &t, err);
    for (size_t r = 0; !st && r < t.nrow; r++)
        st = cv_store_run_finish(s, t.cells[r].i, run_status, err);
    cv_store_table_free(&t);
    return st;
}

/* ---- copying (copy.c) ------------------------------------------------------------------ */

CvStatus store_copy_begin(Store *s, CvError *err) {
    CvStatus status = tx_begin(s, "copying results", err);
    if (!status) s->outer_tx = 1;
    return status;
}

CvStatus store_copy_end(Store *s, int ok, CvError *err) {
    s->outer_tx = 0;
    if (ok) return tx_commit(s, "copying results", err);
    tx_rollback(s);
    return CV_OK;
}

CvStatus store_copy_run(Store *s, const StoreValue row[11], int64_t *id, CvError *err) {
    int rc = store_run(s, ST_RUN_COPY, row, 11, id, NULL);
    return rc ? cv_store_db_error(s, err, rc, "copying a run") : CV_OK;
}

/* ---- one transaction per batch ------------------------------------------------------- */

/* Stores row i of a batch with statement `which`; *id (NULL-able: not needed, which lets
 * PostgreSQL send the statement without waiting) receives the row's id; *label
 * (NULL-able) names the row in an error message. Returns 0 or a backend error code. */
typedef int (*RowFn)(Store *s, int which, int64_t run_id, const void *rows, size_t i, int64_t *id,
                     const char **label);

typedef struct {
    const char *what;     /* "storing 300 generations of run 2" */
    const char *row_name; /* "generation" */
    int stmt;             /* the statement RowFn runs */
    int64_t run_id;       /* must exist when > 0 */
    int need_run;         /* refuse run_id <= 0 */
    /* the SMILES of row i's molecule, or NULL (NULL-able: rows without molecules) */
    const char *(*smiles_of)(const void *rows, size_t i);
} Batch;

/* PostgreSQL: reads what the database has of the batch's molecules in one statement. */
static int prefetch_molecules(Store *s, const Batch *b, const void *rows, size_t n) {
    if (!s->pg || !b->smiles_of || !n) return 0;
    const char **smiles = malloc(n * sizeof *smiles);
    if (!smiles) return -1;
    for (size_t i = 0; i < n; i++) smiles[i] = b->smiles_of(rows, i);
    int rc = store_pg_prefetch(s, smiles, n);
    free(smiles);
    return rc;
}

/* One attempt of write_batch; *retry is set when PostgreSQL chose this transaction as a
 * deadlock victim (or a serialization failure): nothing of it was stored. */
static CvStatus write_batch_once(Store *s, const Batch *b, RowFn fn, const void *rows, size_t n,
                                 int64_t *ids, int *retry, CvError *err) {
    *retry = 0;
    CvStatus status = tx_begin(s, b->what, err);
    if (status) return status;
    if ((b->need_run || b->run_id > 0) && (status = require_run(s, b->run_id, b->what, err)))
        goto fail;
    if (prefetch_molecules(s, b, rows, n)) {
        status = s->pg ? store_pg_error(s, err, b->what, retry)
                       : cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", s->path);
        goto fail;
    }
    size_t i = 0;
    const char *label = NULL;
    int rc = 0;
    for (; i < n; i++) {
        int64_t id = 0;
        label = NULL;
        store_pg_set_row(s, i, &label);
        rc = fn(s, b->stmt, b->run_id, rows, i, ids ? &id : NULL, &label);
        if (rc) goto row_failed;
        if (ids) ids[i] = id;
    }
    if (store_pg_flush(s)) goto row_failed; /* PostgreSQL: the statements still unread */
    store_pg_forget(s);
    status = tx_commit(s, b->what, err);
    if (status && s->pg && !s->outer_tx) store_pg_error(s, NULL, b->what, retry);
    return status;
fail:
    store_pg_forget(s);
    tx_rollback(s);
    return status;
row_failed : {
    /* PostgreSQL reads a statement's failure later than it sends it: name that row */
    store_pg_failed_row(s, &i, &label);
    char at[256];
    snprintf(at, sizeof at, "%s (%s %zu%s%.60s%s)", b->what, b->row_name, i, label ? " '" : "",
             label ? label : "", label ? "'" : "");
    status = s->pg ? store_pg_error(s, err, at, retry) : cv_store_db_error(s, err, rc, at);
    goto fail;
}
}

/* Runs fn over rows 0..n-1 in ONE transaction: all rows are stored, or none. Concurrent
 * writers to one PostgreSQL database can deadlock on molecules two batches both insert;
 * the victim's batch is run again (up to 8 times). */
static CvStatus write_batch(Store *s, const Batch *b, RowFn fn, const void *rows, size_t n,
                            int64_t *ids, CvError *err) {
    for (int attempt = 0;; attempt++) {
        int retry = 0;
        CvStatus status = write_batch_once(s, b, fn, rows, n, ids, &retry, err);
        if (!status || !retry || s->outer_tx || attempt == 7) return status;
        usleep((useconds_t)(1000 * (1 + attempt) * (1 + getpid() % 7)));
    }
}

/* ---- molecules and generations --------------------------------------------------------- */

/* 1 when a molecule with STORE_PG_* bits `known` (prefetched) must be written: new, or
 * stored without its fingerprint or a score m has. */
static int needs_write(unsigned known, const double v[5]) {
    int fill = !(known & STORE_PG_IN_DB) || (known & STORE_PG_NO_FP);
    for (int k = 0; k < 5; k++)
        if ((known & (STORE_PG_NO_FP << (1 + k))) && !isnan(v[k])) fill = 1;
    return fill;
}

/* Upserts one molecule inside the caller's transaction; *id receives its id, or 0 when
 * !need_id and PostgreSQL would have to be waited for (the statements after it then find
 * the molecule by SMILES). A molecule stored complete (fingerprint, and every score m has)
 * is only looked up: no upsert, so no PostgreSQL identity value is spent on a conflict and
 * ids stay those SQLite gives. The fingerprint is computed only for a molecule written:
 * parsing (about 95 us) and fingerprinting (25 us) cost far more than the lookup — and not
 * at all when the caller has it (known_fp, NULL-able: cv_store_copy's source). On
 * PostgreSQL the lookup is the batch's prefetch (store_pg_prefetch). */
static int upsert_molecule(Store *s, int64_t run_id, const StoreMolecule *m,
                           const unsigned char *known_fp, int need_id, int64_t *id) {
    const double v[5] = {m->mw, m->logp, m->qed, m->sa, m->penalized_logp};
    StoreValue p[8] = {v_text(m->smiles)};
    int got = 0, rc = 0;
    unsigned known = s->pg ? store_pg_known(s, m->smiles, id) : 0;
    if (known & STORE_PG_STORED_NOW) goto find; /* written earlier in this batch */
    if (known && !needs_write(known, v)) return 0;
    if (!known) {
        int64_t found = 0;
        for (int k = 0; k < 5; k++) p[1 + k] = v_int(!isnan(v[k]));
        rc = store_run(s, ST_MOL_LOOKUP, p, 6, &found, &got);
        if (rc || (got && found > 0)) {
            *id = found;
            return rc;
        }
    }
    unsigned char buf[CHEM_FP_BYTES];
    const unsigned char *fp = known_fp ? known_fp : cv_chem_smiles_fp(m->smiles, buf) ? buf : NULL;
    for (int k = 0; k < 5; k++) p[1 + k] = v_real(v[k]);
    p[6] = v_id(run_id);
    p[7] = v_blob(fp, CHEM_FP_BYTES);
    *id = 0;
    rc = store_run(s, ST_MOL_UPSERT, p, 8, need_id ? id : NULL, need_id ? &got : NULL);
    if (known) store_pg_mark_stored(s, m->smiles);
    if (rc || got || !need_id) return rc;
find:
    /* Present already and nothing to fill in (DO UPDATE ... WHERE returned no row), or
     * written earlier in the batch. */
    if (!need_id) return 0;
    if ((rc = store_run(s, ST_MOL_FIND, p, 1, id, &got))) return rc;
    return got ? 0 : s->pg ? -1 : SQLITE_INTERNAL;
}

/* A batch of molecules, with their fingerprints when the caller has them. */
typedef struct {
    const StoreMolecule *m;
    const unsigned char *const *fps; /* (n) NULL-able, and so is each */
} MoleculeRows;

static int molecule_row(Store *s, int which, int64_t run_id, const void *rows, size_t i,
                        int64_t *id, const char **label) {
    (void)which;
    const MoleculeRows *mr = rows;
    const StoreMolecule *m = &mr->m[i];
    int64_t mol_id = 0;
    *label = m->smiles;
    int rc = upsert_molecule(s, run_id, m, mr->fps ? mr->fps[i] : NULL, id != NULL, &mol_id);
    if (id) *id = mol_id;
    return rc;
}

static const char *molecule_smiles(const void *rows, size_t i) {
    return ((const MoleculeRows *)rows)->m[i].smiles;
}
static const char *generation_smiles(const void *rows, size_t i) {
    const StoreMolecule *m = ((const StoreGeneration *)rows)[i].molecule;
    return m ? m->smiles : NULL;
}
static const char *score_smiles(const void *rows, size_t i) {
    return ((const StoreScore *)rows)[i].molecule.smiles;
}

CvStatus store_upsert_molecules_fp(Store *s, int64_t run_id, const StoreMolecule *mols,
                                   const unsigned char *const *fps, size_t n, int64_t *ids,
                                   CvError *err) {
    char what[96];
    snprintf(what, sizeof what, "storing %zu molecules", n);
    for (size_t i = 0; i < n; i++)
        if (!mols[i].smiles || !*mols[i].smiles)
            return cv_error_set(err, CV_ERR_INVALID, "%s: %s: molecule %zu has no SMILES", s->path,
                                what, i);
    Batch b = {what, "molecule", ST_MOL_FIND, run_id, 0, molecule_smiles};
    MoleculeRows rows = {mols, fps};
    return write_batch(s, &b, molecule_row, &rows, n, ids, err);
}

CvStatus cv_store_upsert_molecules(Store *s, int64_t run_id, const StoreMolecule *mols, size_t n,
                                   int64_t *ids, CvError *err) {
    return store_upsert_molecules_fp(s, run_id, mols, NULL, n, ids, err);
}

static CvStatus check_generation(const Store *s, const StoreGeneration *g, size_t i, CvError *err) {
    const char *bad = NULL;
    if (!g->method || !*g->method) bad = "has no method";
    else if (!g->raw_smiles) bad = "has no raw_smiles";
    else if (g->valid != 0 && g->valid != 1) bad = "has valid not 0/1";
    else if (!g->valid && (g->molecule || g->molecule_id > 0))
        bad = "is invalid but names a molecule";
    else if (g->molecule && (!g->molecule->smiles || !*g->molecule->smiles))
        bad = "has a molecule without SMILES";
    else if (g->z_dim > 0 && !g->z) bad = "has z_dim > 0 but no z";
    return bad ? cv_error_set(err, CV_ERR_INVALID, "%s: generation %zu %s", s->path, i, bad)
               : CV_OK;
}

static int generation_row(Store *s, int which, int64_t run_id, const void *rows, size_t i,
                          int64_t *id, const char **label) {
    const StoreGeneration *g = (const StoreGeneration *)rows + i;
    int64_t mol_id = g->molecule_id;
    *label = g->raw_smiles;
    if (g->molecule) {
        /* PostgreSQL need not wait for the id: the insert finds it by SMILES (?12) */
        int rc = upsert_molecule(s, run_id, g->molecule, NULL, !s->pg, &mol_id);
        if (rc) return rc;
    }
    StoreValue p[12] = {v_int(run_id),
                        v_text(g->method),
                        v_int(g->step),
                        v_text(g->source),
                        v_text(g->raw_smiles),
                        v_int(g->valid),
                        v_id(mol_id),
                        v_blob(g->z_dim ? g->z : NULL, g->z_dim * sizeof(float)),
                        v_text(g->predicted),
                        v_real(g->similarity),
                        v_text(g->valid ? NULL : g->failure),
                        v_text(mol_id > 0 || !g->molecule ? NULL : g->molecule->smiles)};
    return store_run(s, which, p, 12, id, NULL);
}

CvStatus cv_store_insert_generations(Store *s, int64_t run_id, const StoreGeneration *rows,
                                     size_t n, int64_t *ids, CvError *err) {
    char what[96];
    snprintf(what, sizeof what, "storing %zu generations of run %lld", n, (long long)run_id);
    CvStatus status;
    for (size_t i = 0; i < n; i++)
        if ((status = check_generation(s, &rows[i], i, err))) return status;
    Batch b = {what, "generation", ST_GEN_INSERT, run_id, 1, generation_smiles};
    return write_batch(s, &b, generation_row, rows, n, ids, err);
}

/* Runs a (run, [molecule,] name, value) row in that column order: the rows of `scores`
 * (with the molecule) and of `eval_metrics` (without). */
static int run_named_value(Store *s, int which, int64_t run_id, const int64_t *mol_id,
                           const char *name, double value) {
    StoreValue p[4];
    size_t n = 0;
    p[n++] = v_int(run_id);
    if (mol_id) p[n++] = v_int(*mol_id);
    p[n++] = v_text(name);
    p[n++] = v_real(value);
    return store_run(s, which, p, n, NULL, NULL);
}

static int score_row(Store *s, int which, int64_t run_id, const void *rows, size_t i, int64_t *id,
                     const char **label) {
    const StoreScore *r = (const StoreScore *)rows + i;
    int64_t mol_id = 0;
    *label = r->molecule.smiles;
    int rc = upsert_molecule(s, run_id, &r->molecule, NULL, 1, &mol_id);
    if (rc) return rc;
    if (id) *id = mol_id;
    return run_named_value(s, which, run_id, &mol_id, r->name, r->value);
}

CvStatus cv_store_insert_scores(Store *s, int64_t run_id, const StoreScore *rows, size_t n,
                                CvError *err) {
    char what[96];
    snprintf(what, sizeof what, "storing %zu scores of run %lld", n, (long long)run_id);
    for (size_t i = 0; i < n; i++)
        if (!rows[i].name || !*rows[i].name || !rows[i].molecule.smiles ||
            !*rows[i].molecule.smiles)
            return cv_error_set(err, CV_ERR_INVALID, "%s: %s: score %zu has no %s", s->path, what,
                                i, rows[i].name && *rows[i].name ? "SMILES" : "name");
    Batch b = {what, "score", ST_SCORE_UPSERT, run_id, 1, score_smiles};
    return write_batch(s, &b, score_row, rows, n, NULL, err);
}

/* ---- metrics ---------------------------------------------------------------------------- */

static int training_row(Store *s, int which, int64_t run_id, const void *rows, size_t i,
                        int64_t *id, const char **label) {
    (void)id;
    (void)label;
    const StoreTrainingMetric *m = (const StoreTrainingMetric *)rows + i;
    StoreValue p[12] = {v_int(run_id),   v_int(m->epoch),  v_int(m->step),      v_text(m->split),
                        v_real(m->loss), v_real(m->recon), v_real(m->kl),       v_real(m->prop),
                        v_real(m->beta), v_real(m->lr),    v_real(m->accuracy), v_text(m->extra)};
    return store_run(s, which, p, 12, NULL, NULL);
}

CvStatus cv_store_insert_training_metrics(Store *s, int64_t run_id, const StoreTrainingMetric *rows,
                                          size_t n, CvError *err) {
    char what[96];
    snprintf(what, sizeof what, "storing %zu training metrics of run %lld", n, (long long)run_id);
    for (size_t i = 0; i < n; i++)
        if (!rows[i].split || !*rows[i].split)
            return cv_error_set(err, CV_ERR_INVALID, "%s: %s: row %zu has no split", s->path, what,
                                i);
    Batch b = {what, "row", ST_TRAIN_INSERT, run_id, 1, NULL};
    return write_batch(s, &b, training_row, rows, n, NULL, err);
}

typedef struct {
    const char *name;
    double value;
} EvalRow;

static int eval_row(Store *s, int which, int64_t run_id, const void *rows, size_t i, int64_t *id,
                    const char **label) {
    (void)id;
    const EvalRow *r = (const EvalRow *)rows + i;
    *label = r->name;
    return run_named_value(s, which, run_id, NULL, r->name, r->value);
}

CvStatus cv_store_insert_eval_metric(Store *s, int64_t run_id, const char *name, double value,
                                     CvError *err) {
    if (!name || !*name)
        return cv_error_set(err, CV_ERR_INVALID, "%s: eval metric of run %lld has no name", s->path,
                            (long long)run_id);
    char what[64];
    snprintf(what, sizeof what, "storing an eval metric of run %lld", (long long)run_id);
    EvalRow row = {name, value};
    Batch b = {what, "metric", ST_EVAL_UPSERT, run_id, 1, NULL};
    return write_batch(s, &b, eval_row, &row, 1, NULL, err);
}
