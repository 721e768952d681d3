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

static const char *const STMT_SQL[ST_COUNT] = {
    [ST_RUN_BEGIN] =
        "INSERT INTO runs(kind, config, model_path, model_hash, seed, parent, pid, host) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_RUN_FINISH] = "UPDATE runs SET status = ?2, finished_at = CASE WHEN ?2 = 'running' "
                      "THEN NULL ELSE " NOW_SQL " END WHERE id = ?1",
    [ST_RUN_EXISTS] = "SELECT 1 FROM runs WHERE id = ?1",
    [ST_RUNS_RUNNING_HERE] =
        "SELECT id, pid FROM runs WHERE status = 'running' AND pid IS NOT NULL "
        "AND host = ?1",
    [ST_MOL_UPSERT] =
        "INSERT INTO molecules(smiles, mw, logp, qed, sa, penalized_logp, first_run, fp) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(smiles) DO UPDATE SET "
        "mw = coalesce(mw, excluded.mw), logp = coalesce(logp, excluded.logp), "
        "qed = coalesce(qed, excluded.qed), sa = coalesce(sa, excluded.sa), "
        "penalized_logp = coalesce(penalized_logp, excluded.penalized_logp), "
        "fp = coalesce(fp, excluded.fp) "
        "WHERE (mw IS NULL AND excluded.mw IS NOT NULL) "
        "OR (logp IS NULL AND excluded.logp IS NOT NULL) "
        "OR (qed IS NULL AND excluded.qed IS NOT NULL) "
        "OR (sa IS NULL AND excluded.sa IS NOT NULL) "
        "OR (penalized_logp IS NULL AND excluded.penalized_logp IS NOT NULL) "
        "OR (fp IS NULL AND excluded.fp IS NOT NULL) "
        "RETURNING id",
    [ST_MOL_FIND] = "SELECT id FROM molecules WHERE smiles = ?1",
    [ST_MOL_HAS_FP] = "SELECT 1 FROM molecules WHERE smiles = ?1 AND fp IS NOT NULL",
    [ST_GEN_INSERT] = "INSERT INTO generations(run_id, method, step, source, raw_smiles, valid, "
                      "molecule_id, z, predicted, similarity, failure) "
                      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_TRAIN_INSERT] = "INSERT INTO training_metrics(run_id, epoch, step, split, loss, recon, kl, "
                        "prop, beta, lr, accuracy, extra) "
                        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [ST_EVAL_UPSERT] = "INSERT INTO eval_metrics(run_id, name, value) VALUES(?1, ?2, ?3) "
                       "ON CONFLICT(run_id, name) DO UPDATE SET value = excluded.value",
    [ST_SCORE_UPSERT] = "INSERT INTO scores(run_id, molecule_id, name, value) "
                        "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(run_id, name, molecule_id) "
                        "DO UPDATE SET value = excluded.value",
};

/* ---- errors -------------------------------------------------------------------------- */

CvStatus cv_store_db_error(Store *s, CvError *err, int rc, const char *what) {
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

static CvStatus stmt(Store *s, int which, sqlite3_stmt **out, CvError *err) {
    if (!s->st[which]) {
        int rc = sqlite3_prepare_v3(s->db, STMT_SQL[which], -1, SQLITE_PREPARE_PERSISTENT,
                                    &s->st[which], NULL);
        if (rc != SQLITE_OK) return cv_store_db_error(s, err, rc, "preparing a statement");
    }
    sqlite3_reset(s->st[which]);
    sqlite3_clear_bindings(s->st[which]);
    *out = s->st[which];
    return CV_OK;
}

static void bind_real(sqlite3_stmt *st, int i, double v) {
    if (isnan(v)) sqlite3_bind_null(st, i);
    else sqlite3_bind_double(st, i, v);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v) {
    if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, i);
}

static void bind_id(sqlite3_stmt *st, int i, int64_t v) {
    if (v > 0) sqlite3_bind_int64(st, i, v);
    else sqlite3_bind_null(st, i);
}

/* Steps a statement that returns no row (or whose rows are ignored). */
static int step_done(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    while (rc == SQLITE_ROW) rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static CvStatus tx_begin(Store *s, const char *what, CvError *err) {
    if (s->read_only)
        return cv_error_set(err, CV_ERR_DB, "%s: %s: the database was opened read-only", s->path,
                            what);
    return exec_sql(s, "BEGIN IMMEDIATE", what, err);
}

/* Rolls back the open transaction, if SQLite has not already (SQLITE_FULL, IOERR). The
 * caller's error message was formatted before this, so ROLLBACK cannot overwrite it. */
static void tx_rollback(Store *s) {
    for (int i = 0; i < ST_COUNT; i++)
        if (s->st[i]) sqlite3_reset(s->st[i]);
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static CvStatus tx_commit(Store *s, const char *what, CvError *err) {
    int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK) return CV_OK;
    CvStatus status = cv_store_db_error(s, err, rc, what);
    tx_rollback(s);
    return status;
}

static CvStatus require_run(Store *s, int64_t run_id, const char *what, CvError *err) {
    sqlite3_stmt *st;
    CvStatus status = stmt(s, ST_RUN_EXISTS, &st, err);
    if (status) return status;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return CV_OK;
    if (rc == SQLITE_DONE)
        return cv_error_set(err, CV_ERR_INVALID, "%s: %s: no run with id %lld", s->path, what,
                            (long long)run_id);
    return cv_store_db_error(s, err, rc, what);
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
    int64_t dead[64];
    size_t n = 0;
    sqlite3_stmt *sel;
    if (stmt(s, ST_RUNS_RUNNING_HERE, &sel, NULL)) return;
    sqlite3_bind_text(sel, 1, this_host(host, sizeof host), -1, SQLITE_TRANSIENT);
    while (n < 64 && sqlite3_step(sel) == SQLITE_ROW) {
        pid_t pid = (pid_t)sqlite3_column_int64(sel, 1);
        if (pid > 0 && pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH)
            dead[n++] = sqlite3_column_int64(sel, 0);
    }
    sqlite3_reset(sel);
    for (size_t i = 0; i < n; i++) cv_store_run_finish(s, dead[i], STORE_RUN_INTERRUPTED, NULL);
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
    CvStatus status = s->read_only ? open_read_only(s, err) : open_read_write(s, err);
    /* (open_read_write registers them itself, before migrating) */
    if (!status && s->read_only) status = cv_store_register_chem_functions(s, err);
    if (status) goto fail;
    *out = s;
    return CV_OK;
fail:
    cv_store_close(s);
    return status;
}

void cv_store_close(Store *s) {
    if (!s) return;
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

void cv_store_set_busy_timeout(Store *s, int ms) {
    s->busy_ms = ms;
    sqlite3_busy_timeout(s->db, ms);
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
    sqlite3_stmt *st;
    CvStatus status = tx_begin(s, "starting a run", err);
    if (status) return status;
    if ((status = stmt(s, ST_RUN_BEGIN, &st, err))) goto fail;
    bind_text(st, 1, kind);
    bind_text(st, 2, config_json);
    bind_text(st, 3, model_path);
    bind_text(st, 4, model_hash);
    if (seed >= 0) sqlite3_bind_int64(st, 5, seed);
    else sqlite3_bind_null(st, 5);
    bind_id(st, 6, parent_run);
    char host[256];
    sqlite3_bind_int64(st, 7, (sqlite3_int64)getpid());
    bind_text(st, 8, this_host(host, sizeof host));
    int rc = step_done(st);
    if (rc != SQLITE_OK) {
        status = cv_store_db_error(s, err, rc, "starting a run");
        goto fail;
    }
    *run_id = sqlite3_last_insert_rowid(s->db);
    return tx_commit(s, "starting a run", err);
fail:
    tx_rollback(s);
    return status;
}

CvStatus cv_store_run_finish(Store *s, int64_t run_id, StoreRunStatus run_status, CvError *err) {
    char what[64];
    snprintf(what, sizeof what, "finishing run %lld", (long long)run_id);
    sqlite3_stmt *st;
    CvStatus status = tx_begin(s, what, err);
    if (status) return status;
    if ((status = stmt(s, ST_RUN_FINISH, &st, err))) goto fail;
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, cv_store_run_status_name(run_status));
    int rc = step_done(st);
    if (rc != SQLITE_OK) {
        status = cv_store_db_error(s, err, rc, what);
        goto fail;
    }
    if (sqlite3_changes(s->db) != 1) {
        status = cv_error_set(err, CV_ERR_INVALID, "%s: %s: no run with id %lld", s->path, what,
                              (long long)run_id);
        goto fail;
    }
    return tx_commit(s, what, err);
fail:
    tx_rollback(s);
    return status;
}

CvStatus cv_store_runs_finish_running(Store *s, int64_t root, StoreRunStatus run_status,
                                      CvError *err) {
    static const char *sql =
        "WITH RECURSIVE tree(id) AS (SELECT ?1 UNION SELECT runs.id FROM runs JOIN tree ON "
        "runs.parent = tree.id) SELECT id FROM runs WHERE id IN tree AND status = 'running'";
    StoreTable t = {0};
    StoreValue p = {.type = STORE_INT, .i = root};
    CvStatus st = cv_store_select(s, sql, &p, 1, &t, err);
    for (size_t r = 0; !st && r < t.nrow; r++)
        st = cv_store_run_finish(s, t.cells[r].i, run_status, err);
    cv_store_table_free(&t);
    return st;
}

/* ---- molecules and generations --------------------------------------------------------- */

/* ---- one transaction per batch ------------------------------------------------------- */

/* Binds and steps row i of a batch on `st` (the batch's statement, reset and cleared);
 * *id receives the row's id; *label (NULL-able) names the row in an error message.
 * Returns an SQLite result code. */
typedef int (*RowFn)(Store *s, sqlite3_stmt *st, int64_t run_id, const void *rows, size_t i,
                     int64_t *id, const char **label);

typedef struct {
    const char *what;     /* "storing 300 generations of run 2" */
    const char *row_name; /* "generation" */
    int stmt;             /* the statement RowFn steps */
    int64_t run_id;       /* must exist when > 0 */
    int need_run;         /* refuse run_id <= 0 */
} Batch;

/* Runs fn over rows 0..n-1 in ONE transaction: all rows are stored, or none. */
static CvStatus write_batch(Store *s, const Batch *b, RowFn fn, const void *rows, size_t n,
                            int64_t *ids, CvError *err) {
    sqlite3_stmt *st;
    CvStatus status = tx_begin(s, b->what, err);
    if (status) return status;
    if ((b->need_run || b->run_id > 0) && (status = require_run(s, b->run_id, b->what, err)))
        goto fail;
    /* Every batch may upsert molecules (generations do): prepare those too. */
    if ((status = stmt(s, ST_MOL_UPSERT, &st, err)) || (status = stmt(s, ST_MOL_FIND, &st, err)) ||
        (status = stmt(s, ST_MOL_HAS_FP, &st, err)) || (status = stmt(s, b->stmt, &st, err)))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        int64_t id = 0;
        const char *label = NULL;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        int rc = fn(s, st, b->run_id, rows, i, &id, &label);
        if (rc != SQLITE_OK) {
            char at[256];
            snprintf(at, sizeof at, "%s (%s %zu%s%.60s%s)", b->what, b->row_name, i,
                     label ? " '" : "", label ? label : "", label ? "'" : "");
            status = cv_store_db_error(s, err, rc, at);
            goto fail;
        }
        if (ids) ids[i] = id;
    }
    return tx_commit(s, b->what, err);
fail:
    tx_rollback(s);
    return status;
}

/* ---- molecules and generations --------------------------------------------------------- */

/* The fingerprint an upsert of m stores: computed (into buf) when the molecule is new or
 * stored without one; NULL when it has one already or RDKit cannot parse the SMILES (the
 * column stays NULL). Parsing (about 95 us) and fingerprinting (25 us) cost far more than
 * the lookup, hence the lookup first. */
static const unsigned char *molecule_fp(Store *s, const StoreMolecule *m,
                                        unsigned char buf[CHEM_FP_BYTES]) {
    sqlite3_stmt *st = s->st[ST_MOL_HAS_FP];
    sqlite3_reset(st);
    bind_text(st, 1, m->smiles);
    int stored = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return !stored && cv_chem_smiles_fp(m->smiles, buf) ? buf : NULL;
}

/* Upserts one molecule inside the caller's transaction; *id receives its id. */
static int upsert_molecule(Store *s, int64_t run_id, const StoreMolecule *m, int64_t *id) {
    unsigned char buf[CHEM_FP_BYTES];
    const unsigned char *fp = molecule_fp(s, m, buf);
    sqlite3_stmt *st = s->st[ST_MOL_UPSERT];
    sqlite3_reset(st);
    bind_text(st, 1, m->smiles);
    const double v[5] = {m->mw, m->logp, m->qed, m->sa, m->penalized_logp};
    for (int k = 0; k < 5; k++) bind_real(st, 2 + k, v[k]);
    bind_id(st, 7, run_id);
    if (fp) sqlite3_bind_blob(st, 8, fp, CHEM_FP_BYTES, SQLITE_STATIC);
    else sqlite3_bind_null(st, 8);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        return step_done(st);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return rc;
    /* Present already and nothing to fill in: DO UPDATE ... WHERE returned no row. */
    st = s->st[ST_MOL_FIND];
    sqlite3_reset(st);
    bind_text(st, 1, m->smiles);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? SQLITE_OK : rc == SQLITE_DONE ? SQLITE_INTERNAL : rc;
}

static int molecule_row(Store *s, sqlite3_stmt *st, int64_t run_id, const void *rows, size_t i,
                        int64_t *id, const char **label) {
    (void)st;
    const StoreMolecule *m = (const StoreMolecule *)rows + i;
    *label = m->smiles;
    return upsert_molecule(s, run_id, m, id);
}

CvStatus cv_store_upsert_molecules(Store *s, int64_t run_id, const StoreMolecule *mols, size_t n,
                                   int64_t *ids, CvError *err) {
    char what[96];
    snprintf(what, sizeof what, "storing %zu molecules", n);
    for (size_t i = 0; i < n; i++)
        if (!mols[i].smiles || !*mols[i].smiles)
            return cv_error_set(err, CV_ERR_INVALID, "%s: %s: molecule %zu has no SMILES", s->path,
                                what, i);
    Batch b = {what, "molecule", ST_MOL_FIND, run_id, 0};
    return write_batch(s, &b, molecule_row, mols, n, ids, err);
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

static int generation_row(Store *s, sqlite3_stmt *st, int64_t run_id, const void *rows, size_t i,
                          int64_t *id, const char **label) {
    const StoreGeneration *g = (const StoreGeneration *)rows + i;
    int64_t mol_id = g->molecule_id;
    *label = g->raw_smiles;
    if (g->molecule) {
        int rc = upsert_molecule(s, run_id, g->molecule, &mol_id);
        if (rc != SQLITE_OK) return rc;
    }
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, g->method);
    sqlite3_bind_int64(st, 3, g->step);
    bind_text(st, 4, g->source);
    bind_text(st, 5, g->raw_smiles);
    sqlite3_bind_int(st, 6, g->valid);
    bind_id(st, 7, mol_id);
    if (g->z && g->z_dim)
        sqlite3_bind_blob64(st, 8, g->z, (sqlite3_uint64)g->z_dim * sizeof(float), SQLITE_STATIC);
    bind_text(st, 9, g->predicted);
    bind_real(st, 10, g->similarity);
    bind_text(st, 11, g->valid ? NULL : g->failure);
    int rc = step_done(st);
    *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

CvStatus cv_store_insert_generations(Store *s, int64_t run_id, const StoreGeneration *rows,
                                     size_t n, int64_t *ids, CvError *err) {
    char what[96];
    snprintf(what, sizeof what, "storing %zu generations of run %lld", n, (long long)run_id);
    CvStatus status;
    for (size_t i = 0; i < n; i++)
        if ((status = check_generation(s, &rows[i], i, err))) return status;
    Batch b = {what, "generation", ST_GEN_INSERT, run_id, 1};
    return write_batch(s, &b, generation_row, rows, n, ids, err);
}

/* Binds a (run, [molecule,] name, value) row in that column order and steps it: the rows of
 * `scores` (with the molecule) and of `eval_metrics` (without). */
static int step_named_value(sqlite3_stmt *st, int64_t run_id, const int64_t *mol_id,
                            const char *name, double value) {
    int col = 1;
    sqlite3_bind_int64(st, col++, run_id);
    if (mol_id) sqlite3_bind_int64(st, col++, *mol_id);
    bind_text(st, col++, name);
    bind_real(st, col, value);
    return step_done(st);
}

static int score_row(Store *s, sqlite3_stmt *st, int64_t run_id, const void *rows, size_t i,
                     int64_t *id, const char **label) {
    const StoreScore *r = (const StoreScore *)rows + i;
    int64_t mol_id = 0;
    *label = r->molecule.smiles;
    int rc = upsert_molecule(s, run_id, &r->molecule, &mol_id);
    if (rc != SQLITE_OK) return rc;
    *id = mol_id;
    return step_named_value(st, run_id, &mol_id, r->name, r->value);
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
    Batch b = {what, "score", ST_SCORE_UPSERT, run_id, 1};
    return write_batch(s, &b, score_row, rows, n, NULL, err);
}

/* ---- metrics ---------------------------------------------------------------------------- */

static int training_row(Store *s, sqlite3_stmt *st, int64_t run_id, const void *rows, size_t i,
                        int64_t *id, const char **label) {
    (void)s;
    (void)id;
    (void)label;
    const StoreTrainingMetric *m = (const StoreTrainingMetric *)rows + i;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, m->epoch);
    sqlite3_bind_int64(st, 3, m->step);
    bind_text(st, 4, m->split);
    const double v[7] = {m->loss, m->recon, m->kl, m->prop, m->beta, m->lr, m->accuracy};
    for (int k = 0; k < 7; k++) bind_real(st, 5 + k, v[k]);
    bind_text(st, 12, m->extra);
    return step_done(st);
}

CvStatus cv_store_insert_training_metrics(Store *s, int64_t run_id, const StoreTrainingMetric *rows,
                                          size_t n, CvError *err) {
    char what[96];
    snprintf(what, sizeof what, "storing %zu training metrics of run %lld", n, (long long)run_id);
    for (size_t i = 0; i < n; i++)
        if (!rows[i].split || !*rows[i].split)
            return cv_error_set(err, CV_ERR_INVALID, "%s: %s: row %zu has no split", s->path, what,
                                i);
    Batch b = {what, "row", ST_TRAIN_INSERT, run_id, 1};
    return write_batch(s, &b, training_row, rows, n, NULL, err);
}

typedef struct {
    const char *name;
    double value;
} EvalRow;

static int eval_row(Store *s, sqlite3_stmt *st, int64_t run_id, const void *rows, size_t i,
                    int64_t *id, const char **label) {
    (void)s;
    (void)id;
    const EvalRow *r = (const EvalRow *)rows + i;
    *label = r->name;
    return step_named_value(st, run_id, NULL, r->name, r->value);
}

CvStatus cv_store_insert_eval_metric(Store *s, int64_t run_id, const char *name, double value,
                                     CvError *err) {
    if (!name || !*name)
        return cv_error_set(err, CV_ERR_INVALID, "%s: eval metric of run %lld has no name", s->path,
                            (long long)run_id);
    char what[64];
    snprintf(what, sizeof what, "storing an eval metric of run %lld", (long long)run_id);
    EvalRow row = {name, value};
    Batch b = {what, "metric", ST_EVAL_UPSERT, run_id, 1};
    return write_batch(s, &b, eval_row, &row, 1, NULL, err);
}
