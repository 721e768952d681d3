/* app_metrics.h — the metrics job: MOSES's distribution metrics of generated molecules
 * (Polykovskiy et al. 2020; molecularsets/moses, moses/metrics/metrics.py and utils.py),
 * computed natively with MOSES's definitions, step by step as its get_all_metrics:
 *   valid      share of the generated strings RDKit parses (MOSES's get_mol; an empty string
 *              is not a molecule); the valid ones are replaced by their canonical SMILES and
 *              parsed again (MOSES's remove_invalid, then get_mol): every metric below is
 *              of those molecules, duplicates kept;
 *   unique@K   distinct canonical SMILES among the first K of them / min(K, their number),
 *              K = 1,000 and 10,000; with fewer than K molecules all of them, as MOSES
 *              (which warns: so does a note here);
 *   IntDiv1/2  1 - mean_i (mean_j T(i,j)^p)^(1/p), p = 1, 2, over all pairs i, j (i = j
 *              included), T the Tanimoto of Morgan fingerprints (radius 2, 1024 bits); two
 *              empty fingerprints count 1 (MOSES's NaN -> 1);
 *   Filters    share passing MOSES's mol_passes_filters (chem.h cv_chem_mol_filters: ring
 *              size, charges, allowed atoms, MOSES's MCF SMARTS, RDKit's PAINS catalog,
 *              which differs from MOSES's PAINS file in 16 of 480 SMARTS);
 *   novelty    (with train) distinct canonical SMILES not among the training molecules'
 *              (canonicalized first) / distinct canonical SMILES;
 *   SNN        (with test) mean over the molecules of the highest T to a test molecule;
 *   Frag, Scaf (with test) cosine similarity of the BRICS-fragment counts (cv_chem_mol_brics)
 *              / Bemis-Murcko-scaffold counts (cv_chem_mol_scaffold, scaffolds of >= 2
 *              rings only) of the molecules and of the test molecules; NaN when either side
 *              has none;
 *   logP, SA, QED, weight (with test): the Wasserstein-1 distance between the values of the
 *              molecules and of the test molecules (scipy's wasserstein_distance).
 * Test molecules are parsed as given (MOSES's get_mol); a test or training string that is not
 * a molecule is left out (with a note). A valid molecule whose canonical SMILES does not
 * parse again (MOSES would stop on it) is left out after `valid`, with a note.
 * Not computed: FCD, which needs ChemNet's trained weights (no Debian package ships them;
 * a note says so), and MOSES's second test set TestSF.
 * tests/metrics_reference.py is the same definitions in Python RDKit (tests/check-metrics.sh
 * compares them). Nothing is recorded in a results DB. */
#ifndef CHEMVAE_APP_METRICS_H
#define CHEMVAE_APP_METRICS_H

#include <stddef.h>

#include "chemvae/app/app_eval.h"
#include "chemvae/app/app_params.h"

typedef struct {
    const char *gen;        /* the generated molecules: a file of one string a line, a SMILES
                               file, an SDF or a CSV (cv_read_smiles_column) */
    const char *train;      /* the same kinds of file, NULL-able: novelty */
    const char *test;       /* NULL-able: SNN, Frag, Scaf and the Wasserstein distances */
    const char *smiles_col; /* the SMILES column of CSV inputs (NULL: "smiles", else the
                               first column) */
    int threads;            /* RDKit workers; 0: every CPU */
} CvMetricsConfig;

/* train, test, smiles-col, threads (the file of generated molecules is the caller's
 * operand). */
extern const CvParamTable cv_metrics_params;

/* The molecules of cv_metrics_compute, in memory (borrowed). */
typedef struct {
    const char *const *gen; /* (n_gen) generated strings; NULL or "": not a molecule */
    size_t n_gen;
    const char *const *train; /* (n_train) NULL: no novelty */
    size_t n_train;
    int train_canonical;     /* train holds RDKit canonical SMILES already (a dataset's):
                                compared as they are, not parsed */
    const char *const *test; /* (n_test) NULL: no test metrics */
    size_t n_test;
    int threads; /* RDKit workers; 0: every CPU */
} CvMetricsInput;

enum {
    CV_METRICS_MAX = 16,
    CV_METRICS_NOTES = CV_EVAL_NOTES,
    CV_METRICS_NOTE_LEN = CV_EVAL_NOTE_LEN
};

typedef struct {
    CvEvalMetric metrics[CV_METRICS_MAX]; /* in the order of the list above; those of test /
                                             train only when given */
    size_t n_metrics;
    size_t n_gen, n_valid;  /* generated strings, valid ones */
    size_t n_used;          /* molecules the metrics after `valid` are of */
    size_t n_test, n_train; /* test / training molecules used */
    /* What a reader of the numbers should know (FCD, unique@K over fewer than K, strings
     * left out, why molecules fail the filters), one line each without a line end. */
    char notes[CV_METRICS_NOTES][CV_METRICS_NOTE_LEN];
    size_t n_notes;
} CvMetricsResult;

/* The metrics of in->gen against in->train / in->test. CV_ERR_INVALID when gen is empty,
 * CV_ERR_CHEM naming a molecule RDKit parsed but could not score, CV_ERR_NOMEM. */
CvStatus cv_metrics_compute(const CvMetricsInput *in, CvMetricsResult *res, CvError *err);

/* Reads the files of c and runs cv_metrics_compute. CV_ERR_IO / CV_ERR_PARSE naming a file
 * that cannot be read or holds no string, and cv_metrics_compute's errors. */
CvStatus cv_metrics(const CvMetricsConfig *c, CvMetricsResult *res, CvError *err);

#endif
