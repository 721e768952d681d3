/* app_optimize.h — the optimize job: gradient ascent on the property head in latent space
 * (cv_latent_optimize) from encoded start molecules and/or random z, for an objective parsed
 * from text (cv_latent_objective_parse: "plogp", "qed", "5*qed-sa", ...), with every decoded
 * molecule scored by RDKit and the JT-VAE constrained-optimization bookkeeping per start.
 *
 * The job's parameters are described once in cv_optimize_params (app_params.h): the
 * command line's options and the Python package's keyword arguments. cv_optimize_check
 * validates a config without a model (messages name the options as the command line spells
 * them).
 *
 * Two calls: cv_optimize_prepare binds the objective to the model's head and resolves the
 * starts (encodes the molecules, picks the best of a dataset, draws the random z) without
 * recording anything, so a caller can refuse bad inputs before it begins a run and store
 * the number of starts with it; cv_optimize then runs the ascent (preparing first itself
 * when the caller did not).
 *
 * The objective may name any property the head predicts (latent_objective.h). Scores, the
 * "true" values that rank the molecules and make success and improvement: an external
 * scorer's (`scorer`, app_scorer.h: the head guides the ascent, the scorer judges every
 * start and valid decode, each distinct molecule once, one invocation per decode point;
 * negated when minimizing), else the objective from RDKit; with a head property RDKit
 * cannot compute and no scorer there are none: scores, improvement and success are empty
 * (NaN), and each start's best molecule is the one decoded where the head's objective was
 * highest (latent_optimize.h).
 *
 * Recorded (CvHooks.db): every decode along every path in `generations` (method "optimize",
 * step, source = the canonical start SMILES or "random", z, the head's predictions with its
 * objective value, Tanimoto similarity to the start), one transaction per decode point, the
 * scorer's values in `scores` (after each decode point's generations), and the summary as
 * the run's metrics (decodes, valid, best_found, mean_improvement, sd_improvement,
 * success_rate, starts; scorer_calls, scorer_molecules with a scorer). */
#ifndef CHEMVAE_APP_OPTIMIZE_H
#define CHEMVAE_APP_OPTIMIZE_H

#include "chemvae/app/app.h"
#include "chemvae/app/app_model.h"
#include "chemvae/app/app_rows.h"
#include "chemvae/app/app_scorer.h"
#include "chemvae/latent/latent_objective.h"
#include "chemvae/latent/latent_optimize.h"
#include "chemvae/core/rng.h"

/* SMILES given one by one (the repeatable "start" parameter), borrowed. */
typedef struct {
    const char **smiles; /* (n) */
    size_t n;
    size_t cap; /* > 0: the array was allocated by cv_params_set ("start"), which appends to a
                 * caller's array (cap 0) by copying it; cv_optimize_config_free frees it */
} CvSmilesList;

typedef struct {
    const char *objective; /* cv_latent_objective_parse text */
    int minimize;          /* minimize the objective instead of maximizing it */
    /* starts, combinable, in this order: the molecules, the file's, the best of a dataset,
     * random z */
    CvSmilesList start;      /* start molecules; each must encode (else the job fails) */
    const char *starts_file; /* CSV (its SMILES column), SMILES file or SDF
                              * (cv_read_smiles_csv); a molecule of the file (or of
                              * from_data) the model cannot encode is skipped
                              * (res->skipped) */
    size_t limit;            /* the first `limit` rows of starts_file (0: all) */
    const char *from_data;   /* .cvds: its `top` best train molecules by the true objective */
    size_t top;
    size_t random; /* starts z ~ N(0, I) */
    /* the ascent (cv_latent_optimize.h) */
    size_t steps;
    double lr, prior, trust_radius;
    size_t decode_every;
    size_t decodes;        /* per z at each decode point: greedy + decodes-1 sampled */
    double temperature;    /* of the sampled decodes */
    int beam;              /* the greedy decode as a beam of this width (0 or 1: plain) */
    int rescue;            /* invalid greedy decodes decoded again by a beam (1 = off) */
    double delta;          /* similarity threshold of a counted molecule in [0, 1]; -1: none */
    uint64_t seed;         /* the random starts, then the sampled decodes */
    const char *scorer;    /* an external scorer's command (app_scorer.h), or NULL */
    double scorer_timeout; /* seconds per scorer invocation; 0: no limit */
} CvOptimizeConfig;

/* The ascent's defaults are cv_latent_opt_config_default's. */
#define CV_OPTIMIZE_DEFAULTS                                                                       \
    {                                                                                              \
        .objective = "plogp", .top = 10, .steps = 100, .lr = 0.3, .prior = 0.01,                   \
        .decode_every = 5, .decodes = 8, .temperature = 0.7, .beam = 1,                            \
        .rescue = CV_DEFAULT_RESCUE, .delta = -1.0, .seed = 1, .scorer_timeout = CV_SCORER_TIMEOUT \
    }
/* CV_OPTIMIZE_DEFAULTS as data (for callers without the C preprocessor: Python). */
extern const CvOptimizeConfig cv_optimize_defaults;

/* The job's parameters: objective, minimize, start (repeatable), starts (starts_file), limit,
 * from-data, top, random, steps, lr, prior, trust-radius, decode-every, decodes,
 * temperature, constrained (delta), beam, rescue, seed, scorer, scorer-timeout. Not
 * recorded by cv_params_config:
 * objective and minimize (a run stores the objective as the job reads it: res->objective),
 * start and seed (a run stores its seed). */
extern const CvParamTable cv_optimize_params;

/* Validates c without a model: some start, lr > 0, prior, trust radius and temperature
 * >= 0, decode_every and decodes >= 1, delta in [0, 1] or -1, top >= 1 with from_data,
 * rescue in range, a non-empty scorer command, scorer_timeout >= 0, then the objective's
 * syntax. CV_ERR_INVALID (CV_ERR_PARSE for the
 * objective) with a message naming the command line's option. */
CvStatus cv_optimize_check(const CvOptimizeConfig *c, CvError *err);

/* Frees what cv_params_set allocated in c (the start list when its cap > 0); c's strings
 * stay the caller's. */
void cv_optimize_config_free(CvOptimizeConfig *c);

typedef struct {
    /* cv_optimize_prepare */
    char objective[LATENT_OBJECTIVE_TEXT]; /* normalized, "-(...)" when minimized */
    size_t n;                              /* starts: molecules first, then the random ones */
    char **start_smiles;                   /* (n) canonical start molecule, NULL when random */
    float *start_z;                        /* (n, Z) the start latent vectors */
    char **skipped;                        /* (n_skipped) why each skipped start was skipped */
    size_t n_skipped;
    /* cv_optimize */
    LatentOptResult *per_start; /* (n) cv_latent_optimize's bookkeeping of each start */
    size_t decoded, valid;      /* decodes over all starts, and the valid ones */
    double best_found;          /* best true objective of any valid decode; NaN: none */
    size_t best_start;          /* the start whose best_any_smiles that is; SIZE_MAX: none */
    size_t n_mol, n_success;    /* start molecules (not random), and their successes */
    double mean_improvement, sd_improvement; /* over the start molecules; NaN without */
    int interrupted;                         /* what CvHooks.interrupted returned, or 0 */
    size_t interrupted_step;                 /* the decode point it stopped at (not recorded) */
    /* internal */
    size_t cap;
    CvRng rng; /* the seed's stream after the random starts: the sampled decodes */
    int prepared;
    /* cv_optimize_prepare */
    int has_true; /* 1: molecules have scores (a scorer, or RDKit computes the objective) */
    /* cv_optimize, with a scorer */
    size_t scorer_calls, scorer_molecules; /* invocations, distinct molecules scored */
} CvOptimizeResult;

/* Checks cfg (cv_optimize_check), binds the objective to m's property head and resolves
 * cfg's starts into *res (overwritten). CV_ERR_PARSE for an objective that does not parse,
 * CV_ERR_INVALID for one the head does not predict, for a start molecule the model cannot
 * encode, or a config out of range; CV_ERR_EMPTY when no start is left; I/O (starts_file,
 * from_data) and memory errors as they come. Nothing is recorded. Free *res with
 * cv_optimize_result_free in either case. */
CvStatus cv_optimize_prepare(CvModel *m, const CvOptimizeConfig *cfg, CvOptimizeResult *res,
                             CvError *err);

/* Runs the job on model m. *res is zero-initialized, or prepared by cv_optimize_prepare with
 * the same m and cfg; errors as cv_optimize_prepare's, then decoding, store and memory
 * errors. When the hooks' interrupted() asks, the job stops at the next decode point and
 * returns CV_OK with res->interrupted set; res->per_start then holds what was found so far
 * (head_end NaN), counting that decode point, which is not recorded. A run in h->db is
 * finished (ok with the metrics, or interrupted without) or marked failed. Free *res with
 * cv_optimize_result_free. */
CvStatus cv_optimize(CvModel *m, const CvOptimizeConfig *cfg, const CvHooks *h,
                     CvOptimizeResult *res, CvError *err);
void cv_optimize_result_free(CvOptimizeResult *res);

/* One row per start of r on fp (app_rows.h), the columns CV_OPTIMIZE_COLUMNS: the start
 * and its score, the best molecule found and its, the improvement, similarity to the start,
 * success, the step it was found at, the head's objective at the start and the end, the
 * decodes and the valid ones. Scores, improvement and success are empty without scores. */
#define CV_OPTIMIZE_COLUMNS                                                                        \
    "start,start_smiles,start_score,best_smiles,best_score,improvement,similarity,success,"        \
    "best_step,head_start,head_end,decoded,valid"
void cv_optimize_write(const CvOptimizeResult *r, FILE *fp, CvRowsFormat format);

/* The summary for a person, on fp: a line saying why there are no scores when there are
 * none, then "chemvae optimize: objective ..., N starts, ...: decodes, valid, best found,
 * improvement and success over the start molecules[, the scorer's calls]" without its line
 * end (a front end adds where the run is stored). */
void cv_optimize_summary(const CvOptimizeConfig *c, const CvOptimizeResult *r, FILE *fp);

#endif
