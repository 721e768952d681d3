/* app_metrics.h — the metrics job: MOSES's distribution metrics of a file of generated
 * molecules (Polykovskiy et al. 2020, molecularsets/moses metrics.py), computed natively
 * with MOSES's definitions:
 *   valid      share of the generated strings RDKit parses (an empty line is not read);
 *   unique@K   distinct canonical SMILES among the first K valid ones / min(K, valid), for
 *              K = 1,000 and 10,000 (fewer valid molecules than K: all of them, as MOSES);
 *   IntDiv1/2  1 - mean_i (mean_j T(i,j)^p)^(1/p) over the valid molecules, duplicates kept
 *              and i = j included, T the Tanimoto of Morgan fingerprints (radius 2, 1024
 *              bits; two empty ones count 1, as MOSES's NaN -> 1);
 *   novelty    (with train) distinct valid molecules not in the train set / distinct valid;
 *   SNN        (with test) mean over the valid molecules of the highest T to a test molecule;
 *   logP, SA, QED, weight (with test): the Wasserstein-1 distance between the values of the
 *              valid molecules and of the test molecules (scipy's wasserstein_distance).
 * Not computed: FCD (needs the ChemNet weights, which no Debian package ships), and MOSES's
 * Frag, Scaf and Filters (BRICS fragments, Bemis-Murcko scaffolds, the MCF/PAINS lists).
 * The reference implementation of the same definitions in Python RDKit is
 * tests/metrics_reference.py. Nothing is recorded in a results DB. */
#ifndef CHEMVAE_APP_METRICS_H
#define CHEMVAE_APP_METRICS_H

#include <stddef.h>

#include "chemvae/app/app_eval.h"
#include "chemvae/app/app_params.h"

typedef struct {
    const char *gen;   /* the generated molecules: lines, a SMILES file, an SDF or a CSV with a
                          smiles column (cv_read_smiles_csv) */
    const char *train; /* the same kinds of file, NULL-able: novelty */
    const char *test;  /* NULL-able: SNN and the Wasserstein distances */
} CvMetricsConfig;

/* train, test (the file of generated molecules is the caller's operand). */
extern const CvParamTable cv_metrics_params;

enum { CV_METRICS_MAX = 16 };

typedef struct {
    CvEvalMetric metrics[CV_METRICS_MAX]; /* in the order of the list above */
    size_t n_metrics;
    size_t n_gen, n_valid; /* strings read, valid ones */
} CvMetricsResult;

/* Runs the job. CV_ERR_IO / CV_ERR_PARSE naming a file that cannot be read or holds no
 * molecule, CV_ERR_NOMEM. */
CvStatus cv_metrics(const CvMetricsConfig *c, CvMetricsResult *res, CvError *err);

#endif
