/* test_chem_zinc.c — chem against Python RDKit 2022.09 on committed fixtures
 * (tests/fixtures/make-chem-fixtures.py wrote them with Python RDKit as the oracle):
 *   zinc500.tsv: 500 ZINC molecules — logP, QED, SA within 1e-4 of zinc24k.csv's columns
 *                (measured: ~1e-12), MolWt, canonical SMILES identical, Tanimoto (Morgan
 *                r=2, 2048 bits) of consecutive rows within 1e-12;
 *   mutants.tsv: 600 damaged or odd SMILES — validity identical to MolFromSmiles' (and
 *                >= 1 atom), and for the valid ones logP, QED, SA within 1e-4;
 *   standardize.tsv (make-standardize-fixture.py): 203 charged ZINC molecules and salts —
 *                the canonical SMILES of the charge parent and of its canonical tautomer
 *                identical to rdMolStandardize's;
 *   moses_pieces.tsv (make-moses-fixtures.py): 1,325 ZINC, mutated, generated and odd
 *                molecules — BRICS fragments, Murcko scaffold and its ring count identical
 *                to Python's, and the verdict of MOSES's filters (the rule failed first)
 *                the same as tests/metrics_reference.py's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"

#define MAX_FIELDS 8

typedef struct {
    char *buf;     /* the whole file */
    char **fields; /* nrows * MAX_FIELDS pointers into buf */
    size_t nrows, nfields;
} Tsv;

/* Loads a tab-separated file with a header line; the last of `nfields` columns takes the
 * rest of the line (it may contain tabs). */
static void tsv_load(Tsv *t, const char *path, size_t nfields) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    t->buf = malloc((size_t)n + 1);
    assert_non_null(t->buf);
    assert_int_equal(fread(t->buf, 1, (size_t)n, f), (size_t)n);
    t->buf[n] = '\0';
    fclose(f);
    size_t lines = 0;
    for (long i = 0; i < n; i++) lines += t->buf[i] == '\n';
    t->fields = calloc(lines * MAX_FIELDS, sizeof *t->fields);
    assert_non_null(t->fields);
    t->nfields = nfields;
    t->nrows = 0;
    char *line = strchr(t->buf, '\n') + 1; /* skip the header */
    while (*line) {
        char *end = strchr(line, '\n');
        assert_non_null(end);
        *end = '\0';
        char **row = &t->fields[t->nrows * MAX_FIELDS];
        char *p = line;
        for (size_t k = 0; k < nfields; k++) {
            row[k] = p;
            if (k + 1 < nfields) {
                char *tab = strchr(p, '\t');
                assert_non_null(tab);
                *tab = '\0';
                p = tab + 1;
            }
        }
        t->nrows++;
        line = end + 1;
    }
}

static void tsv_free(Tsv *t) {
    free(t->buf);
    free(t->fields);
}

static void assert_close(double got, const char *want, double tol, const char *what,
                         const char *smiles) {
    double w = strtod(want, NULL);
    if (!(fabs(got - w) <= tol)) fail_msg("%s of '%s': %.12g, Python %.12g", what, smiles, got, w);
}

static int setup(void **state) {
    (void)state;
    cv_chem_log_rdkit(0);
    return 0;
}

static void test_zinc_exact(void **state) {
    (void)state;
    Tsv t;
    tsv_load(&t, "tests/fixtures/zinc500.tsv", 7);
    assert_int_equal(t.nrows, 500);
    for (size_t i = 0; i < t.nrows; i++) {
        char **r = &t.fields[i * MAX_FIELDS];
        ChemScores s;
        char *can = NULL;
        if (cv_chem_score_smiles(r[0], &s, &can) != 1) fail_msg("'%s' rejected", r[0]);
        assert_close(s.logp, r[1], 1e-4, "logP", r[0]);
        assert_close(s.qed, r[2], 1e-4, "QED", r[0]);
        assert_close(s.sa, r[3], 1e-4, "SA", r[0]);
        assert_close(s.mw, r[4], 1e-9, "MolWt", r[0]);
        if (strcmp(can, r[5]) != 0) fail_msg("canonical of '%s': %s, Python %s", r[0], can, r[5]);
        free(can);
        const char *next = t.fields[((i + 1) % t.nrows) * MAX_FIELDS];
        assert_close(cv_chem_tanimoto_smiles(r[0], next), r[6], 1e-12, "Tanimoto", r[0]);
    }
    tsv_free(&t);
}

static void test_mutants_validity(void **state) {
    (void)state;
    Tsv t;
    tsv_load(&t, "tests/fixtures/mutants.tsv", 5);
    assert_int_equal(t.nrows, 600);
    size_t nvalid = 0;
    for (size_t i = 0; i < t.nrows; i++) {
        char **r = &t.fields[i * MAX_FIELDS];
        int want = atoi(r[0]);
        ChemScores s;
        int got = cv_chem_score_smiles(r[4], &s, NULL);
        if (got != want) fail_msg("row %zu '%s': valid %d, Python %d", i + 2, r[4], got, want);
        assert_int_equal(cv_chem_is_valid(r[4]), want);
        if (!want) continue;
        nvalid++;
        assert_close(s.logp, r[1], 1e-4, "logP", r[4]);
        assert_close(s.qed, r[2], 1e-4, "QED", r[4]);
        assert_close(s.sa, r[3], 1e-4, "SA", r[4]);
    }
    assert_true(nvalid > 50 && nvalid < t.nrows - 50); /* both kinds are exercised */
    tsv_free(&t);
}

/* cv_chem_standardize against rdMolStandardize.ChargeParent and CanonicalTautomer (the
 * canonical SMILES Python writes for each); most rows change, so the fixture tests the
 * standardization, not only the parse. */
static void test_standardize_python(void **state) {
    (void)state;
    Tsv t;
    tsv_load(&t, "tests/fixtures/standardize.tsv", 3);
    assert_int_equal(t.nrows, 203);
    size_t changed = 0, tautomers = 0;
    for (size_t i = 0; i < t.nrows; i++) {
        char **r = &t.fields[i * MAX_FIELDS];
        char *parent = cv_chem_standardize(r[0], 0);
        char *taut = cv_chem_standardize(r[0], CHEM_STD_TAUTOMER);
        if (!parent || strcmp(parent, r[1]))
            fail_msg("charge parent of '%s': %s, Python %s", r[0], parent ? parent : "NULL", r[1]);
        if (!taut || strcmp(taut, r[2]))
            fail_msg("tautomer of '%s': %s, Python %s", r[0], taut ? taut : "NULL", r[2]);
        changed += strcmp(r[0], r[1]) != 0;
        tautomers += strcmp(r[1], r[2]) != 0;
        free(parent);
        free(taut);
    }
    assert_true(changed > 150 && tautomers > 20);
    assert_null(cv_chem_standardize("C1CC", 0));
    tsv_free(&t);
}

/* cv_chem_mol_brics, cv_chem_mol_scaffold and cv_chem_mol_filters against Python RDKit
 * (AllChem.FragmentOnBRICSBonds, MurckoScaffold.GetScaffoldForMol, MOSES's
 * mol_passes_filters); every filter rule is hit by some row. */
static void test_moses_pieces(void **state) {
    (void)state;
    Tsv t;
    tsv_load(&t, "tests/fixtures/moses_pieces.tsv", 5);
    assert_true(t.nrows > 1300);
    size_t verdicts[CHEM_FILTER_ERROR + 1] = {0};
    for (size_t i = 0; i < t.nrows; i++) {
        char **r = &t.fields[i * MAX_FIELDS];
        ChemMol *mol = cv_chem_mol_from_smiles(r[0]);
        if (!mol) fail_msg("'%s' rejected", r[0]);
        char *brics = cv_chem_mol_brics(mol);
        int rings = -1;
        char *scaf = cv_chem_mol_scaffold(mol, &rings);
        ChemFilterVerdict v = cv_chem_mol_filters(mol);
        if (!brics || strcmp(brics, r[1]))
            fail_msg("BRICS of '%s': %s, Python %s", r[0], brics ? brics : "NULL", r[1]);
        if (!scaf || strcmp(scaf, r[2]) || rings != atoi(r[3]))
            fail_msg("scaffold of '%s': %s (%d rings), Python %s (%s)", r[0], scaf ? scaf : "NULL",
                     rings, r[2], r[3]);
        if (strcmp(cv_chem_filter_name(v), r[4]))
            fail_msg("filters of '%s': %s, Python %s", r[0], cv_chem_filter_name(v), r[4]);
        verdicts[v]++;
        free(brics);
        free(scaf);
        cv_chem_mol_free(mol);
    }
    for (int v = CHEM_FILTER_PASS; v < CHEM_FILTER_SMILES; v++) assert_true(verdicts[v] > 0);
    tsv_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zinc_exact),
        cmocka_unit_test(test_mutants_validity),
        cmocka_unit_test(test_standardize_python),
        cmocka_unit_test(test_moses_pieces),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
