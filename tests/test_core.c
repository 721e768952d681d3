/* test_core.c — rng reproducibility and distribution, CRC-32 known answers, atomic file
 * writes (old file kept on abort, a whole file at once), error formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/core/error.h"
#include "chemvae/core/fileio.h"
#include "chemvae/core/json.h"
#include "chemvae/core/rng.h"

static void test_rng_reproducible(void **state) {
    (void)state;
    CvRng a, b;
    cv_rng_init(&a, 42);
    cv_rng_init(&b, 42);
    for (int i = 0; i < 1000; i++) assert_true(cv_rng_u64(&a) == cv_rng_u64(&b));
    cv_rng_init(&b, 43);
    assert_false(cv_rng_u64(&a) == cv_rng_u64(&b));
}

static void test_rng_normal_moments(void **state) {
    (void)state;
    CvRng r;
    cv_rng_init(&r, 7);
    double s = 0, s2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double x = cv_rng_normal(&r);
        s += x;
        s2 += x * x;
    }
    assert_true(fabs(s / n) < 0.01);
    assert_true(fabs(s2 / n - 1.0) < 0.02);
    for (int i = 0; i < 10000; i++) {
        float u = cv_rng_uniform(&r);
        assert_true(u >= 0.0f && u < 1.0f);
        assert_true(cv_rng_below(&r, 7) < 7);
    }
}

static void test_shuffle_is_permutation(void **state) {
    (void)state;
    CvRng r;
    cv_rng_init(&r, 1);
    uint32_t idx[100];
    int seen[100] = {0};
    for (uint32_t i = 0; i < 100; i++) idx[i] = i;
    cv_rng_shuffle_u32(&r, idx, 100);
    for (int i = 0; i < 100; i++) seen[idx[i]]++;
    for (int i = 0; i < 100; i++) assert_int_equal(seen[i], 1);
}

static void test_crc32_known(void **state) {
    (void)state;
    /* The standard check value of CRC-32/IEEE. */
    assert_int_equal(cv_crc32(0, "123456789", 9), 0xCBF43926u);
    uint32_t c = cv_crc32(0, "1234", 4);
    assert_int_equal(cv_crc32(c, "56789", 5), 0xCBF43926u);
}

static void test_atomic_write_keeps_old_on_abort(void **state) {
    (void)state;
    char path[] = "/tmp/chemvae_test_atomic_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    CvError err;
    CvAtomicFile af;
    assert_int_equal(cv_atomic_open(&af, path, &err), CV_OK);
    assert_int_equal(cv_atomic_write(&af, "first", 5, &err), CV_OK);
    assert_int_equal(cv_atomic_commit(&af, &err), CV_OK);
    assert_int_equal(cv_atomic_open(&af, path, &err), CV_OK);
    assert_int_equal(cv_atomic_write(&af, "second", 6, &err), CV_OK);
    cv_atomic_abort(&af);
    char *data;
    size_t len;
    assert_int_equal(cv_read_file(path, &data, &len, &err), CV_OK);
    assert_int_equal(len, 5);
    assert_string_equal(data, "first");
    free(data);
    assert_int_equal(access(af.tmp, F_OK), -1);
    unlink(path);
}

/* The whole-file writer: the new bytes replace the old, no temp file stays, and a path
 * that cannot be written (a directory) is refused naming it, the old file untouched. */
static void test_atomic_write_file(void **state) {
    (void)state;
    char dir[] = "/tmp/chemvae_test_atomic_dir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    CvError err;
    assert_int_equal(cv_atomic_write_file(path, "old", 3, &err), CV_OK);
    assert_int_equal(cv_atomic_write_file(path, "new\n", 4, &err), CV_OK);
    char *data;
    size_t len;
    assert_int_equal(cv_read_file(path, &data, &len, &err), CV_OK);
    assert_int_equal(len, 4);
    assert_string_equal(data, "new\n");
    free(data);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));) entries += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(entries, 1); /* out.txt alone */
    assert_int_equal(cv_atomic_write_file(dir, "x", 1, &err), CV_ERR_IO);
    assert_non_null(strstr(err.msg, dir));
    assert_int_equal(cv_read_file(path, &data, &len, &err), CV_OK);
    assert_string_equal(data, "new\n");
    free(data);
    unlink(path);
    rmdir(dir);
}

static void test_read_missing_file_names_path(void **state) {
    (void)state;
    CvError err;
    char *data;
    assert_int_equal(cv_read_file("/nonexistent/x.csv", &data, NULL, &err), CV_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.csv"));
}

/* The JSON writer: separators, nesting, escapes, null for NULL and non-finite numbers,
 * shortest round-trip doubles, and a 100,000-character string kept whole. */
static void test_json_writer(void **state) {
    (void)state;
    CvJson j = {0};
    CvError err;
    assert_string_equal(cv_json_text(&j, &err), "");
    cv_json_begin_object(&j);
    cv_json_kv_string(&j, "path", "a\"b\\c\n\x01/é");
    cv_json_kv_string(&j, "none", NULL);
    cv_json_kv_int(&j, "n", -42);
    cv_json_kv_double(&j, "beta", 0.05);
    cv_json_kv_double(&j, "third", 1.0 / 3.0);
    cv_json_kv_double(&j, "nan", NAN);
    cv_json_kv_bool(&j, "ok", 1);
    cv_json_key(&j, "list");
    cv_json_begin_array(&j);
    cv_json_int(&j, 1);
    cv_json_begin_object(&j);
    cv_json_end_object(&j);
    cv_json_begin_array(&j);
    cv_json_end_array(&j);
    cv_json_raw(&j, "{\"x\": 1}");
    cv_json_null(&j);
    cv_json_end_array(&j);
    cv_json_end_object(&j);
    assert_string_equal(cv_json_text(&j, &err),
                        "{\"path\": \"a\\\"b\\\\c\\n\\u0001/é\", \"none\": null, \"n\": -42, "
                        "\"beta\": 0.05, \"third\": 0.3333333333333333, \"nan\": null, "
                        "\"ok\": true, \"list\": [1, {}, [], {\"x\": 1}, null]}");
    cv_json_free(&j);
    assert_null(j.out.p);

    /* a byte that starts no UTF-8 sequence becomes U+FFFD; valid multibyte text passes */
    cv_json_begin_array(&j);
    cv_json_string(&j, "x\xff\xc3\xa9\x7f");
    cv_json_end_array(&j);
    assert_string_equal(cv_json_text(&j, &err), "[\"x\\ufffd\xc3\xa9\x7f\"]");
    cv_json_reset(&j);
    assert_string_equal(cv_json_text(&j, &err), "");
    cv_json_free(&j);

    size_t n = 100000;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    cv_json_begin_array(&j);
    cv_json_string(&j, big);
    cv_json_end_array(&j);
    const char *t = cv_json_text(&j, &err);
    assert_int_equal(strlen(t), n + 4);
    assert_memory_equal(t + 2, big, n);
    cv_json_free(&j);
    free(big);
}

static void test_error_prefix(void **state) {
    (void)state;
    CvError err;
    cv_error_set(&err, CV_ERR_PARSE, "line %d: bad", 3);
    cv_error_prefix(&err, "%s", "data.csv");
    assert_string_equal(err.msg, "data.csv: line 3: bad");
    assert_string_equal(cv_status_name(CV_ERR_PARSE), "parse");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_reproducible),
        cmocka_unit_test(test_rng_normal_moments),
        cmocka_unit_test(test_shuffle_is_permutation),
        cmocka_unit_test(test_crc32_known),
        cmocka_unit_test(test_atomic_write_keeps_old_on_abort),
        cmocka_unit_test(test_atomic_write_file),
        cmocka_unit_test(test_read_missing_file_names_path),
        cmocka_unit_test(test_error_prefix),
        cmocka_unit_test(test_json_writer),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
