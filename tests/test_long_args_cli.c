/* test_long_args_cli.c — every command with every path argument about 4,000 characters
 * long and a pipeline stage named with 12,000 characters (tests/check-long-args.sh, run on
 * $BUILD/chemvae, so under `make asan` on the sanitizer build): each run succeeds or fails
 * with exit 1/2 and a clear message, no sanitizer report, and the stored run configs keep
 * the whole paths (valid JSON, nothing truncated). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "support/runcmd.h"

static void test_long_arguments(void **state) {
    (void)state;
    char bin[600], cmd[800];
    assert_int_equal(runcmd_chemvae_path(bin, sizeof bin), 0);
    snprintf(cmd, sizeof cmd, "bash tests/check-long-args.sh '%s' 2>&1", bin);
    char *out = NULL;
    int rc = runcmd_capture(cmd, &out);
    assert_non_null(out);
    if (rc != 0) fprintf(stderr, "%s", out);
    assert_int_equal(rc, 0);
    assert_int_equal(runcmd_count(out, "FAIL"), 0);
    assert_true(runcmd_count(out, "ok   ") >= 16);
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_long_arguments)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
