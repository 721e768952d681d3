/* app_eval.h — the eval job: a model's quality on a split of a dataset from `chemvae ingest`
 * (cv_eval_run_beam and cv_eval_stochastic, evaluate.h; definitions in README "Evaluating"):
 * reconstruction of the split's molecules, validity / uniqueness / novelty / internal
 * diversity of decodes of prior samples, and the property head's MAE, as named metrics;
 * unless switched off, MOSES's metrics (app_metrics.h) of the prior decodes against the
 * dataset's test split (its train split for novelty), as moses_<name>.
 *
 * Recorded (CvHooks.db): every metric in eval_metrics (a value that is not a number too, as
 * NULL), then the run is marked ok, or failed after an error. The job runs as one block:
 * CvHooks.progress and interrupted are not called. */
#ifndef CHEMVAE_APP_EVAL_H
#define CHEMVAE_APP_EVAL_H

#include <stdio.h>

#include "chemvae/app/app.h"
#include "chemvae/app/app_model.h"
#include "chemvae/data/dataset.h"
#include "chemvae/model/evaluate.h"

typedef struct {
    const char *data;  /* the dataset (.cvds); its vocabulary and length must be the model's */
    int split;         /* CV_SPLIT_TEST / VALID / TRAIN */
    size_t n;          /* at most n split molecules reconstructed (0 = all) */
    size_t samples;    /* prior samples z ~ N(0, I) decoded */
    int beam;          /* reconstruction by a beam of this width (1 = greedy; up to the
                          model's batch) */
    size_t stochastic; /* JT-VAE's stochastic reconstruction on the first N split
                          molecules (0 = not run) */
    uint64_t seed;     /* of the prior samples and the stochastic protocol */
    int no_moses;      /* 1: no MOSES metrics (moses_*) */
} CvEvalConfig;

#define CV_EVAL_DEFAULTS                                                                           \
    { .split = CV_SPLIT_TEST, .samples = 1000, .beam = 1, .seed = 1 }

/* The job's parameters (app_params.h) over CvEvalConfig: data, split, n, samples, beam,
 * stochastic, seed, no-moses. */
extern const CvParamTable cv_eval_params;

/* Checks a config before any work: the model's batch (CvModelOptions.batch, or a loaded
 * model's vae.max_B) >= 1, data set, a split that exists, beam in 1..batch. CV_ERR_INVALID
 * with a message naming the parameter as the command line spells it ("--data"). */
CvStatus cv_eval_check(const CvEvalConfig *c, size_t batch, CvError *err);

/* 16 of the eval job's own, 16 of MOSES's (CV_METRICS_MAX), the rest by class and property. */
enum { CV_EVAL_MAX_METRICS = 32 + SMILES_FAIL_COUNT + CKPT_MAX_PROPS };
enum { CV_EVAL_NOTES = 8, CV_EVAL_NOTE_LEN = 200 };

typedef struct {
    char name[48];
    double v;
} CvEvalMetric;

typedef struct {
    EvalReport report;
    /* The metrics in their order: reconstruction, recon_molecules, recon_tanimoto,
     * [recon_stochastic, recon_stochastic_molecules,] validity, uniqueness, novelty, int_div,
     * prior_samples, fail_<class> for each failure class, mae_<property> for each of the
     * model's properties, then (without no_moses) moses_<name> for each of MOSES's metrics
     * in app_metrics.h's order (moses_valid, moses_unique@1000, ..., moses_weight). */
    CvEvalMetric metrics[CV_EVAL_MAX_METRICS];
    size_t n_metrics;
    /* MOSES's notes (CvMetricsResult.notes): FCD, unique@K over fewer than K, filters. */
    char notes[CV_EVAL_NOTES][CV_EVAL_NOTE_LEN];
    size_t n_notes;
} CvEvalResult;

/* Loads cfg->data and evaluates model m on it. CV_ERR_INVALID for a config out of range,
 * CV_ERR_MISMATCH for a dataset of another vocabulary or length, I/O, store and memory
 * errors as they come (the hooks' run is then marked failed). */
CvStatus cv_eval(CvModel *m, const CvEvalConfig *cfg, const CvHooks *h, CvEvalResult *res,
                 CvError *err);

/* Writes metrics[0..n) to fp as metric,value rows, or with `json` as one JSON object (names
 * escaped; a metric without a value, NaN, as null); values as %.6g. */
void cv_eval_metrics_write(FILE *fp, const CvEvalMetric *metrics, size_t n, int json);

/* The name of a CV_SPLIT_* value ("train", "valid", "test") and its inverse (-1: unknown). */
const char *cv_eval_split_name(int split);
int cv_eval_split_parse(const char *name);
/* A parameter type for an int CV_SPLIT_* field, read and recorded by name. */
extern const CvParamType CV_PARAM_SPLIT;

#endif
