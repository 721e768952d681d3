/* test_query_cli.c — `chemvae query` end to end: runs $BUILD/chemvae (BUILD from the
 * environment, default "build") on a small DB written through the store API and checks
 * stdout and exit codes: write attempts (INSERT, DROP, ATTACH, PRAGMA assignments) fail
 * with exit 1 and leave the DB unchanged, views print the right rows, `molecule`
 * canonicalizes its input, `similar` and `substruct` search the molecules, bad options exit
 * 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/store/store.h"
#include "support/runcmd.h"

static char g_dir[64], g_db[128], g_bin[600];

/* Runs `chemvae query --db g_db ARGS` (ARGS already shell-quoted); returns the exit code
 * and the malloc'd stdout in *out. stderr is discarded. */
static int run_query(const char *args, char **out) {
    int rc = runcmd_capturef(out, "'%s' query --db '%s' %s 2>/dev/null", g_bin, g_db, args);
    assert_true(rc >= 0);
    assert_non_null(*out);
    return rc;
}

static int setup(void **state) {
    (void)state;
    if (runcmd_chemvae_path(g_bin, sizeof g_bin)) return -1;
    if (runcmd_mkdtemp(g_dir, sizeof g_dir, "cvquery")) return -1;
    snprintf(g_db, sizeof g_db, "%s/results.db", g_dir);
    Store *s = NULL;
    CvError err = {0};
    int64_t r1 = 0, r2 = 0;
    if (cv_store_open(g_db, 0, &s, &err)) return -1;
    StoreMolecule m[3] = {{"CCO", 46.069, -0.0014, 0.4068, 1.98, -1.98},
                          {"Oc1ccccc1", 94.113, 1.3922, 0.5147, 1.18, 0.21},
                          {"CC(=O)O", 60.052, 0.0909, 0.4290, 1.60, -1.51}};
    StoreGeneration g[4] = {
        {.method = "sample",
         .step = 0,
         .source = "prior",
         .raw_smiles = "OCC",
         .valid = 1,
         .molecule = &m[0],
         .similarity = NAN},
        {.method = "sample",
         .step = 1,
         .source = "prior",
         .raw_smiles = "Oc1ccccc1",
         .valid = 1,
         .molecule = &m[1],
         .similarity = NAN},
        {.method = "sample",
         .step = 2,
         .source = "prior",
         .raw_smiles = "C(,\"",
         .valid = 0,
         .similarity = NAN},
        {.method = "optimize",
         .step = 5,
         .source = "CCC",
         .raw_smiles = "CC(=O)O",
         .valid = 1,
         .molecule = &m[2],
         .similarity = 0.2},
    };
    StoreTrainingMetric tm = {3, 300, "valid", 2.5, 2.0, 0.4, 0.1, 0.01, 4e-4, 0.9, NULL};
    int bad =
        cv_store_run_begin(s, "train", "{\"preset\":\"tiny\"}", NULL, NULL, 1, 0, &r1, &err) ||
        cv_store_insert_training_metrics(s, r1, &tm, 1, &err) ||
        cv_store_insert_eval_metric(s, r1, "validity", 0.875, &err) ||
        cv_store_run_finish(s, r1, STORE_RUN_OK, &err) ||
        cv_store_run_begin(s, "sample", NULL, NULL, NULL, 2, r1, &r2, &err) ||
        cv_store_insert_generations(s, r2, g, 4, NULL, &err);
    cv_store_close(s);
    if (bad) fprintf(stderr, "fixture: %s\n", err.msg);
    return bad ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    return runcmd_rmtree(g_dir);
}

static void test_writes_refused(void **state) {
    (void)state;
    const char *writes[] = {
        "\"INSERT INTO runs(kind) VALUES('x')\"",
        "'DROP TABLE molecules'",
        "'DELETE FROM generations'",
        "\"ATTACH '/tmp/cvquery-evil.db' AS evil\"",
        "'PRAGMA user_version = 7'",
        "'PRAGMA query_only = 0'",
        "'PRAGMA journal_mode = DELETE'",
        "'SELECT 1; DROP TABLE runs'",
    };
    for (size_t i = 0; i < sizeof writes / sizeof *writes; i++) {
        char *out;
        assert_int_equal(run_query(writes[i], &out), 1);
        assert_string_equal(out, "");
        free(out);
    }
    char *out;
    assert_int_equal(run_query("--csv 'SELECT (SELECT count(*) FROM runs), (SELECT count(*) "
                               "FROM molecules), (SELECT count(*) FROM generations)' ",
                               &out),
                     0);
    assert_non_null(strstr(out, "\n2,3,4\n"));
    free(out);
    assert_int_equal(run_query("--csv 'PRAGMA user_version'", &out), 0);
    char expect[32];
    snprintf(expect, sizeof expect, "user_version\n%d\n", STORE_SCHEMA_VERSION);
    assert_string_equal(out, expect);
    free(out);
    assert_int_equal(access("/tmp/cvquery-evil.db", F_OK), -1);
}

static void test_views(void **state) {
    (void)state;
    char *out;
    assert_int_equal(run_query("--csv top --by logp -n 2", &out), 0);
    assert_string_equal(out, "id,smiles,mw,logp,qed,sa,penalized_logp,first_run\n"
                             "2,Oc1ccccc1,94.113,1.3922,0.5147,1.18,0.21,2\n"
                             "3,CC(=O)O,60.052,0.0909,0.429,1.6,-1.51,2\n");
    free(out);
    assert_int_equal(run_query("--csv top --by sa --asc -n 1", &out), 0);
    assert_non_null(strstr(out, "\n2,Oc1ccccc1,"));
    free(out);
    assert_int_equal(run_query("--csv runs", &out), 0);
    assert_non_null(strstr(out, "\n2,sample,running,"));
    assert_non_null(strstr(out, ",4,3,3\n")); /* generations, valid, new molecules of run 2 */
    free(out);
    assert_int_equal(run_query("--json run 1", &out), 0);
    assert_non_null(strstr(out, "{\"run\": [\n  {\"id\":1,\"kind\":\"train\",\"status\":\"ok\""));
    assert_non_null(strstr(out, "\"eval_metrics\": [\n  {\"name\":\"validity\",\"value\":0.875}"));
    assert_non_null(strstr(out, "\"training\": [\n  {\"split\":\"valid\",\"rows\":1"));
    free(out);
    assert_int_equal(run_query("run 9", &out), 1);
    free(out);
    /* 'OCC' is looked up by its canonical form 'CCO'. */
    assert_int_equal(run_query("--csv molecule OCC", &out), 0);
    assert_non_null(strstr(out, "# molecule\nid,smiles,"));
    assert_non_null(strstr(out, "\n1,CCO,46.069,"));
    assert_non_null(strstr(out, "# origins (run, method)\nrun_id,kind,method,n,"));
    assert_non_null(strstr(out, "\n2,sample,sample,1,0,0,prior,\n"));
    free(out);
    assert_int_equal(run_query("molecule 'C(C'", &out), 1);
    free(out);
    assert_int_equal(run_query("molecule CCCCCCCC", &out), 1);
    free(out);
    /* Raw SQL with a parameter and a chemistry function; CSV escaping of a raw string. */
    assert_int_equal(run_query("--csv 'SELECT smiles, round(logp(smiles), 4) AS l FROM molecules "
                               "WHERE smiles = ?1' -p CCO",
                               &out),
                     0);
    assert_string_equal(out, "smiles,l\nCCO,-0.0014\n");
    free(out);
    assert_int_equal(run_query("--csv 'SELECT raw_smiles FROM generations WHERE NOT valid'", &out),
                     0);
    assert_string_equal(out, "raw_smiles\n\"C(,\"\"\"\n");
    free(out);
    assert_int_equal(run_query("--format table 'SELECT 1 AS one'", &out), 0);
    assert_string_equal(out, "one\n---\n  1\n");
    free(out);
}

/* `similar` ranks by Tanimoto of the stored fingerprints (similarity, then id), `-k` and
 * `--min` cut the list; `substruct` lists the molecules with the SMARTS; bad SMILES, SMARTS
 * and option values are named. */
static void test_similarity_views(void **state) {
    (void)state;
    char *out;
    assert_int_equal(run_query("--csv similar OCC -k 2", &out), 0);
    assert_string_equal(out, "id,smiles,similarity,mw,logp,qed,sa,penalized_logp,first_run\n"
                             "1,CCO,1,46.069,-0.0014,0.4068,1.98,-1.98,2\n"
                             "3,CC(=O)O,0.18181818181818182,60.052,0.0909,0.429,1.6,-1.51,2\n");
    free(out);
    assert_int_equal(run_query("--csv similar 'c1ccccc1O'", &out), 0);
    assert_int_equal(runcmd_count(out, "\n"), 4);
    assert_non_null(strstr(out, "\n2,Oc1ccccc1,1,"));
    free(out);
    assert_int_equal(run_query("--json similar CCO --min 0.5", &out), 0);
    assert_string_equal(out, "[\n  {\"id\":1,\"smiles\":\"CCO\",\"similarity\":1,\"mw\":46.069,"
                             "\"logp\":-0.0014,\"qed\":0.4068,\"sa\":1.98,"
                             "\"penalized_logp\":-1.98,\"first_run\":2}\n]\n");
    free(out);
    assert_int_equal(run_query("--csv substruct '[CX3](=O)[OX2H1]'", &out), 0);
    assert_string_equal(out, "id,smiles,mw,logp,qed,sa,penalized_logp,first_run\n"
                             "3,CC(=O)O,60.052,0.0909,0.429,1.6,-1.51,2\n");
    free(out);
    assert_int_equal(run_query("--csv substruct '[#6]' -n 2", &out), 0);
    assert_non_null(strstr(out, "\n1,CCO,"));
    assert_non_null(strstr(out, "\n2,Oc1ccccc1,"));
    assert_int_equal(runcmd_count(out, "\n"), 3);
    free(out);
    const char *bad[][3] = {
        {"substruct '[['", "1", "invalid SMARTS '[['"},
        {"similar 'C1CC'", "1", "invalid SMILES 'C1CC'"},
        {"similar CCO --min 1.5", "2", "--min must be between 0 and 1"},
        {"similar CCO -k -1", "2", "-k"},
        {"similar", "2", "usage: chemvae query similar SMILES"},
        {"substruct", "2", "usage: chemvae query substruct SMARTS"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = runcmd_capturef(&out, "'%s' query --db '%s' %s 2>&1", g_bin, g_db, bad[i][0]);
        assert_int_equal(rc, atoi(bad[i][1]));
        if (!strstr(out, bad[i][2])) fail_msg("%s: %s", bad[i][0], out);
        free(out);
    }
}

static void test_usage_errors(void **state) {
    (void)state;
    char *out;
    assert_int_equal(run_query("", &out), 2);
    free(out);
    assert_int_equal(run_query("top --by colour", &out), 2);
    free(out);
    assert_int_equal(run_query("--format xml runs", &out), 2);
    free(out);
    assert_int_equal(run_query("run x", &out), 2);
    free(out);
    assert_int_equal(run_query("--help", &out), 0);
    assert_non_null(strstr(out, "usage: chemvae query"));
    free(out);
}

/* A DB on a read-only mount (a private mount namespace with a read-only bind mount of the
 * test directory; skipped where unshare is not permitted) is read as immutable; a runaway
 * recursive query stops at --timeout; `run -5` is a usage error that says why. */
static void test_read_only_media_and_limits(void **state) {
    (void)state;
    char *out = NULL;
    int rc =
        runcmd_capturef(&out,
                        "'%s' query --db '%s' --timeout 0.5 'WITH RECURSIVE c(x) AS "
                        "(SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c' 2>&1",
                        g_bin, g_db);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "query stopped after 0.5 s"));
    free(out);
    rc = runcmd_capturef(&out, "'%s' query --db '%s' run -5 2>&1", g_bin, g_db);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "run N: N is a run id"));
    free(out);
    if (runcmd_capture("unshare -m true 2>/dev/null", NULL) != 0) {
        fprintf(stderr, "  (no mount namespace here: read-only media not tested)\n");
        return;
    }
    /* earlier readers may have left the WAL index (-shm), which would let SQLite read
     * without immutable mode; the DB as a writer leaves it has none */
    char side[200];
    snprintf(side, sizeof side, "%s-shm", g_db);
    unlink(side);
    snprintf(side, sizeof side, "%s-wal", g_db);
    unlink(side);
    rc = runcmd_capturef(
        &out,
        "unshare -m sh -c \"mount --bind -o ro '%s' '%s' && touch '%s/x' 2>/dev/null; "
        "'%s' query --db '%s' --csv 'SELECT count(*) AS n FROM runs'\" 2>&1",
        g_dir, g_dir, g_dir, g_bin, g_db);
    assert_int_equal(rc, 0);
    if (!strstr(out, "read-only media: read as immutable")) fail_msg("%s", out);
    assert_non_null(strstr(out, "n\n2\n"));
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writes_refused),
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_similarity_views),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_read_only_media_and_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
