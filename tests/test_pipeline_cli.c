/* test_pipeline_cli.c — `chemvae pipeline run` end to end on fake pipelines of cheap
 * `chemvae score` stages ($BUILD/chemvae, BUILD from the environment, default "build"):
 * first run runs every stage and records them (state file, kept stdout, runs rows under a
 * 'pipeline' row, ${RUN} = the stage's run id); a second run skips everything; --from forces
 * a suffix; a changed input re-runs its stage and every later one; a missing output re-runs
 * only its stage; a failed stage stays 'started' and continues with its `resume` words; bad
 * files and unknown stages are refused with the right exit codes; a `prebuilt` file stands
 * in for a stage that never ran; only outputs the runner made are ever removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chemvae/core/fileio.h"
#include "chemvae/store/store.h"
#include "support/runcmd.h"

static char g_dir[64], g_bin[600], g_pipe[128], g_db[128], g_in[128], g_missing[128];

static void write_file(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* The whole file, malloc'd (caller frees), or NULL when it cannot be read. */
static char *read_all(const char *path) {
    char *buf = NULL;
    size_t n;
    return cv_read_file(path, &buf, &n, NULL) == CV_OK ? buf : NULL;
}

static char *g_out; /* the last run's output, freed by the next run and by teardown */

/* Runs `chemvae pipeline run FILE ARGS` in g_dir; returns the exit code, output (stdout +
 * stderr) in *out, valid until the next run. */
static int run(const char *file, const char *args, char **out) {
    free(g_out);
    int rc = runcmd_capturef(&g_out, "cd '%s' && '%s' pipeline run '%s' %s 2>&1", g_dir, g_bin,
                             file, args);
    assert_true(rc >= 0);
    assert_non_null(g_out);
    *out = g_out;
    return rc;
}

/* Number of runs rows of `kind` (and status when non-NULL). */
static int64_t db_count(const char *kind, const char *status) {
    Store *s = NULL;
    CvError err = {0};
    StoreTable t = {0};
    assert_int_equal(cv_store_open(g_db, STORE_READ_ONLY, &s, &err), CV_OK);
    StoreValue p[2] = {
        {.type = STORE_TEXT, .s = kind, .len = strlen(kind)},
        {.type = STORE_TEXT, .s = status ? status : "", .len = status ? strlen(status) : 0}};
    assert_int_equal(
        cv_store_select(s,
                        status ? "SELECT count(*) FROM runs WHERE kind = ?1 AND status = ?2"
                               : "SELECT count(*) FROM runs WHERE kind = ?1",
                        p, status ? 2 : 1, &t, &err),
        CV_OK);
    int64_t n = t.cells[0].i;
    cv_store_table_free(&t);
    cv_store_close(s);
    return n;
}

static int setup(void **state) {
    (void)state;
    if (runcmd_chemvae_path(g_bin, sizeof g_bin)) return -1;
    if (runcmd_mkdtemp(g_dir, sizeof g_dir, "cvpipe")) return -1;
    snprintf(g_pipe, sizeof g_pipe, "%s/fake", g_dir);
    snprintf(g_db, sizeof g_db, "%s/out/db.sqlite", g_dir);
    snprintf(g_in, sizeof g_in, "%s/in.smi", g_dir);
    snprintf(g_missing, sizeof g_missing, "%s/later.smi", g_dir);
    write_file(g_in, "CCO\nc1ccccc1\n");
    char text[1024];
    snprintf(text, sizeof text,
             "# three cheap stages\n"
             "set OUT out\n"
             "set DB ${OUT}/db.sqlite\n"
             "set STATE ${OUT}/state\n"
             "stage one score\n"
             "  in in.smi\n"
             "  args --input in.smi\n"
             "stage two score\n"
             "  args \"[${RUN}CH4]\" CCN\n"
             "stage three score\n"
             "  args --input in.smi --threads 1\n"
             "  in ${OUT}/state/one.out\n");
    write_file(g_pipe, text);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    free(g_out);
    g_out = NULL;
    return runcmd_rmtree(g_dir);
}

static void test_run_skip_from(void **state) {
    (void)state;
    char *out, path[256];
    assert_int_equal(run("fake", "", &out), 0);
    assert_int_equal(runcmd_count(out, "running: chemvae score"), 3);
    assert_non_null(strstr(out, "stage,action,run_id,seconds\none,ran,2,")); /* stdout */
    assert_int_equal(db_count("stage", "ok"), 3);
    assert_int_equal(db_count("pipeline", "ok"), 1);
    /* ${RUN} became the stage's own run id (pipeline 1, stage one 2, stage two 3) */
    snprintf(path, sizeof path, "%s/out/state/two.out", g_dir);
    char *two = read_all(path);
    assert_non_null(two);
    assert_non_null(strstr(two, "[3CH4]"));
    free(two);
    snprintf(path, sizeof path, "%s/out/state/state", g_dir);
    char *st = read_all(path);
    assert_non_null(st);
    assert_int_equal(runcmd_count(st, " done "), 3);
    free(st);

    assert_int_equal(run("fake", "", &out), 0);
    assert_int_equal(runcmd_count(out, "skipped: done"), 3);
    assert_non_null(strstr(out, "three,skipped,4,"));
    assert_int_equal(db_count("stage", NULL), 3);
    assert_int_equal(db_count("pipeline", "ok"), 2);

    assert_int_equal(run("fake", "--from two", &out), 0);
    assert_int_equal(runcmd_count(out, "skipped: done"), 1);
    assert_int_equal(runcmd_count(out, "forced"), 2);
    assert_int_equal(db_count("stage", NULL), 5);

    /* a changed input re-runs its stage and every stage after it */
    write_file(g_in, "CCO\n");
    assert_int_equal(run("fake", "", &out), 0);
    assert_int_equal(runcmd_count(out, "inputs changed"), 3);
    assert_int_equal(db_count("stage", NULL), 8);

    /* a missing output re-runs its stage (and, as it has a new run, the later ones) */
    snprintf(path, sizeof path, "%s/out/state/two.out", g_dir);
    unlink(path);
    assert_int_equal(run("fake", "", &out), 0);
    assert_int_equal(runcmd_count(out, "skipped: done"), 1);
    assert_int_equal(db_count("stage", NULL), 10);
    assert_int_equal(run("fake", "--dry-run", &out), 0);
    assert_int_equal(runcmd_count(out, "skipped: done"), 3);
    assert_int_equal(db_count("pipeline", NULL), 5); /* --dry-run records nothing */
}

static void test_resume_and_errors(void **state) {
    (void)state;
    char text[512], *out;
    snprintf(text, sizeof text,
             "set DB out2/db.sqlite\n"
             "set STATE out2/st\n"
             "stage ok score\n  args CCO\n"
             "stage flaky score\n  args --input later.smi\n  resume --threads 2\n");
    char pipe2[160];
    snprintf(pipe2, sizeof pipe2, "%s/flaky.pipe", g_dir);
    write_file(pipe2, text);
    unlink(g_missing);
    assert_int_equal(run("flaky.pipe", "", &out), 1);
    assert_non_null(strstr(out, "stage 'flaky' failed"));
    assert_non_null(strstr(out, "flaky,failed,"));
    /* the stage stays 'started' with the same key: the next run continues it */
    write_file(g_missing, "CCN\n");
    assert_int_equal(run("flaky.pipe", "", &out), 0);
    assert_non_null(
        strstr(out, "flaky        resuming: chemvae score --input later.smi --threads 2"));
    assert_non_null(strstr(out, "ok           skipped"));

    /* prebuilt: an existing file stands in for a stage that never ran here; --from runs it */
    write_file(
        pipe2,
        "set STATE out4\nstage model score\n  args CCO\n  out out4/model.copy\n  prebuilt in.smi\n"
        "stage use score\n  args CCC\n");
    assert_int_equal(run("flaky.pipe", "", &out), 0);
    assert_non_null(
        strstr(out, "model        skipped: prebuilt in.smi exists; copied to out4/model.copy"));
    assert_non_null(strstr(out, "use          running"));
    char path[256];
    snprintf(path, sizeof path, "%s/out4/model.copy", g_dir);
    char *copy = read_all(path);
    assert_non_null(copy);
    assert_string_equal(copy, "CCO\n"); /* in.smi as test_run_skip_from left it */
    free(copy);
    assert_int_equal(run("flaky.pipe", "", &out), 0);
    assert_non_null(strstr(out, "model        skipped: prebuilt in.smi exists\n"));
    assert_non_null(strstr(out, "use          skipped: done"));
    /* --from runs the stage itself (score does not create model.copy: a failure here) */
    assert_int_equal(run("flaky.pipe", "--from model", &out), 1);
    assert_non_null(strstr(out, "model        forced"));
    assert_non_null(strstr(out, "did not create out4/model.copy"));
    write_file(pipe2, text);
    assert_int_equal(run("flaky.pipe", "--from nosuch", &out), 2);
    assert_non_null(strstr(out, "its stages are: ok flaky"));
    write_file(pipe2, "set STATE out3\nstage a score\n  args CCO\n  out never.txt\n");
    assert_int_equal(run("flaky.pipe", "", &out), 1);
    assert_non_null(strstr(out, "stage 'a' finished but did not create never.txt"));
    write_file(pipe2, "stage a score\n  args x\n  frobnicate\n");
    assert_int_equal(run("flaky.pipe", "", &out), 1);
    assert_non_null(strstr(out, "flaky.pipe:3: unknown directive 'frobnicate'"));
    assert_int_equal(run("nonexistent.pipe", "", &out), 1);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' pipeline bogus >/dev/null 2>&1", g_bin);
    int status = system(cmd);
    assert_int_equal(WEXITSTATUS(status), 2);
}

/* The runner removes only outputs it made: an `out` naming an existing input is refused
 * with nothing deleted; its own unchanged output is replaced when the stage re-runs; an
 * output edited since is refused, kept as it is. */
static void test_outputs_owned(void **state) {
    (void)state;
    char pipe5[160], csv[160], vocab[160], *out;
    snprintf(pipe5, sizeof pipe5, "%s/own.pipe", g_dir);
    snprintf(csv, sizeof csv, "%s/small.csv", g_dir);
    snprintf(vocab, sizeof vocab, "%s/out5/v.vocab", g_dir);
    write_file(csv, "smiles\nCCO\nCCN\n");
    write_file(pipe5, "set STATE out5\nstage bad score\n  in small.csv\n  args --input small.csv\n"
                      "  out small.csv\n");
    assert_int_equal(run("own.pipe", "", &out), 1);
    assert_non_null(
        strstr(out, "its output small.csv already exists and was not made by this pipeline"));
    char *kept = read_all(csv);
    assert_non_null(kept);
    assert_string_equal(kept, "smiles\nCCO\nCCN\n");
    free(kept);

    write_file(
        pipe5,
        "set STATE out5\nstage v vocab\n  in small.csv\n  args build small.csv -o out5/v.vocab\n"
        "  out out5/v.vocab\n");
    assert_int_equal(run("own.pipe", "", &out), 0);
    write_file(csv, "smiles\nCCO\nCCCl\n");
    assert_int_equal(run("own.pipe", "", &out), 0); /* its own output, unchanged: replaced */
    assert_non_null(strstr(out, "inputs changed"));
    char *v = read_all(vocab);
    assert_non_null(v);
    assert_non_null(strstr(v, "Cl"));
    free(v);
    write_file(vocab, "edited by hand\n");
    write_file(csv, "smiles\nCCO\nCCBr\n");
    assert_int_equal(run("own.pipe", "", &out), 1);
    assert_non_null(strstr(out, "already exists and changed since this pipeline wrote it"));
    v = read_all(vocab);
    assert_non_null(v);
    assert_string_equal(v, "edited by hand\n");
    free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_skip_from),
        cmocka_unit_test(test_resume_and_errors),
        cmocka_unit_test(test_outputs_owned),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
