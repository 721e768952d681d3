/* test_molfile_cli.c — SMILES files and SDF as inputs, end to end ($BUILD/chemvae, BUILD
 * from the environment, default "build"), on tests/fixtures/mols50.{smi,sdf}: the same 50
 * ZINC molecules plus one broken record, as a SMILES file (the dataset's SMILES as written)
 * and as an SDF written by Python RDKit (2D coordinates, wedges, V2000 and V3000 records,
 * logP/qed/SAS data items; make-molfile-fixtures.py):
 *   - `score` and `encode` print the same bytes for both (score: the records' names;
 *     encode: their canonical SMILES); the broken record is a row (score: valid=0; encode:
 *     skipped) with a message naming its line and record number;
 *   - `ingest` keeps the same molecules from both, the SDF's data items are its columns
 *     (--props reads them: equal to the values computed for the SMILES file), a record
 *     without "M  END" is a `record` reject and the rest of the file goes on;
 *   - `ingest --standardize` (and --tautomer) keeps exactly rdMolStandardize's parents of
 *     tests/fixtures/standardize.tsv and counts the rows it changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/chem/chem.h"
#include "chemvae/core/fileio.h"
#include "chemvae/data/dataset.h"
#include "support/runcmd.h"

static char g_dir[64], g_bin[600], g_root[400];

/* Runs `chemvae ARGS` in the temp directory (FIX = the fixtures directory, MODEL = the
 * shipped model); returns the exit code and the malloc'd stdout in *out (NULL-able); stderr
 * goes to the file err.txt. */
static int run(char **out, const char *args) {
    int rc = runcmd_capturef(out,
                             "cd '%s' && FIX='%s/tests/fixtures' && "
                             "MODEL='%s/results/models/zinc24k-small.cvae' && '%s' %s 2>err.txt",
                             g_dir, g_root, g_root, g_bin, args);
    assert_true(rc >= 0);
    return rc;
}

/* The malloc'd contents of a file of the temp directory. */
static char *slurp(const char *name) {
    char path[256], *data;
    size_t n;
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    assert_int_equal(cv_read_file(path, &data, &n, NULL), CV_OK);
    return data;
}

static void load(CvDataset *ds, const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    assert_int_equal(cv_dataset_load(ds, path, NULL), CV_OK);
}

static int setup(void **state) {
    (void)state;
    if (!getcwd(g_root, sizeof g_root) || runcmd_chemvae_path(g_bin, sizeof g_bin)) return -1;
    return runcmd_mkdtemp(g_dir, sizeof g_dir, "cvmolfile");
}

static int teardown(void **state) {
    (void)state;
    return runcmd_rmtree(g_dir);
}

static void test_score_same(void **state) {
    (void)state;
    char *smi, *sdf, *err;
    assert_int_equal(run(&smi, "score --input \"$FIX/mols50.smi\" -j 2"), 0);
    assert_int_equal(run(&sdf, "score --input \"$FIX/mols50.sdf\""), 0);
    err = slurp("err.txt");
    assert_string_equal(smi, sdf);
    assert_int_equal(runcmd_count(sdf, "\n"), 52);
    assert_true(!strncmp(sdf, "input,valid,canonical_smiles,", 29));
    assert_non_null(strstr(sdf, "\nzinc24k-2,1,CCN(Cc1ccc(OC)c(OC)c1)C(=O)c1ccsc1,305.399000,"));
    assert_non_null(strstr(sdf, "\nbroken,0,,,,,,\n"));
    assert_int_equal(runcmd_count(sdf, ",1,"), 50);
    assert_non_null(strstr(err, "mols50.sdf line 1652: record 26 (broken): RDKit cannot read"));
    free(err);
    free(smi);
    /* the format from the option (stdin); a column is CSV's */
    assert_int_equal(run(&smi, "score --input-format sdf < \"$FIX/mols50.sdf\""), 0);
    assert_string_equal(smi, sdf);
    free(smi);
    free(sdf);
    /* a SMILES file without names: each row by its SMILES */
    char path[128];
    snprintf(path, sizeof path, "%s/plain.txt", g_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("CCO\n\n C1CC\n", f);
    fclose(f);
    assert_int_equal(run(&smi, "score --input-format smi < plain.txt"), 0);
    const char *want = "input,valid,canonical_smiles,mw,logp,qed,sa,penalized_logp\n"
                       "CCO,1,CCO,46.069000,";
    assert_true(!strncmp(smi, want, strlen(want)));
    assert_non_null(strstr(smi, ",-1.981657\nC1CC,0,,,,,,\n"));
    free(smi);
    assert_int_equal(
        run(NULL, "score --input \"$FIX/mols50.sdf\" --input-format smi --smiles-col x"), 1);
    assert_int_equal(run(NULL, "score --input-format sdf CCO"), 2);
    assert_int_equal(run(NULL, "score --input-format mol2 -i x"), 2);
}

static void test_encode_same(void **state) {
    (void)state;
    char *smi, *sdf, *err;
    /* exit 1: the broken record */
    assert_int_equal(run(&smi, "encode -m \"$MODEL\" --input \"$FIX/mols50.smi\""), 1);
    assert_int_equal(run(&sdf, "encode -m \"$MODEL\" --input \"$FIX/mols50.sdf\" --batch 7"), 1);
    err = slurp("err.txt");
    assert_string_equal(smi, sdf);
    assert_int_equal(runcmd_count(sdf, "\n"), 51);
    assert_non_null(strstr(sdf, "\nCCN(Cc1ccc(OC)c(OC)c1)C(=O)c1ccsc1,"));
    assert_non_null(strstr(err, "mols50.sdf line 1652: record 26 (broken): RDKit cannot read"));
    free(err);
    free(smi);
    free(sdf);
    assert_int_equal(run(NULL, "encode --input-format csv -i x.csv"), 2);
}

/* The SMILES of dataset rows, one a line, sorted. */
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
static void sorted_smiles(const CvDataset *ds, const char **out) {
    for (size_t i = 0; i < ds->n; i++) out[i] = ds->smiles + ds->smiles_off[i];
    qsort(out, ds->n, sizeof *out, cmp_str);
}

static void test_ingest_same(void **state) {
    (void)state;
    char *out;
    assert_int_equal(run(&out, "ingest \"$FIX/mols50.sdf\" -o sdf.cvds --props logP,qed,SAS "
                               "--split 1,0,0 --json"),
                     0);
    assert_non_null(strstr(out, "\"rows\": 51, \"accepted\": 50, \"rejected\": 1"));
    assert_non_null(strstr(out, "\"invalid_smiles\": 1"));
    free(out);
    out = slurp("sdf.rejects.csv");
    assert_non_null(
        strstr(out, "\n1652,invalid_smiles,record 26: RDKit cannot read its molblock,broken\n"));
    free(out);
    assert_int_equal(run(NULL, "ingest \"$FIX/mols50.smi\" -o smi.cvds --split 1,0,0"), 0);
    CvDataset a, b;
    load(&a, "sdf.cvds");
    load(&b, "smi.cvds");
    assert_int_equal(a.n, 50);
    assert_int_equal(b.n, 50);
    assert_int_equal(a.P, 3);
    assert_int_equal(b.P, 3);
    const char *sa[50], *sb[50];
    sorted_smiles(&a, sa);
    sorted_smiles(&b, sb);
    for (size_t i = 0; i < 50; i++) assert_string_equal(sa[i], sb[i]);
    /* the data items read (Python's values) are the values computed for the SMILES file */
    for (size_t i = 0; i < a.n * a.P; i++)
        if (fabsf(a.props[i] - b.props[i]) > 1e-5f * (1 + fabsf(b.props[i])))
            fail_msg("property %zu: %g from the SDF, %g computed", i, a.props[i], b.props[i]);
    cv_dataset_free(&a);
    cv_dataset_free(&b);
}

/* A record without "M  END" and one without a property item are reported; the others go in. */
static void test_ingest_sdf_records(void **state) {
    (void)state;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && sed -n '1,/^\\$\\$\\$\\$/p' '%s/tests/fixtures/mols50.sdf' > a.sdf && "
             "printf 'no molblock\\nhere\\n$$$$\\n' >> a.sdf && "
             "awk 'r == 1 { print } /^[$][$][$][$]$/ { r++ }' '%s/tests/fixtures/mols50.sdf' | "
             "sed '/^> <qed>/,/^$/d' >> a.sdf",
             g_dir, g_root, g_root);
    assert_int_equal(system(cmd), 0);
    char *out;
    assert_int_equal(run(&out, "ingest a.sdf --props logP,qed --json"), 0);
    assert_non_null(strstr(out, "\"rows\": 3, \"accepted\": 1, \"rejected\": 2"));
    free(out);
    out = slurp("a.rejects.csv");
    assert_non_null(strstr(out, ",record,record 2: no 'M  END' line in the record,no molblock\n"));
    assert_non_null(strstr(out, ",missing_property,missing qed,zinc24k-482\n"));
    free(out);
    assert_int_equal(run(NULL, "ingest a.sdf --no-canonical"), 1);
}

/* The sorted unique values of column `col` of standardize.tsv (cut into strings in place)
 * into out, their count; *changed: rows whose canonical input differs from the column. */
static size_t fixture_column(char *tsv, size_t col, const char **out, size_t *changed) {
    size_t n = 0;
    *changed = 0;
    for (char *line = strchr(tsv, '\n') + 1, *end; *line; line = end + 1) {
        end = strchr(line, '\n');
        *end = '\0';
        char *f[3] = {line, strchr(line, '\t') + 1, NULL};
        f[2] = strchr(f[1], '\t') + 1;
        f[1][-1] = f[2][-1] = '\0';
        char *can = cv_chem_canonical(f[0]);
        *changed += strcmp(can, f[col]) != 0;
        free(can);
        out[n++] = f[col];
    }
    qsort(out, n, sizeof *out, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || strcmp(out[u - 1], out[i])) out[u++] = out[i];
    return u;
}

static void check_standardized(const char *option, size_t col) {
    char *out, *tsv, path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/standardize.tsv", g_root);
    assert_int_equal(cv_read_file(path, &tsv, &(size_t){0}, NULL), CV_OK);
    const char *want[256], *got[256];
    size_t changed, n = fixture_column(tsv, col, want, &changed);
    char args[512];
    snprintf(args, sizeof args,
             "ingest \"$FIX/standardize.tsv\" --smiles-col input -o std.cvds --props none "
             "--compute none --split 1,0,0 --json %s",
             option);
    assert_int_equal(run(&out, args), 0);
    char count[64];
    snprintf(count, sizeof count, "\"standardized\": %zu,", changed);
    assert_non_null(strstr(out, count));
    free(out);
    CvDataset ds;
    load(&ds, "std.cvds");
    assert_int_equal(ds.n, n);
    sorted_smiles(&ds, got);
    for (size_t i = 0; i < n; i++) assert_string_equal(got[i], want[i]);
    cv_dataset_free(&ds);
    free(tsv);
}

static void test_ingest_standardize(void **state) {
    (void)state;
    cv_chem_log_rdkit(0);
    check_standardized("--standardize", 1);
    check_standardized("--tautomer", 2);
    char *err;
    assert_int_equal(run(NULL, "ingest \"$FIX/standardize.tsv\" --smiles-col input -o s.cvds "
                               "--standardize"),
                     0);
    err = slurp("err.txt");
    assert_non_null(strstr(err, "  standardization changed "));
    free(err);
    assert_int_equal(run(NULL, "ingest \"$FIX/mols50.smi\" --standardize --no-canonical"), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_same),         cmocka_unit_test(test_encode_same),
        cmocka_unit_test(test_ingest_same),        cmocka_unit_test(test_ingest_sdf_records),
        cmocka_unit_test(test_ingest_standardize),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
