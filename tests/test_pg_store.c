/* test_pg_store.c — the PostgreSQL results store end to end (tests/check-pg.sh, on a
 * throwaway PostgreSQL 15 cluster the script starts with pg_virtualenv and drops at the
 * end): the same sample run gives the same `query top`, `similar` and `runs` in SQLite and
 * PostgreSQL; `db copy` from SQLite into PostgreSQL prints byte for byte what the file does
 * (and `report` writes the same page but for the database's name),
 * and several files copy into one DB with their runs summed and molecules merged; four
 * concurrent writers into one DB store what each stores alone; the RDKit cartridge's
 * mol/mfp columns are filled and its substructure search finds what has_substruct() does
 * for 20 SMARTS; `query` cannot write, and a role granted only SELECT reads through it.
 * Skipped without a PostgreSQL 15 server or its RDKit cartridge (the script prints a
 * "skip:" line), and under AddressSanitizer (libpq's and the server tools' allocations
 * would be reported). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/runcmd.h"

/* The "ok   " lines tests/check-pg.sh prints when every check passes. */
enum { PG_CHECKS = 9 };

static void test_pg_checks(void **state) {
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip();
#endif
    size_t ok, failed, skipped;
    int rc = runcmd_check_script("tests/check-pg.sh", &ok, &failed, &skipped);
    if (rc == 0 && !failed && ok == 0 && skipped) skip();
    assert_int_equal(rc, 0);
    assert_int_equal(failed, 0);
    assert_int_equal(ok, PG_CHECKS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pg_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
