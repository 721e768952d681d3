/* train.h — the training loop: seeded shuffling, batches, Adam with clipping, KL annealing,
 * validation every epoch, checkpoints every epoch and on interruption, exact resume.
 *
 * Determinism: everything random depends only on (seed, epoch) for the shuffle and on
 * (seed, global step) for the reparameterization noise, so training from a checkpoint
 * continues exactly as an uninterrupted run would (same thread count: OpenBLAS sums in a
 * thread-count-dependent order). The KL weight of epoch e (0-based) is
 *   beta(e) = kl_max / (1 + exp(-kl_slope · (e − kl_center)))   (chemical_vae's schedule)
 * and kl_slope <= 0 means a constant kl_max. */
#ifndef CHEMVAE_TRAIN_H
#define CHEMVAE_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "chemvae/adam.h"
#include "chemvae/checkpoint.h"
#include "chemvae/dataset.h"
#include "chemvae/error.h"
#include "chemvae/vae.h"

typedef struct {
    int epochs;          /* total epochs to reach (resume continues up to this) */
    size_t batch;        /* molecules per step */
    AdamConfig adam;     /* lr, betas, eps, clip_norm */
    float kl_max, kl_slope, kl_center;
    float prop_weight;
    uint64_t seed;
    size_t recon_sample; /* validation molecules greedily decoded each epoch (0 = none) */
    size_t max_steps;    /* stop after this many optimizer steps in total (0 = no limit) */
    const char *checkpoint; /* path written every epoch and on interruption (NULL = none) */
} TrainOptions;

/* chemvae's defaults (README "Training"; the settings of the shipped zinc24k model):
 * batch 128, Adam lr 1e-3 β (0.9, 0.999), clip 50, KL annealed to kl_max 0.2 around
 * epoch 5 with slope 1, prop weight 1, seed 1. */
void train_options_default(TrainOptions *o);
/* One line "key=value ..." of the options (stored in checkpoints and run configs). */
void train_options_describe(const TrainOptions *o, char *buf, size_t cap);
/* KL weight for epoch e. */
float train_kl_weight(const TrainOptions *o, int epoch);

typedef struct {
    int epoch;            /* 1-based epoch just finished */
    long step;            /* optimizer steps so far */
    double beta, lr;
    VaeLoss train;        /* means over the epoch's batches */
    double train_acc;     /* per-token accuracy (teacher forced) */
    VaeLoss valid;        /* eval mode, z = mu */
    double valid_acc;
    double recon_exact;   /* share of the sampled validation molecules whose greedy decode
                             of mu reproduces the tokens exactly (-1 if not measured) */
    double prop_mae[CKPT_MAX_PROPS]; /* validation property MAE, real units */
    double seconds, mol_per_s;
} EpochReport;

typedef struct {
    /* Called after every epoch (may be NULL); a non-OK return stops training with it. */
    CvStatus (*on_epoch)(void *ctx, const EpochReport *r, CvError *err);
    void *ctx;
    /* Set asynchronously (SIGINT): the step in progress finishes, a checkpoint is written
     * and train_run returns CV_ERR_INTERRUPTED. May be NULL. */
    volatile sig_atomic_t *stop;
    int progress; /* draw a progress bar on stderr (when it is a terminal) */
} TrainHooks;

/* Trains `vae` on the train split of `ds`, validating on its valid split. meta carries the
 * position to resume from (epoch, step: 0 for a new run) and is updated and written to
 * o->checkpoint after every epoch. `vae` must have Adam state (fresh or loaded).
 * Returns CV_OK, CV_ERR_INTERRUPTED (checkpoint written), CV_ERR_NUMERIC (NaN/Inf loss:
 * nothing written, the last good checkpoint is kept), or an I/O error. */
CvStatus train_run(Vae *vae, CkptMeta *meta, const CvDataset *ds, const TrainOptions *o,
                   const TrainHooks *hooks, CvError *err);

#endif
