/* test_score_cli.c — `chemvae score` end to end ($BUILD/chemvae, BUILD from the
 * environment, default "build"): rows in input order with valid=0 for bad input (empty
 * line, 100 kB line, binary garbage, unclosed ring or bracket, molblock text), CSV input
 * by column name with quoted multi-line fields, stdin, --threads 2 identical to 1, CSV
 * quoting of odd inputs, exit codes (unreadable input and missing column 1, usage 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/runcmd.h"

static char g_dir[64], g_bin[600];

/* Runs `chemvae score ARGS` in the temp directory; returns the exit code and the malloc'd
 * stdout in *out (may be NULL). stderr is discarded. */
static int score(const char *args, char **out) {
    int rc = runcmd_capturef(out, "cd '%s' && '%s' score %s 2>/dev/null", g_dir, g_bin, args);
    assert_true(rc >= 0);
    return rc;
}

static void write_file(const char *name, const char *data, size_t n) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* The `valid` field of every data row, as a string of '0'/'1' (rows are one line each
 * here: inputs without quotes, commas or newlines). */
static void valid_flags(const char *csv, char *flags, size_t cap) {
    const char *line = strchr(csv, '\n') + 1;
    size_t k = 0;
    while (*line && k + 1 < cap) {
        const char *comma = strchr(line, ',');
        assert_non_null(comma);
        flags[k++] = comma[1];
        line = strchr(line, '\n');
        assert_non_null(line);
        line++;
    }
    flags[k] = '\0';
}

static int setup(void **state) {
    (void)state;
    if (runcmd_chemvae_path(g_bin, sizeof g_bin)) return -1;
    return runcmd_mkdtemp(g_dir, sizeof g_dir, "cvscore");
}

static int teardown(void **state) {
    (void)state;
    return runcmd_rmtree(g_dir);
}

static void test_arguments(void **state) {
    (void)state;
    char *out;
    assert_int_equal(score("'CC(=O)Oc1ccccc1C(=O)O' C1CC OCC", &out), 0);
    const char *want =
        "input,valid,canonical_smiles,mw,logp,qed,sa,penalized_logp\n"
        "CC(=O)Oc1ccccc1C(=O)O,1,CC(=O)Oc1ccccc1C(=O)O,180.159000,1.310100,0.550122,1.580040,"
        "-0.269940\n"
        "C1CC,0,,,,,,\n"
        "OCC,1,CCO,46.069000,-0.001400,0.406808,1.980257,-1.981657\n";
    assert_string_equal(out, want);
    free(out);
}

static void test_bad_lines(void **state) {
    (void)state;
    /* valid, empty, 100 kB, garbage, unclosed ring, unclosed bracket, molblock line,
     * valid, a final line without newline */
    size_t big = 100000;
    char *data = malloc(big + 256);
    assert_non_null(data);
    size_t n = 0;
    n += (size_t)sprintf(data + n, "CCO\n\n");
    memset(data + n, 'C', big);
    n += big;
    data[n++] = '\n';
    memcpy(data + n, "\x01\xff\xfe\x7f\n", 5);
    n += 5;
    n += (size_t)sprintf(data + n, "C1CC(=O)N\n[C@H\n  1  0  0  0  0  0  0  0  0  0999 V2000\n"
                                   "c1ccccc1\nCCN");
    write_file("bad.txt", data, n);
    free(data);
    char *out, flags[32];
    assert_int_equal(score("--input bad.txt", &out), 0);
    valid_flags(out, flags, sizeof flags);
    assert_string_equal(flags, "100000011");
    free(out);
    /* the same through stdin */
    assert_int_equal(score("< bad.txt", &out), 0);
    valid_flags(out, flags, sizeof flags);
    assert_string_equal(flags, "100000011");
    free(out);
}

static void test_csv_column(void **state) {
    (void)state;
    /* chemical_vae style: SMILES quoted with a newline inside the quotes */
    const char *csv = "logP,smiles,note\n"
                      "1.0,\"CCO\n\",\"a, b\"\n"
                      "2.0,\"C1CC\n\",x\n"
                      "3.0,c1ccccc1,\"multi\nline\"\n"
                      "4.0\n";
    write_file("in.csv", csv, strlen(csv));
    char *out;
    assert_int_equal(score("--input in.csv --smiles-col smiles", &out), 0);
    const char *want_rows[] = {"CCO,1,CCO,", "C1CC,0,,,,,,\n", "c1ccccc1,1,c1ccccc1,",
                               "\n,0,,,,,,\n"};
    const char *p = out;
    for (size_t i = 0; i < 4; i++) {
        const char *hit = strstr(p, want_rows[i]);
        if (!hit) fail_msg("row %zu '%s' missing after: %s", i, want_rows[i], p);
        p = hit + 1;
    }
    free(out);
    assert_int_equal(score("--smiles-col smiles < in.csv", &out), 0);
    assert_non_null(strstr(out, "c1ccccc1,1,c1ccccc1,"));
    free(out);
    assert_int_equal(score("--input in.csv --smiles-col SMILES", NULL), 1);
    assert_int_equal(score("--input missing.csv --smiles-col smiles", NULL), 1);
    assert_int_equal(score("--input missing.smi", NULL), 1);
}

static void test_threads_same_output(void **state) {
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "cut -f1 tests/fixtures/zinc500.tsv | sed -n 2,61p > '%s/m.smi' && "
             "printf 'C1CC\\nXx\\n\\n' >> '%s/m.smi'",
             g_dir, g_dir);
    assert_int_equal(system(cmd), 0);
    char *one, *two;
    assert_int_equal(score("--input m.smi", &one), 0);
    assert_int_equal(score("--input m.smi --threads 2", &two), 0);
    assert_string_equal(one, two);
    assert_non_null(strstr(one, "\nXx,0,,,,,,\n"));
    free(one);
    free(two);
}

static void test_quoting_and_usage(void **state) {
    (void)state;
    char *out;
    assert_int_equal(score("'C\"C,O'", &out), 0);
    assert_non_null(strstr(out, "\n\"C\"\"C,O\",0,,,,,,\n"));
    free(out);
    assert_int_equal(score("--help", &out), 0);
    assert_non_null(strstr(out, "usage: chemvae score"));
    free(out);
    assert_int_equal(score("--digits 2 CCO", &out), 0);
    assert_non_null(strstr(out, "\nCCO,1,CCO,46.07,-0.00,0.41,1.98,-1.98\n"));
    free(out);
    assert_int_equal(score("--digits 18 CCO", NULL), 2);
    assert_int_equal(score("--threads 0 CCO", NULL), 0); /* every CPU */
    assert_int_equal(score("--threads 300 CCO", NULL), 2);
    assert_int_equal(score("-t 2 CCO", NULL), 2); /* old spelling: names -j */
    assert_int_equal(score("--column smiles < in.csv", NULL), 2);
    /* an old spelling names the new one (the same options in every command) */
    const char *old[][2] = {{"score -c smiles", "-c is now called --smiles-col"},
                            {"score --column smiles", "--column is now called --smiles-col"},
                            {"score -t 2 CCO", "-t is now called -j / --threads"},
                            {"score -d 3 CCO", "-d is now called --digits"},
                            {"ingest -d , x.csv", "-d is now called --delimiter"},
                            {"vocab build -d , x.csv -o v", "-d is now called --delimiter"}};
    for (size_t i = 0; i < sizeof old / sizeof *old; i++) {
        assert_int_equal(runcmd_capturef(&out, "'%s' %s 2>&1", g_bin, old[i][0]), 2);
        assert_non_null(strstr(out, old[i][1]));
        free(out);
    }
    assert_int_equal(score("--threads x CCO", NULL), 2);
    assert_int_equal(score("--bogus", NULL), 2);
    assert_int_equal(score("--input a.smi CCO", NULL), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arguments),         cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_csv_column),        cmocka_unit_test(test_threads_same_output),
        cmocka_unit_test(test_quoting_and_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
