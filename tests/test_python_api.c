/* test_python_api.c — the Python package's model calls (chemvae.encode, decode, sample,
 * optimize, interpolate) against the command line, through tests/check-python-api.sh: the
 * same vectors, messages, decodes, sampled, optimized and interpolated molecules for the
 * same input, options and seed, and the default model found as the command line finds it
 * (and beside the library in an installed layout). Skipped on sanitizer builds (BUILD
 * other than "build"): Python cannot load their library without the sanitizer runtime
 * preloaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/runcmd.h"

static void test_python_api(void **state) {
    (void)state;
    const char *build = getenv("BUILD");
    if (build && strcmp(build, "build") != 0) skip();
    size_t ok, failed;
    assert_int_equal(runcmd_check("bash tests/check-python-api.sh build 2>&1", &ok, &failed), 0);
    assert_int_equal(failed, 0);
    assert_int_equal(ok, 6);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_python_api)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
