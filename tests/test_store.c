/* test_store.c — the results DB: schema and versions, refusal of newer/foreign DBs, locked
 * DB, batches that commit all or nothing (constraint failure, simulated disk full,
 * SIGKILL mid-write), concurrent writer processes, read-only enforcement, canned views,
 * CSV/JSON/table output, the chemistry SQL functions against Python RDKit values. White-box where a
 * fault must be injected: the test reaches the Store's sqlite3 handle through
 * src/store/store_internal.h (PRAGMA max_page_count) and opens a second raw connection to hold a
 * write lock. Every DB lives in a fresh directory under /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../src/store/store_internal.h"
#include "chemvae/chem/chem.h"
#include "chemvae/core/json.h"
#include "chemvae/store/store.h"
#include "support/runcmd.h"

/* ---- fixtures -------------------------------------------------------------------------- */

typedef struct {
    char dir[64];
    char path[128];
} TmpDb;

static void tmp_db(TmpDb *t, const char *name) {
    snprintf(t->dir, sizeof t->dir, "/tmp/cvstore-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/%s", t->dir, name);
}

static void tmp_db_remove(TmpDb *t) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
}

static Store *open_rw(const char *path) {
    Store *s = NULL;
    CvError err = {0};
    CvStatus st = cv_store_open(path, 0, &s, &err);
    if (st) fprintf(stderr, "cv_store_open: %s\n", err.msg);
    assert_int_equal(st, CV_OK);
    return s;
}

/* A fresh read-write DB `name` in a new temp dir. */
static Store *open_fresh(TmpDb *t, const char *name) {
    tmp_db(t, name);
    return open_rw(t->path);
}

/* A fresh DB `name` in a new temp dir with one run of `kind` (seed 1); *run gets its id. */
static Store *open_with_run(TmpDb *t, const char *name, const char *kind, int64_t *run) {
    Store *s = open_fresh(t, name);
    CvError err = {0};
    assert_int_equal(cv_store_run_begin(s, kind, NULL, NULL, NULL, 1, 0, run, &err), CV_OK);
    return s;
}

/* Runs a read-only query that must succeed with exactly one row into *t (caller frees). */
static void query_one_row(Store *s, const char *sql, StoreTable *t) {
    CvError err = {0};
    CvStatus st = cv_store_select(s, sql, NULL, 0, t, &err);
    if (st) fprintf(stderr, "%s: %s\n", sql, err.msg);
    assert_int_equal(st, CV_OK);
    assert_int_equal(t->nrow, 1);
}

/* One integer from a read-only query. */
static int64_t query_int(Store *s, const char *sql) {
    StoreTable t;
    query_one_row(s, sql, &t);
    int64_t v = t.cells[0].i;
    cv_store_table_free(&t);
    return v;
}

static void raw_exec(const char *path, const char *sql) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

#define ZDIM 196

/* n generations of run `run`: every third invalid, the others molecules "C"*k. */
typedef struct {
    StoreGeneration *g;
    StoreMolecule *m;
    char (*smiles)[48];
    float *z;
} GenBatch;

static void gen_batch(GenBatch *b, size_t n, size_t offset) {
    b->g = calloc(n, sizeof *b->g);
    b->m = calloc(n, sizeof *b->m);
    b->smiles = calloc(n, sizeof *b->smiles);
    b->z = calloc(n * ZDIM, sizeof *b->z);
    assert_true(b->g && b->m && b->smiles && b->z);
    for (size_t i = 0; i < n; i++) {
        size_t k = offset + i;
        for (size_t j = 0; j < ZDIM; j++) b->z[i * ZDIM + j] = (float)(k + j) * 0.25f;
        int valid = k % 3 != 0;
        snprintf(b->smiles[i], sizeof b->smiles[i], valid ? "C%zuO" : "C(%zu", k % 97);
        b->m[i] = (StoreMolecule){b->smiles[i],
                                  10.0 + (double)(k % 97),
                                  0.1 * (double)(k % 97),
                                  (double)(k % 97) / 100.0,
                                  2.5,
                                  NAN};
        b->g[i] = (StoreGeneration){.method = "sample",
                                    .step = (int64_t)k,
                                    .source = "prior",
                                    .raw_smiles = b->smiles[i],
                                    .valid = valid,
                                    .molecule = valid ? &b->m[i] : NULL,
                                    .z = &b->z[i * ZDIM],
                                    .z_dim = ZDIM,
                                    .predicted = "{\"qed\":0.5}",
                                    .similarity = NAN};
    }
}

static void gen_batch_free(GenBatch *b) {
    free(b->g);
    free(b->m);
    free(b->smiles);
    free(b->z);
}

/* ---- schema and versions ---------------------------------------------------------------- */

static void test_schema_created(void **state) {
    (void)state;
    TmpDb t;
    Store *s = open_fresh(&t, "a/b/results.db"); /* parent dirs do not exist yet */
    assert_int_equal(query_int(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(query_int(s, "PRAGMA application_id"), STORE_APPLICATION_ID);
    assert_int_equal(query_int(s, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                                  "name IN ('runs', 'molecules', 'generations', "
                                  "'training_metrics', 'eval_metrics')"),
                     5);
    assert_int_equal(query_int(s, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    assert_int_equal(query_int(s, "PRAGMA foreign_keys"), 1);
    int64_t run = 0;
    CvError err = {0};
    assert_int_equal(cv_store_run_begin(s, "sample", "{\"n\":3}", NULL, NULL, 42, 0, &run, &err),
                     0);
    cv_store_close(s);
    /* Reopening keeps the data and does not re-run the migration. */
    s = open_rw(t.path);
    assert_int_equal(query_int(s, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(query_int(s, "SELECT seed FROM runs"), 42);
    cv_store_close(s);
    tmp_db_remove(&t);
}

static void test_empty_file_is_migrated(void **state) {
    (void)state;
    TmpDb t;
    tmp_db(&t, "empty.db");
    FILE *fp = fopen(t.path, "w");
    assert_non_null(fp);
    fclose(fp);
    Store *s = NULL;
    CvError err = {0};
    assert_int_equal(cv_store_open(t.path, STORE_READ_ONLY, &s, &err), CV_ERR_FORMAT);
    assert_null(s);
    assert_non_null(strstr(err.msg, t.path));
    assert_non_null(strstr(err.msg, "older"));
    s = open_rw(t.path);
    assert_int_equal(query_int(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    cv_store_close(s);
    tmp_db_remove(&t);
}

static void test_newer_version_refused(void **state) {
    (void)state;
    TmpDb t;
    tmp_db(&t, "future.db");
    cv_store_close(open_rw(t.path));
    raw_exec(t.path, "PRAGMA user_version = 99");
    for (unsigned flags = 0; flags <= STORE_READ_ONLY; flags += STORE_READ_ONLY) {
        Store *s = NULL;
        CvError err = {0};
        assert_int_equal(cv_store_open(t.path, flags, &s, &err), CV_ERR_FORMAT);
        assert_null(s);
        assert_non_null(strstr(err.msg, t.path));
        assert_non_null(strstr(err.msg, "99"));
        assert_non_null(strstr(err.msg, "newer"));
        char ours[16];
        snprintf(ours, sizeof ours, "(%d)", STORE_SCHEMA_VERSION);
        assert_non_null(strstr(err.msg, ours));
    }
    /* Untouched: still version 99. */
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(t.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 99);
    sqlite3_finalize(st);
    sqlite3_close(db);
    tmp_db_remove(&t);
}

static void test_foreign_db_refused(void **state) {
    (void)state;
    TmpDb t;
    tmp_db(&t, "other.db");
    raw_exec(t.path, "CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL)");
    Store *s = NULL;
    CvError err = {0};
    assert_int_equal(cv_store_open(t.path, 0, &s, &err), CV_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "not a chemvae results database"));
    /* Not an SQLite file at all. */
    FILE *fp = fopen(t.path, "w");
    assert_non_null(fp);
    fputs("smiles,logP\nCCO,-0.0014\n", fp);
    for (int i = 0; i < 100; i++) fputs("padding padding padding padding\n", fp);
    fclose(fp);
    assert_int_equal(cv_store_open(t.path, 0, &s, &err), CV_ERR_DB);
    assert_non_null(strstr(err.msg, t.path));
    assert_non_null(strstr(err.msg, "not a valid SQLite database"));
    /* Missing file, read-only. */
    snprintf(t.path, sizeof t.path, "%s/missing.db", t.dir);
    assert_int_equal(cv_store_open(t.path, STORE_READ_ONLY, &s, &err), CV_ERR_IO);
    assert_non_null(strstr(err.msg, "no such results database"));
    assert_int_equal(access(t.path, F_OK), -1); /* not created */
    tmp_db_remove(&t);
}

/* ---- locking ------------------------------------------------------------------------------ */

static void test_locked_db_clear_error(void **state) {
    (void)state;
    TmpDb t;
    int64_t run = 0;
    Store *s = open_with_run(&t, "locked.db", "train", &run);
    CvError err = {0};

    sqlite3 *other;
    assert_int_equal(sqlite3_open(t.path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO runs(kind) VALUES('x')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    cv_store_set_busy_timeout(s, 50);
    int64_t run2 = 0;
    assert_int_equal(cv_store_run_begin(s, "sample", NULL, NULL, NULL, 1, 0, &run2, &err),
                     CV_ERR_DB);
    assert_non_null(strstr(err.msg, t.path));
    assert_non_null(strstr(err.msg, "locked"));
    StoreTrainingMetric m = {.epoch = 0, .step = 1, .split = "train", .loss = 1.0};
    assert_int_equal(cv_store_insert_training_metrics(s, run, &m, 1, &err), CV_ERR_DB);
    assert_non_null(strstr(err.msg, "locked"));
    /* Readers are not blocked by the writer (WAL). */
    assert_int_equal(query_int(s, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    assert_int_equal(cv_store_insert_training_metrics(s, run, &m, 1, &err), CV_OK);
    assert_int_equal(query_int(s, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(query_int(s, "SELECT count(*) FROM training_metrics"), 1);
    cv_store_close(s);
    tmp_db_remove(&t);
}

/* ---- batches ------------------------------------------------------------------------------ */

static void test_batch_insert_and_rollback(void **state) {
    (void)state;
    TmpDb t;
    Store *s = open_fresh(&t, "batch.db");
    CvError err = {0};
    int64_t run = 0;
    assert_int_equal(cv_store_run_begin(s, "sample", NULL, "m.cvae", "0123abcd", 7, 0, &run, &err),
                     0);
    GenBatch b;
    gen_batch(&b, 300, 0);
    int64_t *ids = calloc(300, sizeof *ids);
    assert_int_equal(cv_store_insert_generations(s, run, b.g, 300, ids, &err), CV_OK);
    assert_true(ids[299] > ids[0]);
    assert_int_equal(query_int(s, "SELECT count(*) FROM generations"), 300);
    assert_int_equal(query_int(s, "SELECT count(*) FROM generations WHERE valid"), 200);
    assert_int_equal(query_int(s, "SELECT count(*) FROM generations WHERE valid AND "
                                  "molecule_id IS NULL"),
                     0);
    int64_t nmol = query_int(s, "SELECT count(*) FROM molecules");
    assert_true(nmol > 0 && nmol <= 97);
    assert_int_equal(query_int(s, "SELECT count(*) FROM molecules WHERE first_run IS NULL"), 0);
    assert_int_equal(query_int(s, "SELECT length(z) FROM generations LIMIT 1"), ZDIM * 4);
    /* z round-trips as little-endian float32. */
    StoreTable tz;
    StoreValue id = {.type = STORE_INT, .i = ids[5]};
    assert_int_equal(
        cv_store_select(s, "SELECT z FROM generations WHERE id = ?1", &id, 1, &tz, &err), 0);
    assert_int_equal(tz.cells[0].type, STORE_BLOB);
    assert_memory_equal(tz.cells[0].s, &b.z[5 * ZDIM], ZDIM * sizeof(float));
    cv_store_table_free(&tz);

    /* A second batch whose row 150 breaks a CHECK (predicted not JSON): all or nothing. */
    GenBatch b2;
    gen_batch(&b2, 300, 1000);
    b2.g[150].predicted = "{not json";
    assert_int_equal(cv_store_insert_generations(s, run, b2.g, 300, NULL, &err), CV_ERR_DB);
    assert_non_null(strstr(err.msg, "generation 150"));
    assert_int_equal(query_int(s, "SELECT count(*) FROM generations"), 300);
    assert_int_equal(query_int(s, "SELECT count(*) FROM molecules"), nmol);
    /* Bad arguments are refused before anything is written. */
    b2.g[150].predicted = NULL;
    b2.g[10].method = NULL;
    assert_int_equal(cv_store_insert_generations(s, run, b2.g, 300, NULL, &err), CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "generation 10"));
    b2.g[10].method = "sample";
    assert_int_equal(cv_store_insert_generations(s, run + 100, b2.g, 300, NULL, &err),
                     CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no run"));
    assert_int_equal(cv_store_insert_generations(s, run, b2.g, 300, NULL, &err), CV_OK);
    assert_int_equal(query_int(s, "SELECT count(*) FROM generations"), 600);

    /* Molecules: upsert keeps the first run and fills NULL scores. */
    int64_t run2 = 0;
    assert_int_equal(cv_store_run_begin(s, "optimize", NULL, NULL, NULL, -1, run, &run2, &err), 0);
    StoreMolecule m[2] = {{"C1O", 99, 99, 0.99, 9.9, -1.25},
                          {"c1ccccc1", 78.1, 1.69, 0.44, 1.0, NAN}};
    int64_t mid[2];
    assert_int_equal(cv_store_upsert_molecules(s, run2, m, 2, mid, &err), CV_OK);
    StoreTable tm;
    StoreValue p = {.type = STORE_INT, .i = mid[0]};
    assert_int_equal(cv_store_select(s,
                                     "SELECT mw, penalized_logp, first_run FROM molecules WHERE "
                                     "id = ?1",
                                     &p, 1, &tm, &err),
                     0);
    assert_true(cv_store_table_real(&tm, 0, 0) == 11.0);  /* kept */
    assert_true(cv_store_table_real(&tm, 0, 1) == -1.25); /* filled */
    assert_int_equal(tm.cells[2].i, run);
    cv_store_table_free(&tm);
    assert_int_equal(query_int(s, "SELECT first_run FROM molecules WHERE smiles = 'c1ccccc1'"),
                     run2);
    assert_int_equal(query_int(s, "SELECT penalized_logp IS NULL FROM molecules WHERE smiles = "
                                  "'c1ccccc1'"),
                     1);
    assert_int_equal(query_int(s, "SELECT parent FROM runs WHERE kind = 'optimize'"), run);

    /* Eval metrics replace; run_finish sets status and time. */
    assert_int_equal(cv_store_insert_eval_metric(s, run, "validity", 0.5, &err), 0);
    assert_int_equal(cv_store_insert_eval_metric(s, run, "validity", 0.75, &err), 0);
    assert_int_equal(query_int(s, "SELECT value = 0.75 FROM eval_metrics"), 1);
    assert_int_equal(cv_store_run_finish(s, run, STORE_RUN_OK, &err), 0);
    assert_int_equal(query_int(s, "SELECT status = 'ok' AND finished_at >= started_at FROM runs "
                                  "WHERE id = 1"),
                     1);
    assert_int_equal(cv_store_run_finish(s, 12345, STORE_RUN_FAILED, &err), CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "12345"));
    free(ids);
    gen_batch_free(&b);
    gen_batch_free(&b2);
    cv_store_close(s);
    tmp_db_remove(&t);
}

static void test_disk_full_keeps_committed(void **state) {
    (void)state;
    TmpDb t;
    int64_t run = 0;
    Store *s = open_with_run(&t, "full.db", "sample", &run);
    CvError err = {0};
    GenBatch b;
    gen_batch(&b, 200, 0);
    assert_int_equal(cv_store_insert_generations(s, run, b.g, 200, NULL, &err), CV_OK);
    int64_t pages = query_int(s, "PRAGMA page_count");
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages + 4);
    assert_int_equal(sqlite3_exec(s->db, sql, NULL, NULL, NULL), SQLITE_OK);
    GenBatch big;
    gen_batch(&big, 2000, 5000); /* ~1.6 MB of z: far more than 4 pages */
    assert_int_equal(cv_store_insert_generations(s, run, big.g, 2000, NULL, &err), CV_ERR_DB);
    assert_non_null(strstr(err.msg, t.path));
    assert_non_null(strstr(err.msg, "full"));
    assert_non_null(strstr(err.msg, "rolled back"));
    assert_int_equal(query_int(s, "SELECT count(*) FROM generations"), 200);
    /* Still usable afterwards, and intact on disk. */
    StoreTrainingMetric m = {.epoch = 1, .step = 2, .split = "valid", .loss = 0.5, .kl = NAN};
    assert_int_equal(cv_store_insert_training_metrics(s, run, &m, 1, &err), CV_OK);
    cv_store_close(s);
    s = open_rw(t.path);
    StoreTable ic;
    assert_int_equal(cv_store_select(s, "PRAGMA integrity_check", NULL, 0, &ic, &err), 0);
    assert_string_equal(ic.cells[0].s, "ok");
    cv_store_table_free(&ic);
    assert_int_equal(query_int(s, "SELECT count(*) FROM generations"), 200);
    assert_int_equal(query_int(s, "SELECT count(*) FROM training_metrics WHERE kl IS NULL"), 1);
    gen_batch_free(&b);
    gen_batch_free(&big);
    cv_store_close(s);
    tmp_db_remove(&t);
}

/* A child writes batches and reports each commit through a pipe; it is SIGKILLed mid-run.
 * The DB must pass integrity_check and hold every batch whose commit was reported (plus at
 * most the one batch that committed before its report was written). */
static void test_sigkill_mid_write(void **state) {
    (void)state;
    TmpDb t;
    tmp_db(&t, "killed.db");
    cv_store_close(open_rw(t.path));
    enum { BATCH = 100 };
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        Store *s = NULL;
        int64_t run = 0;
        if (cv_store_open(t.path, 0, &s, NULL) ||
            cv_store_run_begin(s, "sample", NULL, NULL, NULL, 0, 0, &run, NULL))
            _exit(3);
        GenBatch b;
        gen_batch(&b, BATCH, 0);
        for (int64_t done = BATCH;; done += BATCH) {
            if (cv_store_insert_generations(s, run, b.g, BATCH, NULL, NULL)) _exit(4);
            if (write(fd[1], &done, sizeof done) != sizeof done) _exit(5);
        }
    }
    close(fd[1]);
    int64_t reported = 0, v;
    while (reported < 20 * BATCH && read(fd[0], &v, sizeof v) == sizeof v) reported = v;
    kill(pid, SIGKILL);
    while (read(fd[0], &v, sizeof v) == sizeof v) reported = v; /* drain */
    int wstatus;
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    assert_true(WIFSIGNALED(wstatus));
    close(fd[0]);
    Store *s = open_rw(t.path);
    StoreTable ic;
    CvError err = {0};
    assert_int_equal(cv_store_select(s, "PRAGMA integrity_check", NULL, 0, &ic, &err), 0);
    assert_string_equal(ic.cells[0].s, "ok");
    cv_store_table_free(&ic);
    int64_t n = query_int(s, "SELECT count(*) FROM generations");
    assert_true(n == reported || n == reported + BATCH);
    assert_int_equal(n % BATCH, 0); /* never half a batch */
    cv_store_close(s);
    tmp_db_remove(&t);
}

/* Several processes create the same new DB and write to it at once (e.g. train and sample
 * started together): the schema is created once, writers wait for each other through the
 * busy timeout, and every batch arrives. */
static void test_concurrent_writers(void **state) {
    (void)state;
    TmpDb t;
    tmp_db(&t, "shared/results.db");
    /* No DB yet: the writers also race to create it and migrate its schema. */
    enum { PROCS = 4, BATCHES = 10, BATCH = 50 };
    pid_t pids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            Store *s = NULL;
            int64_t run = 0;
            CvError err = {0};
            GenBatch b;
            gen_batch(&b, BATCH, (size_t)p * 1000);
            int bad = cv_store_open(t.path, 0, &s, &err) ||
                      cv_store_run_begin(s, "sample", NULL, NULL, NULL, p, 0, &run, &err);
            for (int i = 0; !bad && i < BATCHES; i++)
                bad = cv_store_insert_generations(s, run, b.g, BATCH, NULL, &err) != CV_OK;
            if (bad) fprintf(stderr, "writer %d: %s\n", p, err.msg);
            cv_store_close(s);
            gen_batch_free(&b);
            _exit(bad ? 1 : 0);
        }
    }
    for (int p = 0; p < PROCS; p++) {
        int wstatus;
        assert_int_equal(waitpid(pids[p], &wstatus, 0), pids[p]);
        assert_true(WIFEXITED(wstatus));
        assert_int_equal(WEXITSTATUS(wstatus), 0);
    }
    Store *s = open_rw(t.path);
    assert_int_equal(query_int(s, "SELECT count(*) FROM runs"), PROCS);
    assert_int_equal(query_int(s, "SELECT count(*) FROM generations"), PROCS * BATCHES * BATCH);
    assert_int_equal(query_int(s, "SELECT count(DISTINCT run_id) FROM generations"), PROCS);
    assert_int_equal(query_int(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    cv_store_close(s);
    tmp_db_remove(&t);
}

/* ---- read-only ------------------------------------------------------------------------------ */

/* A run whose process no longer exists (a killed command) is 'interrupted' at the next
 * read-write open; a run of a live process stays 'running'. */
static void test_dead_runs_interrupted(void **state) {
    (void)state;
    char dir[64], path[128];
    assert_int_equal(runcmd_mkdtemp(dir, sizeof dir, "cvstore-dead"), 0);
    snprintf(path, sizeof path, "%s/r.db", dir);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) { /* starts a run and dies without finishing it */
        Store *s = NULL;
        CvError e = {0};
        int64_t id = 0;
        _exit(cv_store_open(path, 0, &s, &e) ||
              cv_store_run_begin(s, "sample", NULL, NULL, NULL, 1, 0, &id, &e));
    }
    int wst = 0;
    assert_int_equal(waitpid(child, &wst, 0), child);
    assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
    Store *s = NULL;
    CvError err = {0};
    int64_t live = 0;
    assert_int_equal(cv_store_open(path, 0, &s, &err), CV_OK);
    assert_int_equal(cv_store_run_begin(s, "train", NULL, NULL, NULL, 1, 0, &live, &err), CV_OK);
    cv_store_close(s);
    assert_int_equal(cv_store_open(path, 0, &s, &err), CV_OK);
    assert_int_equal(query_int(s,
                               "SELECT count(*) FROM runs WHERE id = 1 AND status = 'interrupted' "
                               "AND finished_at IS NOT NULL"),
                     1);
    assert_int_equal(query_int(s, "SELECT count(*) FROM runs WHERE id = 2 AND status = 'running'"),
                     1);
    assert_int_equal(
        query_int(s, "SELECT count(*) FROM runs WHERE pid IS NOT NULL AND host IS NOT NULL"), 2);
    cv_store_close(s);
    runcmd_rmtree(dir);
}

static void test_readonly_rejects_writes(void **state) {
    (void)state;
    TmpDb t;
    int64_t run = 0;
    Store *s = open_with_run(&t, "ro.db", "sample", &run);
    CvError err = {0};
    /* A read-write connection's select path refuses writes too. */
    StoreTable tt;
    assert_int_equal(cv_store_select(s, "DELETE FROM runs", NULL, 0, &tt, &err), CV_ERR_INVALID);
    char attach[256];
    snprintf(attach, sizeof attach, "ATTACH '%s/evil.db' AS evil", t.dir);
    assert_int_equal(cv_store_select(s, attach, NULL, 0, &tt, &err), CV_ERR_INVALID);
    cv_store_close(s);

    Store *ro = NULL;
    assert_int_equal(cv_store_open(t.path, STORE_READ_ONLY, &ro, &err), CV_OK);
    char vacuum_into[256];
    snprintf(vacuum_into, sizeof vacuum_into, "VACUUM INTO '%s/copy.db'", t.dir);
    const char *writes[] = {
        "INSERT INTO runs(kind) VALUES('x')",
        "UPDATE runs SET kind = 'y'",
        "DELETE FROM runs",
        "DROP TABLE runs",
        "CREATE TABLE t(x)",
        "CREATE TEMP TABLE t(x)",
        "CREATE INDEX i ON runs(kind)",
        "ALTER TABLE runs ADD COLUMN x",
        attach,
        "DETACH main",
        "PRAGMA user_version = 5",
        "PRAGMA query_only = 0",
        "PRAGMA journal_mode = DELETE",
        "PRAGMA foreign_keys = OFF",
        "PRAGMA writable_schema = 1",
        "VACUUM",
        vacuum_into,
        "REINDEX",
        "ANALYZE",
        "BEGIN",
        "SAVEPOINT a",
        "SELECT 1; DROP TABLE runs",
        "SELECT load_extension('/tmp/x.so')",
        "WITH x AS (SELECT 1) DELETE FROM runs",
        "",
        "  -- only a comment",
    };
    for (size_t i = 0; i < sizeof writes / sizeof *writes; i++) {
        StoreTable r;
        CvStatus st = cv_store_select(ro, writes[i], NULL, 0, &r, &err);
        if (st == CV_OK) fprintf(stderr, "not refused: %s\n", writes[i]);
        assert_int_not_equal(st, CV_OK);
        assert_null(r.names);
    }
    assert_int_equal(cv_store_run_begin(ro, "x", NULL, NULL, NULL, 1, 0, &run, &err), CV_ERR_DB);
    assert_non_null(strstr(err.msg, "read-only"));
    /* Reads still work, including introspection pragmas. */
    assert_int_equal(query_int(ro, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(query_int(ro, "SELECT count(*) FROM pragma_table_info('runs')"), 12);
    StoreTable r;
    assert_int_equal(cv_store_select(ro, "PRAGMA table_info(molecules)", NULL, 0, &r, &err), 0);
    assert_int_equal(r.nrow, 9);
    cv_store_table_free(&r);
    assert_int_equal(query_int(ro, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    cv_store_close(ro);
    s = open_rw(t.path);
    assert_int_equal(query_int(s, "SELECT count(*) FROM runs WHERE kind = 'sample'"), 1);
    cv_store_close(s);
    char copy[128];
    snprintf(copy, sizeof copy, "%s/copy.db", t.dir);
    assert_int_equal(access(copy, F_OK), -1);
    snprintf(copy, sizeof copy, "%s/evil.db", t.dir);
    assert_int_equal(access(copy, F_OK), -1);
    tmp_db_remove(&t);
}

/* ---- canned views ---------------------------------------------------------------------------- */

static void test_canned_views(void **state) {
    (void)state;
    TmpDb t;
    Store *s = open_fresh(&t, "views.db");
    CvError err = {0};
    int64_t r1 = 0, r2 = 0;
    assert_int_equal(cv_store_run_begin(s, "train", "{\"epochs\":2}", NULL, NULL, 1, 0, &r1, &err),
                     0);
    assert_int_equal(cv_store_run_begin(s, "sample", NULL, NULL, NULL, 2, 0, &r2, &err), 0);
    StoreMolecule mols[4] = {
        {"CCO", 46.07, -0.0014, 0.4068, 1.98, -1.98},
        {"c1ccccc1", 78.11, 1.6866, 0.4426, 1.0, 0.69},
        {"CC(=O)O", 60.05, 0.0909, 0.4290, 1.6, NAN},
        {"N", 17.03, -0.5, NAN, NAN, NAN},
    };
    StoreGeneration g[5] = {
        {.method = "sample",
         .step = 0,
         .source = "prior",
         .raw_smiles = "OCC",
         .valid = 1,
         .molecule = &mols[0],
         .similarity = NAN},
        {.method = "sample",
         .step = 3,
         .source = "prior",
         .raw_smiles = "C(O)C",
         .valid = 1,
         .molecule = &mols[0],
         .similarity = NAN},
        {.method = "sample",
         .step = 1,
         .source = "prior",
         .raw_smiles = "c1ccccc1",
         .valid = 1,
         .molecule = &mols[1],
         .similarity = NAN},
        {.method = "sample",
         .step = 2,
         .source = "prior",
         .raw_smiles = "c1cc",
         .valid = 0,
         .similarity = NAN},
        {.method = "optimize",
         .step = 9,
         .source = "CCC",
         .raw_smiles = "CCO",
         .valid = 1,
         .molecule = &mols[0],
         .similarity = 0.25},
    };
    assert_int_equal(cv_store_insert_generations(s, r2, g, 5, NULL, &err), 0);
    assert_int_equal(cv_store_upsert_molecules(s, r1, &mols[2], 2, NULL, &err), 0);
    StoreTrainingMetric tm[4] = {
        {0, 10, "train", 5.0, 4.0, 1.0, 0.1, 0.0, 1e-3, 0.5, NULL},
        {0, 10, "valid", 6.0, 5.0, 1.0, 0.1, 0.0, 1e-3, 0.4, NULL},
        {1, 20, "train", 3.0, 2.5, 0.5, 0.05, 0.1, 1e-3, 0.7, "{\"grad_norm\":2.5}"},
        {1, 20, "valid", 4.0, 3.5, 0.5, 0.05, 0.1, 1e-3, 0.6, NULL},
    };
    assert_int_equal(cv_store_insert_training_metrics(s, r1, tm, 4, &err), 0);
    assert_int_equal(cv_store_insert_eval_metric(s, r1, "reconstruction", 0.8, &err), 0);
    assert_int_equal(cv_store_insert_eval_metric(s, r1, "validity", 0.9, &err), 0);
    cv_store_close(s);

    assert_int_equal(cv_store_open(t.path, STORE_READ_ONLY, &s, &err), 0);
    StoreTable v;
    assert_int_equal(cv_store_top_molecules(s, "qed", 2, 0, 0, &v, &err), 0);
    int sm = cv_store_table_col(&v, "smiles");
    assert_int_equal(v.nrow, 2);
    assert_string_equal(v.cells[0 * v.ncol + sm].s, "c1ccccc1");
    assert_string_equal(v.cells[1 * v.ncol + sm].s, "CC(=O)O");
    cv_store_table_free(&v);
    assert_int_equal(cv_store_top_molecules(s, "qed", 10, 1, 0, &v, &err), 0);
    assert_int_equal(v.nrow, 4);
    assert_string_equal(v.cells[0 * v.ncol + sm].s, "CCO");
    assert_string_equal(v.cells[3 * v.ncol + sm].s, "N"); /* NULL last also ascending */
    cv_store_table_free(&v);
    /* Only what run r1 stored (CC(=O)O, N) */
    assert_int_equal(cv_store_top_molecules(s, "mw", 10, 0, r1, &v, &err), 0);
    assert_int_equal(v.nrow, 2);
    assert_string_equal(v.cells[0 * v.ncol + sm].s, "CC(=O)O");
    cv_store_table_free(&v);
    assert_int_equal(cv_store_top_molecules(s, "qed; DROP TABLE runs", 3, 0, 0, &v, &err),
                     CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "unknown molecule column"));

    assert_int_equal(cv_store_list_runs(s, &v, &err), 0);
    assert_int_equal(v.nrow, 2);
    int id = cv_store_table_col(&v, "id"), gens = cv_store_table_col(&v, "generations"),
        valid = cv_store_table_col(&v, "valid"), fresh = cv_store_table_col(&v, "new_molecules");
    assert_true(id >= 0 && gens >= 0 && valid >= 0 && fresh >= 0);
    assert_int_equal(v.cells[id].i, r2); /* newest first */
    assert_int_equal(v.cells[gens].i, 5);
    assert_int_equal(v.cells[valid].i, 4);
    assert_int_equal(v.cells[fresh].i, 2);
    assert_int_equal(v.cells[v.ncol + fresh].i, 2);
    cv_store_table_free(&v);

    assert_int_equal(cv_store_run_read(s, STORE_READ_COUNTS, r2, &v, &err), 0);
    assert_int_equal(v.cells[cv_store_table_col(&v, "distinct_molecules")].i, 2);
    cv_store_table_free(&v);
    assert_int_equal(cv_store_run_read(s, STORE_READ_RUN, r1, &v, &err), 0);
    assert_string_equal(v.cells[cv_store_table_col(&v, "config")].s, "{\"epochs\":2}");
    assert_string_equal(v.cells[cv_store_table_col(&v, "status")].s, "running");
    cv_store_table_free(&v);
    assert_int_equal(cv_store_run_read(s, STORE_READ_RUN, 99, &v, &err), 0);
    assert_int_equal(v.nrow, 0);
    assert_true(v.ncol > 0);
    cv_store_table_free(&v);

    assert_int_equal(cv_store_run_read(s, STORE_READ_TRAINING_METRICS, r1, &v, &err), 0);
    assert_int_equal(v.nrow, 4);
    assert_true(cv_store_table_real(&v, 2, (size_t)cv_store_table_col(&v, "loss")) == 3.0);
    cv_store_table_free(&v);
    assert_int_equal(cv_store_run_read(s, STORE_READ_TRAINING_SUMMARY, r1, &v, &err), 0);
    assert_int_equal(v.nrow, 2);
    assert_string_equal(v.cells[0].s, "train");
    assert_int_equal(v.cells[cv_store_table_col(&v, "rows")].i, 2);
    assert_int_equal(v.cells[cv_store_table_col(&v, "last_step")].i, 20);
    assert_true(cv_store_table_real(&v, 1, (size_t)cv_store_table_col(&v, "loss")) == 4.0);
    cv_store_table_free(&v);
    assert_int_equal(cv_store_run_read(s, STORE_READ_EVAL_METRICS, r1, &v, &err), 0);
    assert_int_equal(v.nrow, 2);
    assert_string_equal(v.cells[0].s, "reconstruction");
    cv_store_table_free(&v);
    assert_int_equal(cv_store_run_read(s, (StoreRunRead)99, r1, &v, &err), CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no read 99"));
    assert_int_equal(v.nrow, 0);
    assert_int_equal(query_int(s, "SELECT json_extract(extra, '$.grad_norm') = 2.5 FROM "
                                  "training_metrics WHERE extra IS NOT NULL"),
                     1);

    assert_int_equal(cv_store_find_molecule(s, "CCO", &v, &err), 0);
    assert_int_equal(v.nrow, 1);
    int64_t mid = v.cells[cv_store_table_col(&v, "id")].i;
    cv_store_table_free(&v);
    assert_int_equal(cv_store_molecule_origins(s, mid, &v, &err), 0);
    assert_int_equal(v.nrow, 2); /* (r2, optimize) and (r2, sample) */
    assert_string_equal(v.cells[cv_store_table_col(&v, "method")].s, "optimize");
    size_t row2 = v.ncol;
    assert_int_equal(v.cells[row2 + (size_t)cv_store_table_col(&v, "n")].i, 2);
    assert_int_equal(v.cells[row2 + (size_t)cv_store_table_col(&v, "first_step")].i, 0);
    assert_int_equal(v.cells[row2 + (size_t)cv_store_table_col(&v, "last_step")].i, 3);
    assert_true(cv_store_table_real(&v, 0, (size_t)cv_store_table_col(&v, "best_similarity")) ==
                0.25);
    cv_store_table_free(&v);
    cv_store_close(s);
    tmp_db_remove(&t);
}

/* The report's reads of latent vectors, failure classes and generated properties: one
 * latent point per (source, step) from its first attempt, in storage order, limited; rows
 * without z left out; invalid decodes per class with their first examples, the unclassified
 * ones listed; the valid decodes' scores, a molecule decoded twice counted twice. */
static void test_report_reads(void **state) {
    (void)state;
    TmpDb t;
    int64_t run;
    Store *s = open_with_run(&t, "report.db", "optimize", &run);
    CvError err = {0};
    StoreMolecule m[2] = {{"CCO", 46.07, -0.0014, 0.4068, 1.98, -1.98},
                          {"c1ccccc1", 78.11, 1.6866, 0.4426, 1.0, 0.69}};
    float z[4][ZDIM];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < ZDIM; j++) z[i][j] = (float)(10 * i + j);
    StoreGeneration g[6] = {
        /* A step 0: two attempts of one vector, the first invalid */
        {.method = "optimize",
         .step = 0,
         .source = "A",
         .raw_smiles = "C((",
         .failure = "valence",
         .z = z[0],
         .z_dim = ZDIM,
         .similarity = NAN},
        {.method = "optimize",
         .step = 0,
         .source = "A",
         .raw_smiles = "OCC",
         .valid = 1,
         .molecule = &m[0],
         .z = z[0],
         .z_dim = ZDIM,
         .similarity = NAN},
        {.method = "optimize",
         .step = 0,
         .source = "B",
         .raw_smiles = "c1ccccc1",
         .valid = 1,
         .molecule = &m[1],
         .z = z[1],
         .z_dim = ZDIM,
         .similarity = NAN},
        {.method = "optimize",
         .step = 1,
         .source = "A",
         .raw_smiles = "C1(",
         .failure = "valence",
         .z = z[2],
         .z_dim = ZDIM,
         .similarity = NAN},
        {.method = "optimize", .step = 1, .source = "B", .raw_smiles = "C(", .similarity = NAN},
        {.method = "optimize",
         .step = 2,
         .source = "B",
         .raw_smiles = "CCO",
         .valid = 1,
         .molecule = &m[0],
         .similarity = NAN}, /* no z */
    };
    assert_int_equal(cv_store_insert_generations(s, run, g, 6, NULL, &err), CV_OK);
    StoreTable v = {0};
    assert_int_equal(cv_store_report_latent_points(s, run, "optimize", 10, &v, &err), CV_OK);
    assert_int_equal(v.nrow, 3);
    static const char *const src[3] = {"A", "B", "A"};
    for (size_t r = 0; r < 3; r++) assert_string_equal(v.cells[r * v.ncol].s, src[r]);
    assert_int_equal(v.cells[2 * v.ncol + 1].i, 1);
    assert_int_equal(v.cells[2].len, ZDIM * 4);
    float z0;
    memcpy(&z0, v.cells[2 * v.ncol + 2].s + 4, 4); /* little-endian host */
    assert_true(z0 == z[2][1]);
    assert_int_equal(v.cells[3].type, STORE_NULL);          /* A 0: first attempt invalid */
    assert_string_equal(v.cells[v.ncol + 3].s, "c1ccccc1"); /* B 0 */
    cv_store_table_free(&v);
    assert_int_equal(cv_store_report_latent_points(s, run, "optimize", 2, &v, &err), CV_OK);
    assert_int_equal(v.nrow, 2);
    cv_store_table_free(&v);
    assert_int_equal(cv_store_report_latent_points(s, run, "sample", 2, &v, &err), CV_OK);
    assert_int_equal(v.nrow, 0);
    cv_store_table_free(&v);
    assert_int_equal(cv_store_run_read(s, STORE_READ_SCOPE_FAILURE_CLASSES, 0, &v, &err), CV_OK);
    assert_int_equal(v.nrow, 2);
    assert_string_equal(v.cells[0].s, "valence");
    assert_int_equal(v.cells[1].i, 2);
    assert_string_equal(v.cells[2].s, "C((\nC1(");
    assert_string_equal(v.cells[v.ncol].s, "");
    assert_string_equal(v.cells[v.ncol + 2].s, "C(");
    cv_store_table_free(&v);
    assert_int_equal(cv_store_run_read(s, STORE_READ_SCOPE_UNCLASSIFIED, run, &v, &err), CV_OK);
    assert_int_equal(v.nrow, 1);
    assert_string_equal(v.cells[0].s, "C(");
    cv_store_table_free(&v);
    assert_int_equal(cv_store_run_read(s, STORE_READ_SCOPE_FAILURES, run, &v, &err), CV_OK);
    assert_int_equal(v.nrow, 1);
    assert_int_equal(v.cells[(size_t)cv_store_table_col(&v, "valence")].i, 2);
    assert_int_equal(v.cells[(size_t)cv_store_table_col(&v, "syntax")].i, 0); /* not NULL */
    assert_int_equal(v.cells[(size_t)cv_store_table_col(&v, "unclassified")].i, 1);
    cv_store_table_free(&v);
    assert_int_equal(cv_store_run_read(s, STORE_READ_GENERATED_PROPS, run, &v, &err), CV_OK);
    assert_int_equal(v.nrow, 3);
    assert_true(cv_store_table_real(&v, 0, 0) == -0.0014); /* logp of CCO */
    assert_true(cv_store_table_real(&v, 1, 3) == 78.11);   /* mw of benzene */
    assert_true(cv_store_table_real(&v, 2, 1) == 0.4068);  /* qed of CCO again */
    cv_store_table_free(&v);
    cv_store_close(s);
    tmp_db_remove(&t);
}

/* ---- output formats ---------------------------------------------------------------------------
 */

static char *render(const StoreTable *t, StoreFormat fmt, size_t max_width) {
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    CvError err = {0};
    assert_int_equal(cv_store_print_table(fp, t, fmt, max_width, &err), CV_OK);
    fclose(fp);
    return buf;
}

static void test_output_escaping(void **state) {
    (void)state;
    TmpDb t;
    Store *s = open_fresh(&t, "fmt.db");
    CvError err = {0};
    StoreTable v;
    assert_int_equal(
        cv_store_select(s,
                        "SELECT 'a,b' AS \"x,y\", 'say \"hi\"' AS q, NULL AS n, '' AS e, "
                        "0.1 AS r, 42 AS i, x'00ff' AS b, 'l1' || char(10) || 'l2' AS nl, "
                        "' pad' AS sp, 'tab' || char(9) || char(1) || '\\' AS ctl, "
                        "'é→' AS u, CAST(x'61ff62' AS TEXT) AS bad, 9e999 AS inf",
                        NULL, 0, &v, &err),
        0);
    char *csv = render(&v, STORE_FORMAT_CSV, 0);
    assert_string_equal(csv, "\"x,y\",q,n,e,r,i,b,nl,sp,ctl,u,bad,inf\n"
                             "\"a,b\",\"say \"\"hi\"\"\",,\"\",0.1,42,x'00ff',\"l1\nl2\",\" pad\","
                             "tab\t\x01\\,é→,a\xff"
                             "b,Inf\n");
    free(csv);
    char *json = render(&v, STORE_FORMAT_JSON, 0);
    assert_string_equal(json,
                        "[\n  {\"x,y\":\"a,b\",\"q\":\"say \\\"hi\\\"\",\"n\":null,\"e\":\"\","
                        "\"r\":0.1,\"i\":42,\"b\":\"00ff\",\"nl\":\"l1\\nl2\",\"sp\":\" pad\","
                        "\"ctl\":\"tab\\t\\u0001\\\\\",\"u\":\"é→\",\"bad\":\"a\\ufffdb\","
                        "\"inf\":null}\n]\n");
    free(json);
    cv_store_table_free(&v);

    /* Reals round-trip; an empty result still has a CSV header and an empty JSON array. */
    assert_int_equal(cv_store_select(s,
                                     "SELECT 1.0/3 AS third, -0.0014 AS logp, 'CCO' AS smiles "
                                     "WHERE 0",
                                     NULL, 0, &v, &err),
                     0);
    csv = render(&v, STORE_FORMAT_CSV, 0);
    assert_string_equal(csv, "third,logp,smiles\n");
    free(csv);
    json = render(&v, STORE_FORMAT_JSON, 0);
    assert_string_equal(json, "[]\n");
    free(json);
    cv_store_table_free(&v);
    assert_int_equal(
        cv_store_select(s, "SELECT 1.0/3 AS third, -0.0014 AS logp", NULL, 0, &v, &err), 0);
    csv = render(&v, STORE_FORMAT_CSV, 0);
    assert_string_equal(csv, "third,logp\n0.33333333333333331,-0.0014\n");
    free(csv);
    cv_store_table_free(&v);

    /* Table: numbers right-aligned, text left, width in code points, long cells cut. */
    assert_int_equal(cv_store_select(s,
                                     "SELECT 'é' AS s, 5 AS n UNION ALL SELECT 'abcdefghij', 123 "
                                     "UNION ALL SELECT NULL, NULL",
                                     NULL, 0, &v, &err),
                     0);
    char *tab = render(&v, STORE_FORMAT_TABLE, 8);
    assert_string_equal(tab, "s         n\n"
                             "--------  ----\n"
                             "é            5\n"
                             "abcde...   123\n"
                             "NULL      NULL\n");
    free(tab);
    cv_store_table_free(&v);

    /* Streaming printer gives the same bytes as the table path. */
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    StorePrinter p;
    cv_store_printer_init(&p, fp, STORE_FORMAT_CSV);
    assert_int_equal(cv_store_select_each(s, "SELECT 'a' AS x UNION ALL SELECT 'b,c'", NULL, 0,
                                          cv_store_printer_row, &p, &err),
                     0);
    assert_int_equal(cv_store_printer_end(&p, &err), 0);
    fclose(fp);
    assert_string_equal(buf, "x\na\n\"b,c\"\n");
    free(buf);

    StoreFormat f;
    assert_int_equal(cv_store_format_parse("json", &f), 0);
    assert_int_equal(f, STORE_FORMAT_JSON);
    assert_int_equal(cv_store_format_parse("xml", &f), -1);
    cv_store_close(s);
    tmp_db_remove(&t);
}

/* ---- chemistry SQL functions ------------------------------------------------------------- */

static double query_real(Store *s, const char *sql) {
    StoreTable t;
    query_one_row(s, sql, &t);
    double v = t.cells[0].type == STORE_NULL ? NAN : cv_store_table_real(&t, 0, 0);
    cv_store_table_free(&t);
    return v;
}

static void test_chem_sql_functions(void **state) {
    (void)state;
    TmpDb t;
    int64_t run = 0;
    Store *s = open_with_run(&t, "chem.db", "sample", &run);
    CvError err = {0};
    StoreMolecule m[3] = {{"CCO", NAN, NAN, NAN, NAN, NAN},
                          {"Oc1ccccc1", NAN, NAN, NAN, NAN, NAN},
                          {"CC(=O)Oc1ccccc1C(=O)O", NAN, NAN, NAN, NAN, NAN}};
    assert_int_equal(cv_store_upsert_molecules(s, run, m, 3, NULL, &err), 0);
    cv_store_close(s);
    /* On the read-only connection `chemvae query` uses. Reference values: Python RDKit
     * 2022.09 (Descriptors.MolWt, Crippen.MolLogP, QED.qed, sascorer, Tanimoto of Morgan
     * r=2 2048-bit fingerprints). */
    assert_int_equal(cv_store_open(t.path, STORE_READ_ONLY, &s, &err), 0);
    assert_true(fabs(query_real(s, "SELECT logp('CCO')") - -0.0014000000000000123) < 1e-4);
    assert_true(fabs(query_real(s, "SELECT qed('CCO')") - 0.40680796565539457) < 1e-4);
    assert_true(fabs(query_real(s, "SELECT sa('CCO')") - 1.9802570386349831) < 1e-4);
    assert_true(fabs(query_real(s, "SELECT mw('c1ccccc1O')") - 94.11299999999999) < 1e-4);
    assert_true(fabs(query_real(s, "SELECT qed('CC(=O)Oc1ccccc1C(=O)O')") - 0.5501217966938848) <
                1e-4);
    assert_true(fabs(query_real(s, "SELECT penalized_logp('CCO')") -
                     (-0.0014000000000000123 - 1.9802570386349831)) < 1e-4);
    assert_true(query_real(s, "SELECT tanimoto('CCO', 'OCC')") == 1.0);
    assert_true(fabs(query_real(s, "SELECT tanimoto('c1ccccc1O', 'c1ccccc1N')") - 0.375) < 1e-9);
    assert_int_equal(query_int(s, "SELECT mol_valid('CCO') + 2 * mol_valid('C(C')"), 1);
    assert_int_equal(query_int(s, "SELECT canonical('OC(C)=O') = 'CC(=O)O'"), 1);
    assert_int_equal(query_int(s, "SELECT has_substruct('c1ccccc1O', 'c1ccccc1')"), 1);
    assert_int_equal(query_int(s, "SELECT has_substruct('CCO', 'c1ccccc1')"), 0);
    /* NULL for invalid SMILES / SMARTS and for NULL arguments. */
    assert_int_equal(query_int(s, "SELECT logp('C(C') IS NULL AND canonical('xyz') IS NULL AND "
                                  "tanimoto('CCO', 'C1CC') IS NULL AND "
                                  "has_substruct('CCO', '[[') IS NULL AND "
                                  "has_substruct('C1CC', 'C') IS NULL AND mol_valid(NULL) IS NULL "
                                  "AND qed(NULL) IS NULL AND tanimoto(NULL, 'C') IS NULL"),
                     1);
    /* Usable over the tables. */
    assert_int_equal(query_int(s, "SELECT count(*) FROM molecules WHERE "
                                  "has_substruct(smiles, 'c1ccccc1')"),
                     2);
    assert_int_equal(query_int(s, "SELECT count(*) FROM molecules WHERE "
                                  "tanimoto(smiles, 'OCC') = 1 AND canonical(smiles) = smiles"),
                     1);
    cv_store_close(s);
    tmp_db_remove(&t);
}

/* ---- similarity search ---------------------------------------------------------------- */

/* The lines of a text file, each without its line end (malloc'd, *n entries). */
static char **read_lines(const char *path, size_t *n) {
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char **lines = NULL, buf[4096];
    *n = 0;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\r\n")] = '\0';
        assert_non_null(lines = realloc(lines, (*n + 1) * sizeof *lines));
        assert_non_null(lines[(*n)++] = strdup(buf));
    }
    fclose(f);
    return lines;
}

static void free_lines(char **lines, size_t n) {
    for (size_t i = 0; i < n; i++) free(lines[i]);
    free(lines);
}

/* The 1,000 molecules of tests/fixtures/similar1k.smi stored in file order (ids 1..1000). */
static Store *open_similar1k(TmpDb *t) {
    size_t n;
    char **smiles = read_lines("tests/fixtures/similar1k.smi", &n);
    assert_int_equal(n, 1000);
    StoreMolecule *m = calloc(n, sizeof *m);
    int64_t *ids = calloc(n, sizeof *ids);
    assert_true(m && ids);
    for (size_t i = 0; i < n; i++) {
        char *can = cv_chem_canonical(smiles[i]);
        assert_non_null(can);
        assert_string_equal(can, smiles[i]); /* Python's canonical SMILES is ours */
        free(can);
        m[i] = (StoreMolecule){smiles[i], NAN, NAN, NAN, NAN, NAN};
    }
    int64_t run = 0;
    Store *s = open_with_run(t, "similar.db", "ingest", &run);
    CvError err = {0};
    assert_int_equal(cv_store_upsert_molecules(s, run, m, n, ids, &err), CV_OK);
    for (size_t i = 0; i < n; i++) assert_int_equal(ids[i], (int64_t)i + 1);
    free(m);
    free(ids);
    free_lines(smiles, n);
    cv_store_close(s);
    Store *ro = NULL;
    assert_int_equal(cv_store_open(t->path, STORE_READ_ONLY, &ro, &err), CV_OK);
    return ro;
}

/* One query of tests/fixtures/similar1k.tsv (Python RDKit's brute force over the 1,000)
 * against cv_store_similar; returns the next line index. */
static size_t check_similar_query(Store *s, char **lines, size_t at) {
    char query[512];
    long k = 0, hits = 0;
    double min = 0;
    assert_int_equal(sscanf(lines[at], "q\t%511[^\t]\t%ld\t%lf\t%ld", query, &k, &min, &hits), 4);
    StoreTable t;
    CvError err = {0};
    assert_int_equal(cv_store_similar(s, query, (size_t)k, min, &t, &err), CV_OK);
    if ((long)t.nrow != hits) fail_msg("%s: %zu hits, Python %ld", query, t.nrow, hits);
    int id = cv_store_table_col(&t, "id"), sim = cv_store_table_col(&t, "similarity");
    assert_true(id == 0 && sim == 2 && cv_store_table_col(&t, "smiles") == 1);
    for (long r = 0; r < hits; r++) {
        long want_id = 0;
        double want_sim = 0;
        assert_int_equal(sscanf(lines[at + 1 + r], "h\t%ld\t%lf", &want_id, &want_sim), 2);
        if (t.cells[r * t.ncol + id].i != want_id ||
            fabs(t.cells[r * t.ncol + sim].d - want_sim) > 1e-12)
            fail_msg("%s rank %ld: id %lld sim %.17g, Python id %ld sim %.17g", query, r,
                     (long long)t.cells[r * t.ncol + id].i, t.cells[r * t.ncol + sim].d, want_id,
                     want_sim);
    }
    cv_store_table_free(&t);
    return at + 1 + (size_t)hits;
}

/* `query similar` agrees with a brute-force Python RDKit search (BulkTanimotoSimilarity,
 * sorted by similarity then id) on 1,000 ZINC molecules, for k, --min and k 0 (all). */
static void test_similar_matches_python(void **state) {
    (void)state;
    TmpDb t;
    Store *s = open_similar1k(&t);
    size_t n, queries = 0;
    char **lines = read_lines("tests/fixtures/similar1k.tsv", &n);
    for (size_t at = 0; at < n; queries++) at = check_similar_query(s, lines, at);
    assert_int_equal(queries, 12);
    free_lines(lines, n);
    /* The same ranking in plain SQL over the stored fingerprints. */
    StoreTable a, b;
    CvError err = {0};
    StoreValue p = {.type = STORE_TEXT, .s = "CC(=O)Oc1ccccc1C(=O)O"};
    assert_int_equal(cv_store_similar(s, p.s, 10, 0, &a, &err), CV_OK);
    assert_int_equal(cv_store_select(s,
                                     "SELECT id, smiles, tanimoto(fp, ?1) AS similarity FROM "
                                     "molecules ORDER BY similarity DESC, id LIMIT 10",
                                     &p, 1, &b, &err),
                     CV_OK);
    assert_int_equal(a.nrow, b.nrow);
    for (size_t r = 0; r < a.nrow; r++) {
        assert_int_equal(a.cells[r * a.ncol].i, b.cells[r * b.ncol].i);
        assert_true(a.cells[r * a.ncol + 2].d == b.cells[r * b.ncol + 2].d);
    }
    cv_store_table_free(&a);
    cv_store_table_free(&b);
    /* Bad input is named. */
    assert_int_equal(cv_store_similar(s, "C1CC", 10, 0, &a, &err), CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "C1CC"));
    assert_int_equal(cv_store_substruct(s, "[[", 10, &a, &err), CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "SMARTS '[['"));
    cv_store_close(s);
    tmp_db_remove(&t);
}

/* `query substruct`: the first n molecules by id that contain the SMARTS, the rows
 * has_substruct() selects. */
static void test_substruct_view(void **state) {
    (void)state;
    TmpDb t;
    Store *s = open_similar1k(&t);
    StoreTable v;
    CvError err = {0};
    int64_t all = query_int(s, "SELECT count(*) FROM molecules WHERE has_substruct(smiles, "
                               "'c1ccncc1')");
    assert_true(all > 20);
    assert_int_equal(cv_store_substruct(s, "c1ccncc1", 1000, &v, &err), CV_OK);
    assert_int_equal((int64_t)v.nrow, all);
    cv_store_table_free(&v);
    assert_int_equal(cv_store_substruct(s, "c1ccncc1", 5, &v, &err), CV_OK);
    assert_int_equal(v.nrow, 5);
    assert_int_equal(v.cells[4 * v.ncol].i,
                     query_int(s, "SELECT id FROM molecules WHERE has_substruct(smiles, "
                                  "'c1ccncc1') ORDER BY id LIMIT 1 OFFSET 4"));
    cv_store_table_free(&v);
    cv_store_close(s);
    tmp_db_remove(&t);
}

/* Scores: each stored with its molecule (upserted, first_run the run), one per (run, name,
 * molecule), replaced when stored again; NaN is NULL; read back best first; a run's scores
 * go with the run. */
static void test_scores(void **state) {
    (void)state;
    TmpDb t;
    int64_t run = 0, other = 0;
    Store *s = open_with_run(&t, "r.db", "optimize", &run);
    CvError err = {0};
    assert_int_equal(cv_store_run_begin(s, "sample", NULL, NULL, NULL, 1, 0, &other, &err), CV_OK);
    StoreScore rows[3] = {{"./len.sh", {"CCO", 46.07, -0.0014, 0.41, 1.98, -1.98}, 3},
                          {"./len.sh", {"Oc1ccccc1", 94.11, 1.39, 0.54, 1.0, 0.39}, 9},
                          {"./len.sh", {"CCN", NAN, NAN, NAN, NAN, NAN}, NAN}};
    assert_int_equal(cv_store_insert_scores(s, run, rows, 3, &err), CV_OK);
    rows[0].value = 4;
    assert_int_equal(cv_store_insert_scores(s, run, rows, 1, &err), CV_OK);
    assert_int_equal(cv_store_insert_scores(s, other, rows + 1, 1, &err), CV_OK);
    assert_int_equal(query_int(s, "SELECT count(*) FROM scores"), 4);
    assert_int_equal(query_int(s, "SELECT count(*) FROM molecules"), 3);
    assert_int_equal(query_int(s, "SELECT first_run FROM molecules WHERE smiles = 'CCN'"), run);
    StoreTable r;
    assert_int_equal(cv_store_run_read(s, STORE_READ_SCORES, run, &r, &err), CV_OK);
    assert_int_equal(r.nrow, 3);
    assert_string_equal(r.names[0], "smiles");
    assert_string_equal(r.cells[0].s, "Oc1ccccc1"); /* stored as given: callers canonicalize */
    assert_true(r.cells[1].d == 9);
    assert_string_equal(r.cells[r.ncol].s, "CCO");
    assert_true(r.cells[r.ncol + 1].d == 4);
    assert_string_equal(r.cells[2 * r.ncol].s, "CCN");
    assert_int_equal(r.cells[2 * r.ncol + 1].type, STORE_NULL);
    assert_string_equal(r.cells[2].s, "./len.sh");
    cv_store_table_free(&r);
    /* refused whole: a row without a name, a run that does not exist */
    StoreScore bad[2] = {rows[0], {NULL, {"CC", NAN, NAN, NAN, NAN, NAN}, 1}};
    assert_int_equal(cv_store_insert_scores(s, run, bad, 2, &err), CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "score 1 has no name"));
    assert_int_equal(cv_store_insert_scores(s, 999, rows, 1, &err), CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no run with id 999"));
    assert_int_equal(query_int(s, "SELECT count(*) FROM molecules WHERE smiles = 'CC'"), 0);
    cv_store_close(s);
    tmp_db_remove(&t);
}

/* A results DB written by chemvae at schema version 3 (tests/fixtures/results-v3.sql,
 * make-results-v3.sh) gets a fingerprint for each stored molecule when a command first
 * writes to it; new molecules get theirs at insert. */
static void test_v3_db_gets_fingerprints(void **state) {
    (void)state;
    TmpDb t;
    tmp_db(&t, "v3.db");
    FILE *f = fopen("tests/fixtures/results-v3.sql", "r");
    assert_non_null(f);
    char *sql = calloc(1, 1 << 20);
    assert_non_null(sql);
    size_t len = fread(sql, 1, (1 << 20) - 1, f);
    fclose(f);
    assert_true(len > 0 && len < (1 << 20) - 1);
    raw_exec(t.path, sql);
    free(sql);
    Store *s = NULL;
    CvError err = {0};
    assert_int_equal(cv_store_open(t.path, STORE_READ_ONLY, &s, &err), CV_ERR_FORMAT);
    s = open_rw(t.path);
    assert_int_equal(query_int(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(query_int(s, "SELECT count(*) FROM molecules"), 12);
    assert_int_equal(query_int(s, "SELECT count(*) FROM molecules WHERE length(fp) = 256"), 12);
    assert_int_equal(query_int(s, "SELECT count(*) FROM scores"), 0); /* version 5's table */
    StoreTable mols;
    assert_int_equal(cv_store_select(s, "SELECT smiles, fp FROM molecules", NULL, 0, &mols, &err),
                     CV_OK);
    for (size_t r = 0; r < mols.nrow; r++) {
        unsigned char fp[CHEM_FP_BYTES];
        assert_int_equal(cv_chem_smiles_fp(mols.cells[2 * r].s, fp), 1);
        assert_memory_equal(mols.cells[2 * r + 1].s, fp, CHEM_FP_BYTES);
    }
    StoreTable hit;
    assert_int_equal(cv_store_similar(s, mols.cells[0].s, 1, 0, &hit, &err), CV_OK);
    assert_int_equal(hit.nrow, 1);
    assert_string_equal(hit.cells[1].s, mols.cells[0].s);
    assert_true(hit.cells[2].d == 1.0);
    cv_store_table_free(&hit);
    cv_store_table_free(&mols);
    StoreMolecule m = {"CCO", NAN, NAN, NAN, NAN, NAN};
    assert_int_equal(cv_store_upsert_molecules(s, 0, &m, 1, NULL, &err), CV_OK);
    assert_int_equal(query_int(s, "SELECT fp = morgan_fp('OCC') FROM molecules WHERE smiles = "
                                  "'CCO'"),
                     1);
    cv_store_close(s);
    tmp_db_remove(&t);
}

/* tanimoto() gives the values it always gave (Python's TanimotoSimilarity in
 * tests/fixtures/zinc500.tsv, column tanimoto_next) whether its arguments are SMILES,
 * morgan_fp() BLOBs or stored fingerprints, and a constant SMILES (fingerprinted once per
 * statement) gives what the same SMILES gives per row. */
static void test_tanimoto_sql_unchanged(void **state) {
    (void)state;
    size_t n;
    char **lines = read_lines("tests/fixtures/zinc500.tsv", &n);
    assert_int_equal(n, 501);
    TmpDb t;
    Store *s = open_fresh(&t, "tanimoto.db");
    CvError err = {0};
    for (size_t i = 1; i < n; i++) {
        char *next = lines[i + 1 < n ? i + 1 : 1], a[512], b[512];
        double want = atof(strrchr(lines[i], '\t') + 1);
        snprintf(a, sizeof a, "%.*s", (int)strcspn(lines[i], "\t"), lines[i]);
        snprintf(b, sizeof b, "%.*s", (int)strcspn(next, "\t"), next);
        StoreValue p[2] = {{.type = STORE_TEXT, .s = a}, {.type = STORE_TEXT, .s = b}};
        StoreTable r;
        assert_int_equal(cv_store_select(s,
                                         "SELECT tanimoto(?1, ?2), tanimoto(morgan_fp(?1), ?2), "
                                         "tanimoto(?1, morgan_fp(?2)), "
                                         "tanimoto(morgan_fp(?1), morgan_fp(?2))",
                                         p, 2, &r, &err),
                         CV_OK);
        for (int c = 0; c < 4; c++)
            if (fabs(r.cells[c].d - want) > 1e-12)
                fail_msg("row %zu col %d: %.17g, Python %.17g", i, c, r.cells[c].d, want);
        cv_store_table_free(&r);
    }
    free_lines(lines, n);
    cv_store_close(s);
    tmp_db_remove(&t);
    s = open_similar1k(&t);
    /* A constant against stored fingerprints, against SMILES per row, per-row calls. */
    assert_int_equal(query_int(s, "SELECT count(*) FROM molecules WHERE tanimoto(fp, "
                                  "'c1ccccc1O') IS NOT tanimoto(smiles, 'c1ccccc1O') OR "
                                  "tanimoto('c1ccccc1O', smiles) IS NOT tanimoto(smiles, "
                                  "'Oc1ccccc1') OR tanimoto(fp, fp) != 1"),
                     0);
    /* A BLOB that is not a fingerprint is read as text, as before; NULL and bad SMILES. */
    assert_int_equal(query_int(s, "SELECT tanimoto(CAST('CCO' AS BLOB), 'OCC') = 1 AND "
                                  "tanimoto(zeroblob(10), 'C') IS NULL AND tanimoto(fp, NULL) "
                                  "IS NULL AND tanimoto(fp, 'C1CC') IS NULL AND "
                                  "morgan_fp('C1CC') IS NULL FROM molecules WHERE id = 1"),
                     1);
    cv_store_close(s);
    tmp_db_remove(&t);
}

/* The JSON writer (include/chemvae/core/json.h) builds what the JSON columns accept. */
static void test_json_builder(void **state) {
    (void)state;
    CvJson j = {0};
    cv_json_begin_object(&j);
    cv_json_kv_string(&j, "preset", "tiny");
    cv_json_kv_double(&j, "lr", 4e-4);
    cv_json_kv_double(&j, "bad", NAN);
    cv_json_kv_int(&j, "seed", -3);
    cv_json_kv_string(&j, "path", "a\"b\\c\n");
    cv_json_kv_string(&j, "none", NULL);
    cv_json_key(&j, "props");
    cv_json_raw(&j, "[\"qed\",\"sa\"]");
    cv_json_end_object(&j);
    const char *s = cv_json_text(&j, NULL);
    assert_non_null(s);
    assert_string_equal(
        s, "{\"preset\": \"tiny\", \"lr\": 0.0004, \"bad\": null, \"seed\": -3, "
           "\"path\": \"a\\\"b\\\\c\\n\", \"none\": null, \"props\": [\"qed\",\"sa\"]}");
    /* Accepted by the JSON CHECK constraint of runs.config. */
    TmpDb t;
    Store *db = open_fresh(&t, "json.db");
    CvError err = {0};
    int64_t run = 0;
    assert_int_equal(cv_store_run_begin(db, "train", s, NULL, NULL, 1, 0, &run, &err), CV_OK);
    assert_int_equal(query_int(db, "SELECT json_extract(config, '$.seed') FROM runs"), -3);
    assert_int_equal(cv_store_run_begin(db, "train", "{lr: nan}", NULL, NULL, 1, 0, &run, &err),
                     CV_ERR_DB);
    cv_json_reset(&j);
    cv_json_begin_object(&j);
    cv_json_end_object(&j);
    assert_string_equal(cv_json_text(&j, NULL), "{}");
    cv_json_reset(&j); /* members of a written object appended to another */
    cv_json_begin_object(&j);
    cv_json_kv_int(&j, "a", 1);
    cv_json_raw_members(&j, "{}");
    cv_json_raw_members(&j, "{\"b\": [2], \"c\": {\"d\": null}}");
    cv_json_kv_bool(&j, "e", 0);
    cv_json_end_object(&j);
    assert_string_equal(cv_json_text(&j, NULL),
                        "{\"a\": 1, \"b\": [2], \"c\": {\"d\": null}, \"e\": false}");
    cv_json_free(&j);
    cv_store_close(db);
    tmp_db_remove(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_created),
        cmocka_unit_test(test_scores),
        cmocka_unit_test(test_empty_file_is_migrated),
        cmocka_unit_test(test_newer_version_refused),
        cmocka_unit_test(test_foreign_db_refused),
        cmocka_unit_test(test_locked_db_clear_error),
        cmocka_unit_test(test_batch_insert_and_rollback),
        cmocka_unit_test(test_disk_full_keeps_committed),
        cmocka_unit_test(test_sigkill_mid_write),
        cmocka_unit_test(test_concurrent_writers),
        cmocka_unit_test(test_readonly_rejects_writes),
        cmocka_unit_test(test_canned_views),
        cmocka_unit_test(test_report_reads),
        cmocka_unit_test(test_output_escaping),
        cmocka_unit_test(test_json_builder),
        cmocka_unit_test(test_dead_runs_interrupted),
        cmocka_unit_test(test_chem_sql_functions),
        cmocka_unit_test(test_similar_matches_python),
        cmocka_unit_test(test_substruct_view),
        cmocka_unit_test(test_v3_db_gets_fingerprints),
        cmocka_unit_test(test_tanimoto_sql_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
