/* test_chem.c — the chem module on hand-picked molecules and bad input: validity rules,
 * canonical SMILES, scores against Python RDKit values, Morgan/Tanimoto, SMARTS, SVG.
 * Reference numbers were printed by Python RDKit 2022.09 (Descriptors.MolWt,
 * Crippen.MolLogP, QED.qed, sascorer.calculateScore, TanimotoSimilarity of
 * GetMorganFingerprintAsBitVect(m, 2, 2048)); the fingerprints' bits come from
 * tests/fixtures/morgan_fp.tsv (make-similarity-fixtures.py). Bulk exactness:
 * test_chem_zinc.c. */
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

static int setup(void **state) {
    (void)state;
    cv_chem_log_rdkit(0);
    return 0;
}

static void test_invalid_inputs(void **state) {
    (void)state;
    const char *bad[] = {
        "",
        "C1CC",
        "Xx",
        "C(C",
        "[C",
        "c1cccc1",
        "CC)C",
        "C1CC2",
        "\x01\x02\xff",
        " ",
        "\n     RDKit          2D\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\n"
        "    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\nM  END\n",
        "{\"commonchem\":{\"version\":10}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cv_chem_is_valid(bad[i]), 0);
        assert_null(cv_chem_canonical(bad[i]));
        ChemScores s;
        char *can = (char *)"untouched";
        assert_int_equal(cv_chem_score_smiles(bad[i], &s, &can), 0);
        assert_null(can);
        assert_true(s.qed == 0 && s.sa == 0 && s.num_atoms == 0);
    }
    assert_int_equal(cv_chem_is_valid(NULL), 0);
    assert_null(cv_chem_mol_from_smiles(NULL));
    cv_chem_mol_free(NULL);
}

static void test_long_inputs(void **state) {
    (void)state;
    /* 100 kB: over CHEM_MAX_SMILES, refused without being parsed. */
    size_t n = 100000;
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, 'C', n);
    s[n] = '\0';
    assert_int_equal(cv_chem_is_valid(s), 0);
    /* A long but accepted chain parses, canonicalises and scores. */
    s[CHEM_MAX_SMILES + 1] = '\0';
    assert_int_equal(cv_chem_is_valid(s), 0);
    s[300] = '\0';
    ChemScores sc;
    char *can = NULL;
    assert_int_equal(cv_chem_score_smiles(s, &sc, &can), 1);
    assert_string_equal(can, s);
    assert_int_equal(sc.num_atoms, 300);
    free(can);
    free(s);
}

static void test_canonical(void **state) {
    (void)state;
    char *c = cv_chem_canonical("OCC");
    assert_string_equal(c, "CCO");
    free(c);
    c = cv_chem_canonical("C1=CC=CC=C1");
    assert_string_equal(c, "c1ccccc1");
    free(c);
    ChemMol *m = cv_chem_mol_from_smiles("C1CCCCCCC1CC");
    assert_non_null(m);
    assert_int_equal(cv_chem_mol_num_atoms(m), 10);
    assert_int_equal(cv_chem_mol_largest_ring(m), 8);
    cv_chem_mol_free(m);
}

/* Ring stereo (two or more stereocentres on one ring) against Python RDKit: the canonical
 * SMILES must keep Python's tags (tests/fixtures/ring_stereo.tsv). */
static void test_canonical_ring_stereo(void **state) {
    (void)state;
    FILE *f = fopen("tests/fixtures/ring_stereo.tsv", "r");
    assert_non_null(f);
    char line[4096];
    size_t n = 0, differ = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || !strncmp(line, "smiles\t", 7)) continue;
        line[strcspn(line, "\r\n")] = 0;
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = 0;
        char *c = cv_chem_canonical(line);
        assert_non_null(c);
        if (strcmp(c, tab + 1)) {
            fprintf(stderr, "  %s: chemvae %s, Python RDKit %s\n", line, c, tab + 1);
            differ++;
        }
        free(c);
        n++;
    }
    fclose(f);
    assert_true(n >= 100);
    assert_int_equal(differ, 0);
}

static void test_scores_known(void **state) {
    (void)state;
    static const struct {
        const char *smiles;
        double mw, logp, qed, sa;
    } ref[] = {
        {"CCO", 46.069, -0.0014000000000000123, 0.40680796565539457, 1.9802570386349831},
        {"c1ccccc1", 78.11399999999999, 1.6866, 0.4426283718993647, 1.0},
        {"CC(=O)Oc1ccccc1C(=O)O", 180.15899999999996, 1.3101, 0.5501217966938848,
         1.580039750008826},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        ChemScores s;
        char *can = NULL;
        assert_int_equal(cv_chem_score_smiles(ref[i].smiles, &s, &can), 1);
        assert_non_null(can);
        assert_true(fabs(s.mw - ref[i].mw) < 1e-9);
        assert_true(fabs(s.logp - ref[i].logp) < 1e-9);
        assert_true(fabs(s.qed - ref[i].qed) < 1e-9);
        assert_true(fabs(s.sa - ref[i].sa) < 1e-9);
        assert_true(fabs(s.penalized_logp - (s.logp - s.sa)) < 1e-12); /* no ring > 6 */
        free(can);
    }
    /* Ring penalty: cyclooctane's largest ring is 8, penalty 2. */
    ChemScores s;
    assert_int_equal(cv_chem_score_smiles("C1CCCCCCC1", &s, NULL), 1);
    assert_int_equal(s.largest_ring, 8);
    assert_true(fabs(s.penalized_logp - (s.logp - s.sa - 2)) < 1e-12);
}

static void test_tanimoto(void **state) {
    (void)state;
    assert_true(fabs(cv_chem_tanimoto_smiles("CCO", "CCN") - 0.3333333333333333) < 1e-12);
    assert_true(fabs(cv_chem_tanimoto_smiles("c1ccccc1O", "c1ccccc1N") - 0.375) < 1e-12);
    assert_true(fabs(cv_chem_tanimoto_smiles("CC(=O)Oc1ccccc1C(=O)O", "OC(=O)c1ccccc1O") -
                     0.4482758620689655) < 1e-12);
    assert_true(cv_chem_tanimoto_smiles("CCO", "CCO") == 1.0);
    assert_true(cv_chem_tanimoto_smiles("CCO", "C1CC") == -1.0);
    assert_true(cv_chem_tanimoto_smiles("Xx", "CCO") == -1.0);
    uint64_t w[16];
    ChemMol *m = cv_chem_mol_from_smiles("CCO");
    CvError err;
    assert_int_equal(cv_chem_mol_morgan(m, 1000, w, &err), CV_ERR_INVALID);
    assert_int_equal(cv_chem_mol_morgan(m, 1024, w, &err), CV_OK);
    cv_chem_mol_free(m);
}

/* Fingerprints against Python RDKit's bits (tests/fixtures/morgan_fp.tsv, written by
 * make-similarity-fixtures.py): cv_chem_morgan_fp sets exactly GetOnBits() of
 * GetMorganFingerprintAsBitVect(m, 2, 2048), bit i in byte i/8 at bit i%8, and
 * cv_chem_mol_morgan packs the same bits into words. */
static void test_morgan_fp_matches_python(void **state) {
    (void)state;
    FILE *f = fopen("tests/fixtures/morgan_fp.tsv", "r");
    assert_non_null(f);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    size_t rows = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *bits = strchr(line, '\t');
        assert_non_null(bits);
        *bits++ = '\0';
        unsigned char want[CHEM_FP_BYTES] = {0}, got[CHEM_FP_BYTES];
        int nbits = 0;
        for (char *p = bits; *p; p += *p == ',') {
            long b = strtol(p, &p, 10);
            assert_true(b >= 0 && b < CHEM_FP_BITS);
            want[b / 8] |= (unsigned char)(1u << (b % 8));
            nbits++;
        }
        ChemMol *m = cv_chem_mol_from_smiles(line);
        assert_non_null(m);
        assert_int_equal(cv_chem_morgan_fp(m, got, NULL), CV_OK);
        if (memcmp(got, want, sizeof got)) fail_msg("fingerprint of %s differs", line);
        assert_int_equal(cv_chem_fp_count(got), nbits);
        uint64_t words[CHEM_FP_BITS / 64];
        assert_int_equal(cv_chem_mol_morgan(m, CHEM_FP_BITS, words, NULL), CV_OK);
        for (int i = 0; i < CHEM_FP_BITS; i++)
            assert_int_equal((int)(words[i / 64] >> (i % 64) & 1), got[i / 8] >> (i % 8) & 1);
        cv_chem_mol_free(m);
        assert_int_equal(cv_chem_smiles_fp(line, got), 1);
        assert_memory_equal(got, want, sizeof got);
        rows++;
    }
    fclose(f);
    assert_int_equal(rows, 520);
    unsigned char fp[CHEM_FP_BYTES];
    memset(fp, 0xff, sizeof fp);
    assert_int_equal(cv_chem_smiles_fp("C1CC", fp), 0);
    assert_int_equal(cv_chem_fp_count(fp), 0);
}

/* Bits in common over bits in either, counted one bit at a time. */
static double naive_tanimoto(const unsigned char *a, const unsigned char *b) {
    int both = 0, either = 0;
    for (int i = 0; i < CHEM_FP_BITS; i++) {
        int x = a[i / 8] >> (i % 8) & 1, y = b[i / 8] >> (i % 8) & 1;
        both += x && y;
        either += x || y;
    }
    return either ? (double)both / either : 0.0;
}

/* The popcount kernel against the definition: random densities, unaligned storage, empty
 * fingerprints, and the bulk call equal to single calls; RDKit's value for a known pair. */
static void test_fp_tanimoto_kernel(void **state) {
    (void)state;
    enum { N = 200 };
    unsigned char *store = malloc(N * CHEM_FP_BYTES + 1), *fps = store + 1; /* unaligned */
    unsigned char q[CHEM_FP_BYTES];
    double out[N];
    assert_non_null(store);
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i <= N; i++) {
        unsigned char *fp = i < N ? fps + i * CHEM_FP_BYTES : q;
        int density = i % 9; /* 0: empty .. 8: full */
        for (int j = 0; j < CHEM_FP_BYTES; j++) {
            unsigned char byte = 0;
            for (int k = 0; k < 8; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                byte |= (unsigned char)(((int)(x % 8) < density) << k);
            }
            fp[j] = byte;
        }
    }
    cv_chem_fp_tanimoto_many(q, fps, N, out);
    for (int i = 0; i < N; i++) {
        const unsigned char *fp = fps + i * CHEM_FP_BYTES;
        assert_true(out[i] == naive_tanimoto(q, fp));
        assert_true(cv_chem_fp_tanimoto(q, fp) == out[i]);
        assert_true(cv_chem_fp_tanimoto(fp, fp) == (cv_chem_fp_count(fp) ? 1.0 : 0.0));
    }
    free(store);
    unsigned char a[CHEM_FP_BYTES], b[CHEM_FP_BYTES];
    assert_int_equal(cv_chem_smiles_fp("CC(=O)Oc1ccccc1C(=O)O", a), 1);
    assert_int_equal(cv_chem_smiles_fp("OC(=O)c1ccccc1O", b), 1);
    assert_true(fabs(cv_chem_fp_tanimoto(a, b) - 0.4482758620689655) < 1e-15);
    assert_true(cv_chem_fp_tanimoto(a, b) ==
                cv_chem_tanimoto_smiles("CC(=O)Oc1ccccc1C(=O)O", "OC(=O)c1ccccc1O"));
}

static void test_substruct(void **state) {
    (void)state;
    assert_int_equal(cv_chem_has_substruct("CC(=O)Oc1ccccc1C(=O)O", "c1ccccc1"), 1);
    assert_int_equal(cv_chem_has_substruct("CC(=O)Oc1ccccc1C(=O)O", "[CX3](=O)[OX2H1]"), 1);
    assert_int_equal(cv_chem_has_substruct("CCO", "c1ccccc1"), 0);
    assert_int_equal(cv_chem_has_substruct("CCO", "[C"), -1);
    assert_int_equal(cv_chem_has_substruct("CCO", ""), -1);
    assert_int_equal(cv_chem_has_substruct("C1CC", "C"), -1);
}

/* ChemQuery against Python RDKit's HasSubstructMatch: 500 ZINC molecules x 22 SMARTS
 * (tests/fixtures/substruct.tsv, from make-substruct-fixture.py). */
static void test_query_matches_python(void **state) {
    (void)state;
    FILE *f = fopen("tests/fixtures/substruct.tsv", "r");
    assert_non_null(f);
    ChemQuery *q[32];
    size_t nq = 0, mols = 0, checked = 0;
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] == 'q') {
            assert_true(nq < 32);
            q[nq] = cv_chem_query_new(line + 2);
            assert_non_null(q[nq]);
            nq++;
        } else if (line[0] == 'm') {
            char *bits = line + 2, *smiles = strchr(bits, '\t');
            assert_non_null(smiles);
            *smiles++ = 0;
            assert_int_equal(strlen(bits), nq);
            for (size_t k = 0; k < nq; k++) {
                int want = bits[k] == '1', got = cv_chem_query_match(q[k], smiles);
                if (got != want)
                    fprintf(stderr, "query %zu on %s: %d, Python %d\n", k, smiles, got, want);
                assert_int_equal(got, want);
                checked++;
            }
            mols++;
        }
    }
    fclose(f);
    assert_int_equal(mols, 500);
    assert_int_equal(checked, 500 * nq);
    assert_int_equal(cv_chem_query_match(q[0], "C1CC"), -1);
    for (size_t k = 0; k < nq; k++) cv_chem_query_free(q[k]);
    assert_null(cv_chem_query_new("[C"));
    assert_null(cv_chem_query_new(""));
    assert_null(cv_chem_query_new(NULL));
    cv_chem_query_free(NULL);
}

static void test_svg(void **state) {
    (void)state;
    char *svg = cv_chem_svg("c1ccccc1O", 200, 150);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "<svg"));
    assert_non_null(strstr(svg, "</svg>"));
    assert_true(strlen(svg) > 500);
    free(svg);
    assert_null(cv_chem_svg("C1CC", 200, 150));
    assert_null(cv_chem_svg("CCO", 0, 150));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_matches_python),
        cmocka_unit_test(test_invalid_inputs),
        cmocka_unit_test(test_long_inputs),
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_canonical_ring_stereo),
        cmocka_unit_test(test_scores_known),
        cmocka_unit_test(test_tanimoto),
        cmocka_unit_test(test_morgan_fp_matches_python),
        cmocka_unit_test(test_fp_tanimoto_kernel),
        cmocka_unit_test(test_substruct),
        cmocka_unit_test(test_svg),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
