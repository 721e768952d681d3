/* cv_latent_optimize.h — gradient ascent on the property head in latent space (README "Sampling",
 * "Optimizing"), with RDKit-true scoring of everything decoded along the way and the JT-VAE
 * constrained-optimization bookkeeping.
 *
 * For S starts z0 (S, Z) at once (batched through the head and the decoder):
 *   g = ∇_z [ head(z) − λ·½‖z‖² ]   with head(z) = the objective's head value (real units)
 *   z ← z + lr · g / ‖g‖            (normalized steps: each step moves lr in latent space)
 *   trust region r > 0: z ← z0 + r·(z − z0)/‖z − z0‖ whenever ‖z − z0‖ > r
 * At step 0, every decode_every steps and after the last step, every z is decoded
 * `opts.attempts` times (LatentDecodeOpts), every decoded string is validated and scored by
 * RDKit, and the sink (if any) receives the whole decode point (e.g. to store it).
 *
 * The score of a molecule (a start or a decode) is the judge's value when the config has a
 * judge (an external scorer), else the objective's true value from RDKit — NaN when the
 * objective names a head property RDKit cannot compute (cv_latent_objective_rdkit). Its
 * rank key is the score, except when there is no judge and no true value: then the head
 * value of the z it was decoded from (the best molecule is the one decoded where the head
 * expected most; scores, success and improvement stay NaN / 0, there being nothing true to
 * compare). A molecule whose key is NaN (a judge gave no value) is never best.
 *
 * Bookkeeping per start (cv_latent_opt_consider_key, also usable on its own):
 *   counted   a valid decoded molecule counts when the start has no molecule, or delta < 0,
 *             or its Tanimoto similarity (Morgan r2, 2048 bits) to the start >= delta;
 *   best      the counted molecule with the highest key (first found wins ties);
 *   success   best exists, differs from the start molecule and beats the start's score;
 *   improvement  best − start when success, else 0 (the start is kept), as in JT-VAE; NaN
 *             when the start or the best has no score.
 * best_any tracks the best valid molecule regardless of similarity. */
#ifndef CHEMVAE_LATENT_OPTIMIZE_H
#define CHEMVAE_LATENT_OPTIMIZE_H

#include <stddef.h>

#include "chemvae/latent/latent.h"
#include "chemvae/latent/latent_objective.h"

/* An outside judge of molecules (an external scoring program): out[i] = the value of the
 * canonical SMILES smiles[i] (RDKit's scores[i]), higher is better, NaN for one it gives no
 * value. A non-CV_OK return (err set) stops the optimization with that status. */
typedef CvStatus (*LatentJudge)(void *ctx, size_t n, const char *const *smiles,
                                const ChemScores *scores, double *out, CvError *err);

typedef struct {
    size_t steps;        /* gradient steps */
    double lr;           /* step length in latent units, > 0 */
    double prior;        /* λ >= 0 of the λ·½‖z‖² penalty */
    double trust_radius; /* > 0: stay within this distance of z0; 0: no trust region */
    size_t decode_every; /* >= 1 */
    LatentDecodeOpts decode;
    double delta;      /* similarity threshold; < 0: unconstrained */
    LatentJudge judge; /* NULL: the objective's true value scores the molecules */
    void *judge_ctx;
} LatentOptConfig;

/* Defaults (chosen by a small sweep of plogp runs from 20 ZINC starts on a `small` model:
 * lr 0.3 / prior 0.01 found the best molecules, vs 0.1 / 0.1 and 1.0 / 0): 100 steps,
 * lr 0.3, prior 0.01, no trust region, decode every 5 steps, 8 attempts (greedy then 7 at
 * temperature 0.7), unconstrained, no judge. */
void cv_latent_opt_config_default(LatentOptConfig *c);

typedef struct {
    const char *start_smiles;    /* canonical start molecule (borrowed), NULL for a latent start */
    double start_score;          /* true objective of the start molecule (NaN without one) */
    double head_start, head_end; /* head value at z0 and at the final z */
    size_t decoded, valid;       /* decodes of this start and the valid ones */
    char *best_smiles;           /* owned; NULL when nothing counted */
    double best_score, best_sim; /* NaN when nothing counted / no start molecule */
    size_t best_step;
    char *best_any_smiles; /* owned; best valid regardless of similarity */
    double best_any_score, best_any_sim;
    int success;
    double improvement;
    double best_key, best_any_key; /* the rank keys of best and best_any (see top); NaN: none */
} LatentOptResult;

/* Resets r for a start (start_smiles borrowed, may be NULL; start_score NaN when NULL). */
void cv_latent_opt_result_init(LatentOptResult *r, const char *start_smiles, double start_score);
void cv_latent_opt_result_free(LatentOptResult *r);

/* Feeds one valid decoded molecule (canonical SMILES, its score and rank key, similarity
 * `sim` to the start, NaN without a start) found at `step` into r's bookkeeping (see top);
 * a NaN key is ignored. CV_ERR_NOMEM only when copying the SMILES fails. */
CvStatus cv_latent_opt_consider_key(LatentOptResult *r, const char *canonical, double score,
                                    double key, double sim, double delta, size_t step,
                                    CvError *err);
/* cv_latent_opt_consider_key with the score as the key. */
CvStatus cv_latent_opt_consider(LatentOptResult *r, const char *canonical, double score, double sim,
                                double delta, size_t step, CvError *err);

/* What a sink sees at one decode point: S starts, K = attempts; row s·K + a of mols/sim
 * is attempt a of start s; z (S, Z) the current latent vectors; head (S) their head values
 * (real units); pred (S, P) the head's z-scored outputs. Return non-zero (with err set)
 * to stop the optimization with that status. */
typedef CvStatus (*LatentOptSink)(void *ctx, size_t step, size_t S, size_t K, const float *z,
                                  const double *head, const float *pred, const LatentMol *mols,
                                  const double *sim, CvError *err);

/* Runs the optimization of S starts z0 (S, Z) (not modified). start_smiles (S, NULL-able
 * array, entries NULL-able) are the canonical start molecules for similarity and start
 * scores. wz (P) and offset come from cv_latent_objective_bind; obj gives the true values,
 * cfg->judge (when set) the scores instead (see top).
 * results (S) are initialized here (free each with cv_latent_opt_result_free). rng drives
 * temperature decoding. z_final (S, Z, NULL-able) receives the last z. */
CvStatus cv_latent_optimize(Vae *vae, const CvVocab *vocab, const LatentObjective *obj,
                            const double *wz, double offset, const LatentOptConfig *cfg,
                            const float *z0, const char *const *start_smiles, size_t S, CvRng *rng,
                            LatentOptSink sink, void *ctx, LatentOptResult *results, float *z_final,
                            CvError *err);

/* Head value offset + Σ_p wz[p]·y_p for each of z (S, Z) into head (S); pred (S, P,
 * NULL-able) receives the z-scored outputs. Chunks of vae->max_B. */
void cv_latent_head_value(Vae *vae, const double *wz, double offset, const float *z, size_t S,
                          double *head, float *pred);

#endif
