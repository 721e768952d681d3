/* test_data_cli.c — `chemvae ingest` and `chemvae vocab` end to end: runs $BUILD/chemvae
 * (BUILD from the environment, default "build") and checks exit codes and stdout: the
 * corrupted fixture's counts in --json, the reject file, --help, usage errors (exit 2),
 * missing input and zero usable rows (exit 1), --format csv|json against the default and
 * --json, vocab build/show/tokenize. */
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

/* Runs `chemvae ARGS` (ARGS already shell-quoted) in the temp directory; returns the exit
 * code and the malloc'd stdout in *out (may be NULL). stderr is discarded. */
static int run(const char *args, char **out) {
    int rc = runcmd_capturef(out, "cd '%s' && '%s' %s 2>/dev/null", g_dir, g_bin, args);
    assert_true(rc >= 0);
    return rc;
}

static int setup(void **state) {
    (void)state;
    if (runcmd_chemvae_path(g_bin, sizeof g_bin)) return -1;
    if (runcmd_mkdtemp(g_dir, sizeof g_dir, "cvdata")) return -1;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp tests/fixtures/zinc_corrupt.csv '%s/in.csv'", g_dir);
    if (system(cmd) != 0) return -1;
    snprintf(cmd, sizeof cmd, "printf 'smiles,logP\\nC1CC,1\\nCCO,x\\n' > '%s/bad.csv'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    return runcmd_rmtree(g_dir);
}

static void test_ingest_cli(void **state) {
    (void)state;
    char *out;
    assert_int_equal(run("ingest in.csv --json -j 2", &out), 0);
    assert_non_null(
        strstr(out, "\"rows\": 50, \"accepted\": 31, \"rejected\": 17, \"duplicates\": 2"));
    assert_non_null(strstr(out, "\"output\": \"in.cvds\""));
    assert_non_null(strstr(out, "\"too_long\": 1"));
    free(out);
    /* default reject file next to the output: a header + one record per reject (records
     * may span lines, so count record starts: lines beginning with a digit) */
    char path[128], line[4096];
    snprintf(path, sizeof path, "%s/in.rejects.csv", g_dir);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    int records = 0;
    while (fgets(line, sizeof line, fp))
        if (line[0] >= '1' && line[0] <= '9' && strchr(line, ',') && strchr(line, ',') - line < 8)
            records++;
    fclose(fp);
    assert_int_equal(records, 17);
    assert_int_equal(run("vocab show in.cvds", &out), 0);
    assert_true(strncmp(out, "id,token\n0,<pad>\n1,<start>\n2,<end>\n3,<unk>\n", 42) == 0);
    free(out);
    assert_int_equal(run("ingest in.csv -o sub/dir/x.cvds --rejects r.csv", &out), 0);
    assert_non_null(strstr(out, "rows,accepted,rejected,duplicates"));
    assert_non_null(strstr(out, ",50,31,17,2,"));
    free(out);
    assert_int_equal(run("ingest --help", &out), 0);
    assert_non_null(strstr(out, "--max-len"));
    free(out);
    assert_int_equal(run("ingest in.csv --split 1,2", NULL), 2);
    assert_int_equal(run("ingest in.csv -T 1", NULL), 2);
    assert_int_equal(run("ingest in.csv --bogus", NULL), 2);
    assert_int_equal(run("ingest", NULL), 2);
    assert_int_equal(run("ingest in.csv --unk", NULL), 2);
    assert_int_equal(run("ingest missing.csv", NULL), 1);
    assert_int_equal(run("ingest bad.csv", NULL), 1);
    assert_int_equal(run("ingest in.csv --vocab missing.vocab", NULL), 1);
}

/* Removes ingest's timing from its stdout (the value of JSON's "seconds", the CSV row's 7th
 * field), the one thing that differs between two runs on the same input. */
static void drop_seconds(char *out) {
    char *p = strstr(out, "\"seconds\": ");
    if (p) {
        p += strlen("\"seconds\": ");
    } else { /* the CSV: the 7th field of the row after the header line */
        p = strchr(out, '\n');
        for (int k = 0; p && k < 6; k++) p = strchr(p + 1, ',');
        assert_non_null(p);
        p++;
    }
    size_t n = strspn(p, "0123456789.e+-");
    memmove(p, p + n, strlen(p + n) + 1);
}

/* ingest --format csv|json: csv is the default output, json what --json prints (but for the
 * seconds); another format is a usage error naming the two. */
static void test_ingest_format(void **state) {
    (void)state;
    static const char *const opts[] = {"", "--format csv", "--json", "--format json"};
    char *out[4], cmd[128];
    for (size_t i = 0; i < 4; i++) {
        snprintf(cmd, sizeof cmd, "ingest in.csv -o f.cvds -j 1 %s", opts[i]);
        assert_int_equal(run(cmd, &out[i]), 0);
        drop_seconds(out[i]);
    }
    assert_non_null(strstr(out[0], "input,output,rows,accepted,rejected,duplicates,seconds,"));
    assert_non_null(strstr(out[0], "\nin.csv,f.cvds,50,31,17,2,,"));
    assert_string_equal(out[1], out[0]);
    assert_non_null(strstr(out[2], "\"duplicates\": 2, \"seconds\": , \"rejects_by_kind\""));
    assert_string_equal(out[3], out[2]);
    for (size_t i = 0; i < 4; i++) free(out[i]);
    char *err;
    assert_true(runcmd_capturef(&err, "cd '%s' && '%s' ingest in.csv -o g.cvds --format xml 2>&1",
                                g_dir, g_bin) == 2);
    assert_non_null(strstr(err, "--format expects csv or json, got 'xml'"));
    free(err);
}

static void test_vocab_cli(void **state) {
    (void)state;
    char *out;
    assert_int_equal(run("vocab build in.csv -o v.vocab", &out), 0);
    assert_non_null(strstr(out, "v.vocab,"));
    free(out);
    assert_int_equal(run("vocab show v.vocab", &out), 0);
    assert_non_null(strstr(out, "\n4,"));
    free(out);
    assert_int_equal(run("vocab tokenize 'C[C@@H](Cl)Br' 'c1cc[nH]c1'", &out), 0);
    assert_string_equal(out, "C [C@@H] ( Cl ) Br\nc 1 c c [nH] c 1\n");
    free(out);
    assert_int_equal(run("vocab tokenize --vocab v.vocab 'CCl'", &out), 0);
    assert_non_null(strstr(out, "C="));
    free(out);
    /* a dataset ingested with this vocabulary carries the same vocabulary */
    assert_int_equal(run("ingest in.csv -o w.cvds --vocab v.vocab --json", &out), 0);
    free(out);
    char *a, *b;
    assert_int_equal(run("vocab show v.vocab", &a), 0);
    assert_int_equal(run("vocab show w.cvds", &b), 0);
    assert_string_equal(a, b);
    free(a);
    free(b);
    assert_int_equal(run("vocab tokenize 'C[C'", NULL), 1);
    assert_int_equal(run("vocab frobnicate", NULL), 2);
    assert_int_equal(run("vocab build in.csv", NULL), 2);
    assert_int_equal(run("vocab show missing.vocab", NULL), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest_cli),
        cmocka_unit_test(test_ingest_format),
        cmocka_unit_test(test_vocab_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
