/* test_fuzz_smoke.c — a short run of every fuzz target inside `make test` (and so under the
 * sanitizers of `make asan`), without libFuzzer: each target's entry point (compiled from
 * tests/fuzz/fuzz_<name>.c with LLVMFuzzerTestOneInput renamed to smoke_<name>) gets every
 * file of its seed corpus and ROUNDS seeded mutations of each (bit flips, byte sets,
 * truncations, duplicated slices). `make fuzz` runs the real coverage-guided fuzzing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/core/fileio.h"
#include "chemvae/core/rng.h"

#define ROUNDS 300

typedef int (*FuzzEntry)(const uint8_t *data, size_t size);

// clang-format off
#define TARGETS(X)                                                                                 \
    X(chem) X(csv) X(objective) X(query) X(smiles_grammar) X(tokenizer) X(checkpoint)             \
    X(dataset) X(vocab) X(pipefile) X(zcsv) X(pipestate) X(molin) X(scorer) X(history)        \
    X(sqltext)
// clang-format on
#define DECLARE(name) int smoke_fuzz_##name(const uint8_t *data, size_t size);
TARGETS(DECLARE)
#undef DECLARE

/* One mutation of src into dst (returns the new size, <= cap). */
static size_t mutate(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, CvRng *r) {
    size_t m = n < cap ? n : cap;
    memcpy(dst, src, m);
    int kind = (int)(cv_rng_u64(r) % 4);
    if (m == 0) return 0;
    size_t at = (size_t)(cv_rng_u64(r) % m);
    switch (kind) {
    case 0:
        dst[at] ^= (uint8_t)(1u << (cv_rng_u64(r) % 8));
        break; /* bit flip */
    case 1:
        dst[at] = (uint8_t)cv_rng_u64(r);
        break; /* byte set */
    case 2:
        m = at;
        break; /* truncate */
    default: { /* dup slice */
        size_t len = 1 + (size_t)(cv_rng_u64(r) % 16);
        if (at + len > m) len = m - at;
        if (m + len <= cap) {
            memmove(dst + at + len, dst + at, m - at);
            m += len;
        }
    }
    }
    return m;
}

static void run_target(const char *name, FuzzEntry fn) {
    char dir[256];
    snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", name);
    DIR *d = opendir(dir);
    assert_non_null(d);
    CvRng r;
    cv_rng_init(&r, 7);
    size_t files = 0, runs = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *data;
        size_t n;
        CvError err;
        assert_int_equal(cv_read_file(path, &data, &n, &err), CV_OK);
        fn((const uint8_t *)data, n);
        size_t cap = n + 64;
        uint8_t *buf = malloc(cap);
        for (int k = 0; k < ROUNDS; k++) fn(buf, mutate((const uint8_t *)data, n, buf, cap, &r));
        runs += 1 + ROUNDS;
        files++;
        free(buf);
        free(data);
    }
    closedir(d);
    assert_true(files > 0);
    fprintf(stderr, "  fuzz_%s: %zu seeds, %zu inputs\n", name, files, runs);
}

#define TEST(name)                                                                                 \
    static void test_##name(void **state) {                                                        \
        (void)state;                                                                               \
        run_target(#name, smoke_fuzz_##name);                                                      \
    }
TARGETS(TEST)
#undef TEST

int main(void) {
#define ENTRY(name) cmocka_unit_test(test_##name),
    const struct CMUnitTest tests[] = {TARGETS(ENTRY)};
#undef ENTRY
    return cmocka_run_group_tests(tests, NULL, NULL);
}
