/* chem_sa.c — synthetic accessibility score (Ertl & Schuffenhauer 2009) exactly as
 * rdkit-data's Contrib/SA_Score/sascorer.py (calculateScore) computes it.
 *
 * fragment score = mean over the radius-2 unfolded Morgan environments (with counts) of
 * their fragment contribution (-4 when unknown); complexity = size, stereo, spiro,
 * bridgehead and macrocycle penalties; a symmetry correction when there are fewer
 * distinct environments than atoms; the raw sum is scaled to 1 (easy) .. 10 (hard).
 *
 * The fragment table (705,292 ids, 3,549 distinct contributions) is generated at build
 * time from fpscores.pkl.gz by deps/gen-fpscores.py into build/.../chem_fpscores.c:
 * ids ascending, a uint16 index into the distinct values per id (about 4 MB of read-only
 * data, no start-up cost). A lookup is a binary search. Environments arrive from
 * cv_chem_rd_morgan_counts in ascending id order, the order sascorer.py sums them in. */
#include <math.h>
#include <stdlib.h>

#include "chem_internal.h"

extern const size_t cv_chem_fpscore_count;
extern const uint32_t cv_chem_fpscore_ids[];
extern const uint16_t cv_chem_fpscore_index[];
extern const double cv_chem_fpscore_values[];

/* sascorer: _fscores.get(id, -4). */
static double sa_fragment_score(uint32_t id) {
    size_t lo = 0, hi = cv_chem_fpscore_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cv_chem_fpscore_ids[mid] < id) lo = mid + 1;
        else hi = mid;
    }
    if (lo < cv_chem_fpscore_count && cv_chem_fpscore_ids[lo] == id)
        return cv_chem_fpscore_values[cv_chem_fpscore_index[lo]];
    return -4;
}

#define SA_STACK_FRAGMENTS 256

CvStatus cv_chem_sa_compute(const ChemRdMol *m, const ChemRdDescriptors *d, double *sa,
                            CvError *err) {
    uint32_t stack_ids[SA_STACK_FRAGMENTS], stack_counts[SA_STACK_FRAGMENTS];
    uint32_t *ids = stack_ids, *counts = stack_counts, *heap = NULL;
    CvStatus st = CV_OK;
    long nfp = cv_chem_rd_morgan_counts(m, 2, ids, counts, SA_STACK_FRAGMENTS);
    if (nfp > SA_STACK_FRAGMENTS) {
        heap = malloc((size_t)nfp * 2 * sizeof *heap);
        if (!heap) return cv_error_set(err, CV_ERR_NOMEM, "SA score: %ld fragments", nfp);
        ids = heap;
        counts = heap + nfp;
        if (cv_chem_rd_morgan_counts(m, 2, ids, counts, (size_t)nfp) != nfp) nfp = -1;
    }
    if (nfp < 0) {
        st = cv_error_set(err, CV_ERR_CHEM, "SA score: RDKit Morgan fingerprint failed");
        goto done;
    }
    if (nfp == 0) {
        st = cv_error_set(err, CV_ERR_CHEM, "SA score: molecule without atoms");
        goto done;
    }

    double score1 = 0;
    long nf = 0;
    for (long i = 0; i < nfp; i++) {
        nf += counts[i];
        score1 += sa_fragment_score(ids[i]) * counts[i];
    }
    score1 /= nf;

    int n_atoms = d->num_atoms;
    double size_penalty = pow(n_atoms, 1.005) - n_atoms;
    double stereo_penalty = log10(d->chiral_centers + 1);
    double spiro_penalty = log10(d->spiro + 1);
    double bridge_penalty = log10(d->bridgeheads + 1);
    double macrocycle_penalty = 0;
    if (d->macrocycles > 0) macrocycle_penalty = log10(2);
    double score2 =
        0. - size_penalty - stereo_penalty - spiro_penalty - bridge_penalty - macrocycle_penalty;
    double score3 = 0;
    if (n_atoms > nfp) score3 = log((double)n_atoms / nfp) * .5;

    double s = score1 + score2 + score3;
    const double lo = -4.0, hi = 2.5;
    s = 11. - (s - lo + 1) / (hi - lo) * 9.;
    if (s > 8.) s = 8. + log(s + 1. - 9.);
    if (s > 10.) s = 10.0;
    else if (s < 1.) s = 1.0;
    *sa = s;
done:
    free(heap);
    return st;
}
