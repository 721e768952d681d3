/* test_app_score.c — the score job (app_score.c) as a library call, and the two core
 * helpers it is built on. The parallel-for (core/parfor.c): every row is covered exactly
 * once in both modes (contiguous chunks, one per worker; grains from a shared counter) for
 * any worker count, including more workers than rows, a negative count, and n = 0; chunk k
 * runs as worker k; 0 workers runs cv_cpu_count() of them. The CSV writer (core/csvout.c): the
 * quoting rule and its flags. The job: rows reach the sink in input order with the same values for
 * 1, 4 and every CPU's threads, and a broken CSV record becomes an invalid row naming its file and
 * line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/app/app_score.h"
#include "chemvae/core/csvout.h"
#include "chemvae/core/parfor.h"

typedef struct {
    atomic_int *hits;   /* (n) times each row was processed */
    atomic_int calls;   /* task calls */
    size_t chunk_b0[8]; /* grain 0: first row of worker k's chunk */
    int bad_worker;     /* a worker index out of range was seen */
    int workers;
} Count;

static void count_rows(void *ctx, size_t b0, size_t b1, int worker) {
    Count *c = ctx;
    atomic_fetch_add(&c->calls, 1);
    if (worker < 0 || worker >= c->workers) c->bad_worker = 1;
    else if (worker < 8) c->chunk_b0[worker] = b0;
    for (size_t i = b0; i < b1; i++) atomic_fetch_add(&c->hits[i], 1);
}

/* Runs n rows on `workers` with `grain`; every row must be hit once. Returns the calls. */
static int run_count(size_t n, int workers, size_t grain, Count *c) {
    memset(c, 0, sizeof *c);
    c->hits = calloc(n ? n : 1, sizeof *c->hits);
    assert_non_null(c->hits);
    int w = workers == 0 ? cv_cpu_count() : workers;
    int effective = w < 1 ? 1 : w > (int)n ? (n ? (int)n : 1) : w;
    c->workers = effective;
    cv_parallel_for(n, workers, grain, count_rows, c);
    for (size_t i = 0; i < n; i++) assert_int_equal(atomic_load(&c->hits[i]), 1);
    assert_false(c->bad_worker);
    free(c->hits);
    return atomic_load(&c->calls);
}

static void test_static_chunks(void **state) {
    (void)state;
    Count c;
    assert_int_equal(run_count(1000, 4, 0, &c), 4);
    for (int k = 0; k < 4; k++) assert_int_equal(c.chunk_b0[k], 250 * (size_t)k);
    assert_int_equal(run_count(3, 8, 0, &c), 3); /* no more workers than rows */
    assert_int_equal(run_count(7, 1, 0, &c), 1);
    assert_int_equal(run_count(7, -3, 0, &c), 1); /* clamped to one worker */
    assert_int_equal(run_count(0, 4, 0, &c), 1);  /* one empty call, as before */
}

static void test_dynamic_grains(void **state) {
    (void)state;
    Count c;
    assert_int_equal(run_count(1000, 3, 1, &c), 1000);
    assert_int_equal(run_count(1000, 3, 64, &c), 16); /* 15 full grains and 40 rows */
    assert_int_equal(run_count(10, 300, 1, &c), 10);  /* more workers than the maximum */
    assert_int_equal(run_count(0, 2, 1, &c), 0);
}

/* 0 workers: every CPU, cv_cpu_count() of them (one chunk each), never more than rows. */
static void test_zero_workers_every_cpu(void **state) {
    (void)state;
    int cpus = cv_cpu_count();
    assert_true(cpus >= 1 && cpus <= CV_PARFOR_MAX_WORKERS);
    assert_int_equal(cpus, sysconf(_SC_NPROCESSORS_ONLN) > CV_PARFOR_MAX_WORKERS
                               ? CV_PARFOR_MAX_WORKERS
                               : (int)sysconf(_SC_NPROCESSORS_ONLN));
    Count c;
    assert_int_equal(run_count(1000, 0, 0, &c), cpus);
    for (int k = 0; k < cpus && k < 8; k++)
        assert_int_equal(c.chunk_b0[k], 1000 * (size_t)k / (size_t)cpus);
    assert_int_equal(run_count(7, 0, 0, &c), cpus < 7 ? cpus : 7);
    assert_int_equal(run_count(1000, 0, 1, &c), 1000); /* workers 0..cpus-1 take grains */
    assert_int_equal(run_count(0, 0, 0, &c), 1);
}

/* What cv_csv_field writes for s[0..len) with flags. */
static char *field(const char *s, size_t len, unsigned flags) {
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    assert_non_null(fp);
    assert_int_equal(cv_csv_field(fp, s, len, flags), 0);
    fclose(fp);
    return buf;
}

static void check_field(const char *s, size_t len, unsigned flags, const char *want) {
    char *got = field(s, len, flags);
    assert_string_equal(got, want);
    free(got);
}

static void test_csv_writer(void **state) {
    (void)state;
    check_field("CCO", 3, 0, "CCO");
    check_field("", 0, 0, "");
    check_field("", 0, CV_CSV_QUOTE_EMPTY, "\"\"");
    check_field("a,b", 3, 0, "\"a,b\"");
    check_field("C\"C", 3, 0, "\"C\"\"C\"");
    check_field("a\nb", 3, 0, "\"a\nb\"");
    check_field("a\rb", 3, 0, "\"a\rb\"");
    check_field(" x", 2, 0, "\" x\"");
    check_field("x ", 2, 0, "\"x \"");
    check_field("a\tb", 3, 0, "a\tb");
    check_field("x\x00\xff\x01y", 5, CV_CSV_ESCAPE_BYTES, "x\\x00\\xff\\x01y");
    check_field("\"\x7f\"", 3, CV_CSV_ESCAPE_BYTES, "\"\"\"\\x7f\"\"\"");
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    const char *rec[] = {"input", NULL, "a,b", ""};
    assert_int_equal(cv_csv_record(fp, rec, 4), 0);
    assert_int_equal(cv_csv_str(fp, "q\""), 0);
    fclose(fp);
    assert_string_equal(buf, "input,,\"a,b\",\n\"q\"\"\"");
    free(buf);
}

/* ---- the score job ---------------------------------------------------------------- */

typedef struct {
    char text[8192];
    size_t len, rows;
} Collected;

static CvStatus collect(void *user, const CvScoreRow *rows, size_t n, CvError *err) {
    (void)err;
    Collected *c = user;
    for (size_t i = 0; i < n; i++) {
        const CvScoreRow *r = &rows[i];
        assert_int_equal(r->index, c->rows + i);
        c->len += (size_t)snprintf(c->text + c->len, sizeof c->text - c->len, "%s|%d|%s|%.17g|%s\n",
                                   r->input, r->valid, r->canonical ? r->canonical : "",
                                   r->valid ? r->scores.qed : 0.0, r->error ? r->error : "");
    }
    c->rows += n;
    return CV_OK;
}

static void test_score_job(void **state) {
    (void)state;
    const char *smiles[] = {"OCC", " c1ccccc1 ", "C1CC", "", "CC(=O)O", "[C@H", "N"};
    Collected one = {0}, four = {0};
    CvScoreSink s1 = {collect, &one}, s4 = {collect, &four};
    CvScoreConfig cfg = CV_SCORE_DEFAULTS; /* every CPU */
    cfg.smiles = smiles;
    cfg.n_smiles = 7;
    cfg.threads = 1;
    CvScoreResult res;
    CvError err = {0};
    assert_int_equal(cv_score(&cfg, &s1, NULL, &res, &err), CV_OK);
    assert_int_equal(res.n_rows, 7);
    assert_int_equal(res.n_valid, 4);
    cfg.threads = 4;
    assert_int_equal(cv_score(&cfg, &s4, NULL, &res, &err), CV_OK);
    assert_string_equal(one.text, four.text);
    assert_non_null(strstr(one.text, "OCC|1|CCO|"));
    assert_non_null(strstr(one.text, "\nc1ccccc1|1|c1ccccc1|"));
    assert_non_null(strstr(one.text, "\nC1CC|0||0|\n"));
    Collected all = {0};
    CvScoreSink sa = {collect, &all};
    cfg.threads = 0;
    assert_int_equal(cv_score(&cfg, &sa, NULL, &res, &err), CV_OK);
    assert_string_equal(one.text, all.text);
    cfg.threads = -1;
    assert_int_equal(cv_score(&cfg, &s1, NULL, &res, &err), CV_ERR_INVALID);
}

static void test_score_csv(void **state) {
    (void)state;
    char path[] = "/tmp/cvscoreXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *csv = "id,smiles\n1,CCO\n2,C\"C\n3,\"CCN\"\n4\n";
    assert_int_equal(write(fd, csv, strlen(csv)), (ssize_t)strlen(csv));
    close(fd);
    Collected c = {0};
    CvScoreSink sink = {collect, &c};
    CvScoreConfig cfg = CV_SCORE_DEFAULTS;
    cfg.input = path;
    cfg.column = "smiles";
    CvScoreResult res;
    CvError err = {0};
    assert_int_equal(cv_score(&cfg, &sink, NULL, &res, &err), CV_OK);
    assert_int_equal(res.n_rows, 4);
    assert_int_equal(res.n_valid, 2);
    char want[256];
    snprintf(want, sizeof want, "\n2,C\"C|0||0|%s line 3: malformed quoting", path);
    assert_non_null(strstr(c.text, want));
    assert_non_null(strstr(c.text, "\nCCN|1|CCN|"));
    assert_non_null(strstr(c.text, "\n|0||0|\n")); /* the short record */
    cfg.column = "SMILES";
    assert_int_equal(cv_score(&cfg, &sink, NULL, &res, &err), CV_ERR_PARSE);
    assert_non_null(strstr(err.msg, "no column 'SMILES' in the header (id, smiles)"));
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_chunks),
        cmocka_unit_test(test_dynamic_grains),
        cmocka_unit_test(test_zero_workers_every_cpu),
        cmocka_unit_test(test_csv_writer),
        cmocka_unit_test(test_score_job),
        cmocka_unit_test(test_score_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
