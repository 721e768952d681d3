/* test_molfiles.c — molecule files as outputs (sample, optimize and interpolate with
 * --format sdf | smi | json) read back by Python RDKit, through tests/check-molfiles.sh:
 * every SDF record parses to the CSV row's molecule with its title and every column as a
 * data item; the SMILES file's lines are the CSV's SMILES with the records' names. Runs
 * BUILD's chemvae (sanitizer builds too). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "support/runcmd.h"

static void test_molfiles(void **state) {
    (void)state;
    const char *build = getenv("BUILD");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "bash tests/check-molfiles.sh '%s' 2>&1", build ? build : "build");
    size_t ok, failed;
    assert_int_equal(runcmd_check(cmd, &ok, &failed), 0);
    assert_int_equal(failed, 0);
    assert_int_equal(ok, 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_molfiles)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
