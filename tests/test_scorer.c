/* test_scorer.c — the external scorer (app_scorer.c): its output read line by line (numbers,
 * nan, line ends, blanks; the wrong number of lines and a line that is not a number named
 * with its SMILES); the program run through /bin/sh with every SMILES on its stdin at once
 * (tests/scorers/smiles_length.sh, a program that does not read its input, one that writes
 * before reading all of it, 20,000 SMILES); the failures named with the command (not found,
 * a non-zero exit status, a signal, a timeout that kills what the shell started); the cache
 * (each distinct molecule scored once, a failed call adds nothing); the values stored in
 * the results DB with their molecules; and, end to end through BUILD's chemvae,
 * tests/check-scorer.sh: optimize --objective on a property of the user's dataset, the
 * scorer's values of optimize and sample in the DB and ranking the molecules, a failing
 * scorer named and what was stored before kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chemvae/app/app_scorer.h"
#include "support/runcmd.h"

static const char *const MOLS[3] = {"CCO", "c1ccccc1O", "CC(=O)O"};

static void parse_ok(const char *text, size_t n, const double *want) {
    double out[8];
    CvError err = {0};
    if (cv_scorer_parse("s", text, strlen(text), MOLS, n, out, &err)) fail_msg("%s", err.msg);
    for (size_t i = 0; i < n; i++) assert_true(isnan(want[i]) ? isnan(out[i]) : out[i] == want[i]);
}

static void parse_bad(const char *text, size_t n, const char *needle) {
    double out[8];
    CvError err = {0};
    assert_int_equal(cv_scorer_parse("./s.sh", text, strlen(text), MOLS, n, out, &err),
                     CV_ERR_PARSE);
    if (!strstr(err.msg, needle)) fail_msg("'%s' lacks '%s'", err.msg, needle);
    assert_non_null(strstr(err.msg, "scorer './s.sh'"));
}

static void test_parse(void **state) {
    (void)state;
    parse_ok("1\n2.5\n-3e2\n", 3, (double[]){1, 2.5, -300});
    parse_ok("1\r\n 0.25 \t\r\nNaN", 3, (double[]){1, 0.25, NAN});
    parse_ok("", 0, NULL);
    parse_ok("+7\n", 1, (double[]){7});
    parse_bad("1\n2\n", 3, "wrote 2 lines for 3 SMILES");
    parse_bad("1\n2\n3\n4", 3, "wrote 4 lines for 3 SMILES");
    parse_bad("1\n\n3\n", 3, "line 2 ('') is not a number (for SMILES c1ccccc1O)");
    parse_bad("1\n2\nabc\n", 3, "line 3 ('abc') is not a number (for SMILES CC(=O)O)");
    parse_bad("inf\n", 1, "line 1 ('inf')");
    parse_bad("0x10\n", 1, "line 1 ('0x10')");
    parse_bad("1e999\n", 1, "line 1");
    parse_bad("1,5\n", 1, "line 1 ('1,5')");
    parse_bad("2 3\n", 1, "line 1 ('2 3')");
    double out[1];
    CvError err = {0};
    assert_int_equal(cv_scorer_parse("s", "1\0002\n", 4, MOLS, 1, out, &err), CV_ERR_PARSE);
    assert_non_null(strstr(err.msg, "line 1 ('1?2')"));
}

#define LENGTH "tests/scorers/smiles_length.sh"

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void exec_bad(const char *cmd, double timeout, const char *needle) {
    double out[3];
    CvError err = {0};
    assert_int_not_equal(cv_scorer_exec(cmd, timeout, MOLS, 3, out, &err), CV_OK);
    if (!strstr(err.msg, needle)) fail_msg("'%s' lacks '%s'", err.msg, needle);
    char quoted[256];
    snprintf(quoted, sizeof quoted, "scorer '%s'", cmd);
    assert_non_null(strstr(err.msg, quoted));
}

static void test_exec(void **state) {
    (void)state;
    double out[3];
    CvError err = {0};
    assert_int_equal(cv_scorer_exec(LENGTH, 10, MOLS, 3, out, &err), CV_OK);
    assert_true(out[0] == 3 && out[1] == 9 && out[2] == 7);
    /* a program that never reads its input, and a shell pipeline */
    assert_int_equal(cv_scorer_exec("printf '1\\n2\\n3\\n'", 10, MOLS, 3, out, &err), CV_OK);
    assert_true(out[2] == 3);
    assert_int_equal(cv_scorer_exec("cat | awk '{print NR}'", 0, MOLS, 3, out, &err), CV_OK);
    assert_true(out[0] == 1 && out[2] == 3);
    exec_bad("/nonexistent/scorer", 10, "exited with status 127: command not found");
    exec_bad("/dev/null", 10, "exited with status 126: not executable");
    exec_bad(LENGTH "; exit 3", 10, "exited with status 3");
    exec_bad("kill -TERM $$", 10, "killed by signal 15");
    exec_bad("echo 1", 10, "wrote 1 lines for 3 SMILES");
    exec_bad("echo 1; echo x; echo 3", 10, "line 2 ('x') is not a number (for SMILES c1ccccc1O)");
    /* a timeout kills the shell and what it started, at once */
    double t0 = seconds();
    exec_bad("sleep 30; " LENGTH, 0.3, "did not finish within 0.3 s");
    exec_bad("exec >&-; sleep 30", 0.3, "did not exit within 0.3 s");
    assert_true(seconds() - t0 < 5);
}

/* 20,000 SMILES (about 600 kB, far beyond a pipe's buffer) through a program that answers
 * each line as it reads it: no deadlock. */
static void test_exec_large(void **state) {
    (void)state;
    enum { N = 20000 };
    char(*buf)[32] = malloc(N * sizeof *buf);
    const char **smi = malloc(N * sizeof *smi);
    double *out = malloc(N * sizeof *out);
    assert_true(buf && smi && out);
    for (size_t i = 0; i < N; i++) {
        snprintf(buf[i], sizeof buf[i], "C%zuCCCCCCCCCCCCCCCCCCO", i);
        smi[i] = buf[i];
    }
    CvError err = {0};
    assert_int_equal(cv_scorer_exec(LENGTH, 60, smi, N, out, &err), CV_OK);
    for (size_t i = 0; i < N; i++) assert_true(out[i] == (double)strlen(smi[i]));
    free(buf);
    free(smi);
    free(out);
}

static void test_cache_and_record(void **state) {
    (void)state;
    CvScorer s;
    cv_scorer_init(&s, LENGTH, 10);
    const char *a[4] = {"CCO", "CCN", NULL, "CCO"};
    const ChemScores sc[4] = {{.mw = 46.07}, {.mw = 45.08}, {.mw = 0}, {.mw = 46.07}};
    double out[4];
    CvError err = {0};
    assert_int_equal(cv_scorer_score(&s, 4, a, sc, out, &err), CV_OK);
    assert_true(out[0] == 3 && out[1] == 3 && isnan(out[2]) && out[3] == 3);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.seen.n, 2);
    const char *b[2] = {"CCN", "c1ccccc1"};
    assert_int_equal(cv_scorer_score(&s, 2, b, NULL, out, &err), CV_OK);
    assert_true(out[0] == 3 && out[1] == 8);
    assert_int_equal(s.calls, 2);
    assert_int_equal(s.seen.n, 3);
    assert_int_equal(cv_scorer_score(&s, 2, b, NULL, out, &err), CV_OK); /* all known */
    assert_int_equal(s.calls, 2);
    s.negate = 1;
    assert_int_equal(cv_scorer_judge(&s, 2, b, NULL, out, &err), CV_OK);
    assert_true(out[0] == -3 && out[1] == -8);
    assert_true(cv_scorer_value(&s, "c1ccccc1") == 8 && isnan(cv_scorer_value(&s, "O")));
    /* a failed call adds nothing */
    s.cmd = "exit 1";
    const char *c[1] = {"CCCl"};
    assert_int_equal(cv_scorer_score(&s, 1, c, NULL, out, &err), CV_ERR_IO);
    assert_int_equal(s.seen.n, 3);
    /* recording: each molecule once, with its scores */
    char dir[] = "/tmp/cvscorer-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/r.db", dir);
    CvHooks h = {0};
    assert_int_equal(cv_store_open(path, 0, &h.db, &err), CV_OK);
    assert_int_equal(cv_store_run_begin(h.db, "sample", NULL, NULL, NULL, 1, 0, &h.run_id, &err),
                     CV_OK);
    s.cmd = LENGTH;
    assert_int_equal(cv_scorer_record(&s, &h, &err), CV_OK);
    assert_int_equal(cv_scorer_record(&s, &h, &err), CV_OK);
    StoreTable t = {0};
    assert_int_equal(cv_store_select(h.db,
                                     "SELECT m.smiles, s.value, s.name, m.mw FROM scores s JOIN "
                                     "molecules m ON m.id = s.molecule_id ORDER BY m.id",
                                     NULL, 0, &t, &err),
                     CV_OK);
    assert_int_equal(t.nrow, 3);
    assert_string_equal(t.cells[0].s, "CCO");
    assert_true(t.cells[1].d == 3 && t.cells[3].d == 46.07);
    assert_string_equal(t.cells[2].s, LENGTH);
    assert_string_equal(t.cells[8].s, "c1ccccc1");
    assert_true(t.cells[9].d == 8);
    cv_store_table_free(&t);
    cv_store_close(h.db);
    cv_scorer_free(&s);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_end_to_end(void **state) {
    (void)state;
    size_t ok, failed;
    assert_int_equal(runcmd_check_script("tests/check-scorer.sh", &ok, &failed, NULL), 0);
    assert_int_equal(failed, 0);
    assert_int_equal(ok, 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse), cmocka_unit_test(test_exec),
                                       cmocka_unit_test(test_exec_large),
                                       cmocka_unit_test(test_cache_and_record),
                                       cmocka_unit_test(test_end_to_end)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
