/* test_chem_threads.c — the chem module is reentrant: the same molecules scored in
 * several threads at once (parse, canonical SMILES via the C FFI's get_smiles, MW, logP,
 * QED, SA, plus Morgan/Tanimoto, SMARTS, SVG through the FFI and MolStandardize's charge
 * parent and canonical tautomer) give exactly the single-threaded results. This is the
 * test `chemvae score --threads` and `ingest --standardize` rely on. Each thread walks the
 * molecules from a different offset so that different molecules (and the same shared QED/Crippen
 * pattern tables) are in use at the same moment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"

#define NMOL 80
#define NTHREADS 4
#define ROUNDS 1

typedef struct {
    int valid;
    ChemScores s;
    char canonical[256];
    double tanimoto; /* with the next molecule */
    int substruct;   /* has a carbonyl */
    size_t svg_len;
    char standardized[256]; /* charge parent's canonical tautomer */
} Result;

static char *smiles[NMOL];
static size_t nmol;
static Result expected[NMOL];

typedef struct {
    int offset;
    int mismatches;
    char first[512];
} Worker;

static void score_one(size_t i, Result *r) {
    memset(r, 0, sizeof *r);
    char *can = NULL;
    r->valid = cv_chem_score_smiles(smiles[i], &r->s, &can);
    if (can) snprintf(r->canonical, sizeof r->canonical, "%s", can);
    free(can);
    r->tanimoto = cv_chem_tanimoto_smiles(smiles[i], smiles[(i + 1) % nmol]);
    r->substruct = cv_chem_has_substruct(smiles[i], "[CX3]=[OX1]");
    char *std = cv_chem_standardize(smiles[i], CHEM_STD_TAUTOMER);
    if (std) snprintf(r->standardized, sizeof r->standardized, "%s", std);
    free(std);
    if (i % 8 == 0) { /* depiction is slow: a sample */
        char *svg = cv_chem_svg(smiles[i], 150, 100);
        r->svg_len = svg ? strlen(svg) : 0;
        free(svg);
    }
}

static void *worker(void *arg) {
    Worker *w = arg;
    for (int round = 0; round < ROUNDS; round++) {
        for (size_t k = 0; k < nmol; k++) {
            size_t i = (k + (size_t)w->offset) % nmol;
            Result r;
            score_one(i, &r);
            if (memcmp(&r, &expected[i], sizeof r) != 0) {
                if (!w->mismatches++)
                    snprintf(w->first, sizeof w->first, "'%s': qed %.17g vs %.17g, '%s' vs '%s'",
                             smiles[i], r.s.qed, expected[i].s.qed, r.canonical,
                             expected[i].canonical);
            }
        }
    }
    return NULL;
}

static int setup(void **state) {
    (void)state;
    cv_chem_log_rdkit(0);
    FILE *f = fopen("tests/fixtures/zinc500.tsv", "r");
    if (!f) return -1;
    char line[4096];
    if (!fgets(line, sizeof line, f)) return -1; /* header */
    while (nmol < NMOL - 4 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\t\n")] = '\0';
        smiles[nmol++] = strdup(line);
    }
    fclose(f);
    /* a few invalid ones in the mix */
    smiles[nmol++] = strdup("C1CC");
    smiles[nmol++] = strdup("Xx");
    smiles[nmol++] = strdup("");
    smiles[nmol++] = strdup("Cc1n[nH]c(C)c1CCOC(=O)C1C[C@H](C)O[C@H](C)1C");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    for (size_t i = 0; i < nmol; i++) free(smiles[i]);
    return 0;
}

static void test_threads_match_single(void **state) {
    (void)state;
    for (size_t i = 0; i < nmol; i++) score_one(i, &expected[i]);
    assert_int_equal(expected[nmol - 1].valid, 0);
    assert_int_equal(expected[0].valid, 1);
    assert_true(expected[0].svg_len > 0);
    pthread_t tid[NTHREADS];
    Worker w[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        memset(&w[t], 0, sizeof w[t]);
        w[t].offset = t * (int)nmol / NTHREADS;
        assert_int_equal(pthread_create(&tid[t], NULL, worker, &w[t]), 0);
    }
    for (int t = 0; t < NTHREADS; t++) pthread_join(tid[t], NULL);
    for (int t = 0; t < NTHREADS; t++)
        if (w[t].mismatches)
            fail_msg("thread %d: %d mismatches, first %s", t, w[t].mismatches, w[t].first);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_threads_match_single)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
