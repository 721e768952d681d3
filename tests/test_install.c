/* test_install.c — `make install` and the installed tree, through tests/check-install.sh:
 * pkg-config finds chemvae.pc, a C program built with its flags against the installed
 * headers and libraries scores like `chemvae score`, and the installed `chemvae sample`
 * finds the installed model outside the checkout, the sqlite3 shell and Python's sqlite3
 * load the installed chemvae_sqlite.so and its functions agree with `chemvae query`. Skipped on
 * sanitizer builds (BUILD other than "build"): their libraries need the sanitizer runtime at link
 * time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/runcmd.h"

static void test_install(void **state) {
    (void)state;
    const char *build = getenv("BUILD");
    if (build && strcmp(build, "build") != 0) skip();
    size_t ok, failed;
    assert_int_equal(runcmd_check("bash tests/check-install.sh build 2>&1", &ok, &failed), 0);
    assert_int_equal(failed, 0);
    assert_int_equal(ok, 9);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_install)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
