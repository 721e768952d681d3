/* test_hardening_cli.c — the command line against hostile arguments and odd outputs, run on
 * $BUILD/chemvae (so under `make asan` on the sanitizer build):
 *  - tests/check-long-args.sh: every command with every path argument about 4,000
 *    characters long and a 12,000-character stage name: each run succeeds or fails with
 *    exit 1/2 and a clear message, no sanitizer report, stored configs keep whole paths;
 *  - tests/check-outputs.sh: every file output written through a symlink (it stays a link),
 *    to a character device (it stays a device), refused as a directory; every command's
 *    stdout to /dev/full exits 1 with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "support/runcmd.h"

/* Runs `bash SCRIPT $BUILD/chemvae`; passes when it exits 0 with no FAIL line and at least
 * min_ok "ok" lines. */
static void run_script(const char *script, size_t min_ok) {
    char bin[600], cmd[800];
    assert_int_equal(runcmd_chemvae_path(bin, sizeof bin), 0);
    snprintf(cmd, sizeof cmd, "bash %s '%s' 2>&1", script, bin);
    size_t ok, failed;
    assert_int_equal(runcmd_check(cmd, &ok, &failed), 0);
    assert_int_equal(failed, 0);
    assert_true(ok >= min_ok);
}

static void test_long_arguments(void **state) {
    (void)state;
    run_script("tests/check-long-args.sh", 16);
}

static void test_outputs(void **state) {
    (void)state;
    run_script("tests/check-outputs.sh", 26);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_long_arguments),
                                       cmocka_unit_test(test_outputs)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
