/* test_chemist_cli.c — the commands a chemist reaches for after sampling, end to end through
 * their check scripts (BUILD's chemvae; sanitizer builds too):
 *   - tests/check-molfiles.sh: the molecule commands' output formats (csv, sdf, smi and
 *     json) read back by Python RDKit (every SDF record is the CSV row's molecule, titled,
 *     with every column as a data item; SMILES files with the records' names);
 *   - tests/check-predict.sh: predict's MAE on a test split equals eval's, its predictions
 *     on the same molecules as a SMILES file are the same, its true values RDKit's, its
 *     --latent vectors encode's, and a molecule it cannot encode is an error row;
 *   - tests/check-metrics.sh: chemvae metrics equals tests/metrics_reference.py (MOSES's
 *     definitions in Python RDKit) within 1e-3 on all 14 metrics for 3,400 generated
 *     strings, its notes, thread count independence, --smiles-col and --format csv|json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "support/runcmd.h"

/* Runs `bash SCRIPT $BUILD`; passes when it exits 0 with no FAIL line and `want` ok lines. */
static void run_script(const char *script, size_t want) {
    size_t ok, failed;
    assert_int_equal(runcmd_check_script(script, &ok, &failed, NULL), 0);
    assert_int_equal(failed, 0);
    assert_int_equal(ok, want);
}

static void test_molecule_files(void **state) {
    (void)state;
    run_script("tests/check-molfiles.sh", 8);
}

static void test_predict(void **state) {
    (void)state;
    run_script("tests/check-predict.sh", 4);
}

static void test_metrics(void **state) {
    (void)state;
    run_script("tests/check-metrics.sh", 6);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_molecule_files),
                                       cmocka_unit_test(test_predict),
                                       cmocka_unit_test(test_metrics)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
