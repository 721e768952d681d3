/* app_sample.h — the sample job: N latent vectors from the prior N(0, I) or around an
 * encoded molecule (mu + radius·N(0, I)), K decodes each (cv_latent_decode), every decode
 * validated and scored by RDKit; the distinct valid molecules, with counts, novelty
 * against a dataset's train split and similarity to the centre molecule.
 *
 * Recorded (CvHooks.db): EVERY decode in `generations` (method "sample", step = index of
 * its latent vector, source "prior" or the canonical centre SMILES, z, the head's
 * predictions, similarity to the centre), each distinct valid molecule in `molecules`,
 * and the counts as the run's metrics. Vectors go in chunks of CV_SAMPLE_CHUNK, one
 * transaction each, so memory stays bounded and a killed job keeps whole chunks.
 *
 * With a scorer (app_scorer.h), the distinct valid molecules of each chunk not scored before
 * go to it in one invocation; its values are recorded in `scores` after the chunk's
 * generations, and rank the rows cv_sample_write prints. */
#ifndef CHEMVAE_APP_SAMPLE_H
#define CHEMVAE_APP_SAMPLE_H

#include "chemvae/app/app.h"
#include "chemvae/app/app_model.h"
#include "chemvae/app/app_rows.h"
#include "chemvae/app/app_scorer.h"

enum { CV_SAMPLE_CHUNK = 256 };

typedef struct {
    size_t n;                 /* latent vectors (>= 1) */
    size_t attempts;          /* decodes per vector (>= 1) */
    double temperature;       /* first decode: 0 = greedy, > 0 samples softmax(logits/T) */
    double retry_temperature; /* decodes 2..attempts */
    uint64_t seed;
    const char *around; /* SMILES to sample around (its mu + radius·N(0, I)); NULL: prior */
    double radius;
    int beam;               /* the first decode as a beam of this width (1..model max batch) */
    int rescue;             /* invalid greedy decodes decoded again by a beam (1 = off) */
    const char *train_data; /* .cvds: unique molecules not in its train split are novel */
    const char *scorer;     /* an external scorer's command (app_scorer.h), or NULL */
    double scorer_timeout;  /* seconds per scorer invocation; 0: no limit */
} CvSampleConfig;

#define CV_SAMPLE_DEFAULTS                                                                         \
    {                                                                                              \
        .n = 100, .attempts = 1, .retry_temperature = 1.0, .seed = 1, .radius = 1.0, .beam = 1,    \
        .rescue = CV_DEFAULT_RESCUE, .scorer_timeout = CV_SCORER_TIMEOUT                           \
    }

/* The job's parameters (app_params.h): n, around, radius, attempts, temperature,
 * retry-temperature, seed, beam, rescue, data, scorer, scorer-timeout. */
extern const CvParamTable cv_sample_params;

typedef struct {
    LatentUniq uniq;      /* distinct valid molecules in order of first appearance
                           * (entry.first = decode index; / attempts = vector index) */
    unsigned char *novel; /* (uniq.n) 1 = not in the train split; NULL without train_data */
    double *similarity;   /* (uniq.n) Tanimoto to the centre; NULL without around */
    char *around;         /* the centre's canonical SMILES, or NULL */
    size_t n_done;        /* latent vectors decoded (< n when interrupted) */
    size_t n_decodes, n_valid, n_novel;
    size_t failures[SMILES_FAIL_COUNT];
    int interrupted; /* what CvHooks.interrupted returned, or 0 */
    double *score;   /* (uniq.n) the scorer's value of each (NaN: none); NULL without one */
    size_t scorer_calls;
} CvSampleResult;

/* Runs the job on model m (its batch size bounds cfg->beam). CV_ERR_INVALID for a config
 * out of range or an `around` SMILES the model cannot encode; the scorer's errors (naming
 * its command), I/O, store and memory errors as they come. *res is filled in either case (free with
 * cv_sample_result_free); a run in h->db is finished (ok / interrupted) or marked failed. */
CvStatus cv_sample(CvModel *m, const CvSampleConfig *cfg, const CvHooks *h, CvSampleResult *res,
                   CvError *err);
void cv_sample_result_free(CvSampleResult *res);

/* The distinct valid molecules of r in order of first appearance as rows on fp (app_rows.h):
 * smiles,count,first_index (the latent vector),mw,logp,qed,sa,penalized_logp, then
 * similarity (with --around), novel (with a dataset) and score (with a scorer: the rows
 * then go best score first, molecules without one last, ties in order of appearance). */
void cv_sample_write(const CvSampleConfig *c, const CvSampleResult *r, FILE *fp,
                     CvRowsFormat format);

/* The summary for a person on fp, as `chemvae sample` prints it on stderr: a line saying how
 * far an interrupted job got, then vectors x attempts = decodes, valid and unique (with
 * percentages), novel (with a dataset), the failure classes (cv_failures_write) and the
 * scorer's runs (with one). The last line is left open (no newline): the caller ends it,
 * e.g. with where the run was recorded. */
void cv_sample_summary(const CvSampleConfig *c, const CvSampleResult *r, FILE *fp);

#endif
