/* train.h — the training loop: seeded shuffling, batches, Adam with clipping, KL annealing,
 * validation every epoch, checkpoints every epoch and on interruption, exact resume.
 *
 * Determinism: everything random depends only on (seed, epoch) for the shuffle and on
 * (seed, global step) for the reparameterization noise, so training from a checkpoint
 * continues exactly as an uninterrupted run would (same thread count: OpenBLAS sums in a
 * thread-count-dependent order).
 *
 * The recipe (src/model/README.md "Training recipe"):
 * an optional autoencoder warm-up (ae_warmup epochs with
 * beta = 0 and z = mu, no sampling noise), then the KL weight follows kl_schedule on the
 * epoch position e (fractional, counted from the end of the warm-up):
 *   sigmoid   beta = kl_max / (1 + exp(-kl_slope · (floor(e) − kl_center)))  (chemical_vae)
 *   constant  beta = kl_max
 *   linear    beta = kl_max · min(1, e / kl_ramp)
 *   cyclical  beta = kl_max · min(1, 2 · frac(e / kl_ramp))   (Fu et al. 2019: ramp over
 *             the first half of each cycle of kl_ramp epochs, hold the second half)
 * and the sigmoid with kl_slope <= 0 is constant. The learning rate rises linearly over
 * lr_warmup steps, then stays (lr_decay none), follows a cosine to lr_min at the last
 * step of `epochs` (cosine), or is multiplied by lr_factor whenever the validation
 * cross-entropy has not improved for lr_patience epochs (plateau; the scale and the count
 * are kept in the checkpoint, so resume continues them). Free bits, word dropout and
 * randomized-SMILES augmentation act inside each step (VaeStepOptions, augment.h).
 *
 * Length buckets: the decoder runs only up to the longest molecule of a batch, so batches
 * of similar lengths waste fewer steps. Each epoch's shuffle is sorted by length (stably,
 * so ties stay shuffled), cut into batches, and the batches are shuffled. Batch statistics
 * of a bucket describe one length only (the network learns to rely on them and molecules
 * of other lengths blow up in eval mode: validation KL of 1e18 after two epochs), so
 * buckets are used only once the encoder's batchnorm is frozen (bn_freeze epochs of plain
 * random batches first, to learn the statistics). */
#ifndef CHEMVAE_TRAIN_H
#define CHEMVAE_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/nn/adam.h"
#include "chemvae/nn/dist.h"
#include "chemvae/model/checkpoint.h"
#include "chemvae/data/dataset.h"
#include "chemvae/core/error.h"
#include "chemvae/model/vae.h"

enum { TRAIN_KL_SIGMOID, TRAIN_KL_CONSTANT, TRAIN_KL_LINEAR, TRAIN_KL_CYCLICAL };
enum { TRAIN_LR_NONE, TRAIN_LR_COSINE, TRAIN_LR_PLATEAU };

typedef struct {
    int epochs;      /* total epochs to reach (resume continues up to this) */
    size_t batch;    /* molecules per step */
    AdamConfig adam; /* lr, betas, eps, clip_norm */
    int kl_schedule; /* TRAIN_KL_* */
    float kl_max, kl_slope, kl_center;
    float kl_ramp;      /* epochs of the linear ramp / of one cycle */
    float ae_warmup;    /* epochs trained as a plain autoencoder first */
    float free_bits;    /* KL floor per latent dimension (nats), 0 = off */
    float word_dropout; /* decoder input dropout probability, 0 = off */
    int augment;        /* randomized-SMILES encoder inputs */
    float bn_freeze;    /* from this epoch on the encoder's batchnorm runs on its running
                           statistics (< 0 = never, the default) */
    int bucket;         /* once batchnorm is frozen, batches are drawn from length buckets */
    int full_decode;    /* the decoder runs all T steps of every batch (VaeStepOptions
                           full_length): the cost without length-aware training, for
                           benchmarks; the model learned is the same */
    size_t lr_warmup;   /* steps of linear learning-rate warm-up */
    int lr_decay;       /* TRAIN_LR_* */
    float lr_min;       /* floor of the cosine and of plateau cuts */
    int lr_patience;    /* plateau: epochs without a better validation CE before a cut */
    float lr_factor;    /* plateau: the cut (the rate is multiplied by it) */
    float prop_weight;
    uint64_t seed;
    size_t recon_sample;    /* validation molecules greedily decoded each epoch (0 = none) */
    size_t max_steps;       /* stop after this many optimizer steps in total (0 = no limit) */
    const char *checkpoint; /* path written every epoch and on interruption (NULL = none) */
    const char *best;       /* path of the best checkpoint by validation teacher-forced
                               exact-string accuracy (NULL = none) */
    const CvDist *dist;     /* data-parallel training over this process group (dist.h;
                               NULL = this process alone): every process of the group calls
                               cv_train_run with the same options, dataset and model; each
                               takes its share of every batch of `batch` rows and trains the
                               model one process would at that batch, up to rounding. Only
                               rank 0 writes checkpoints and calls on_step and on_epoch. */
} TrainOptions;

/* chemvae's defaults (`chemvae train --help`; src/model/README.md "Training recipe"):
 * batch 128, Adam lr 1e-3 β (0.9, 0.999), clip 50, KL annealed to kl_max 0.2 around
 * epoch 5 with slope 1, prop weight 1, seed 1. */
void cv_train_options_default(TrainOptions *o);
/* One line "key=value ..." of the options (stored in checkpoints and run configs). */
void cv_train_options_describe(const TrainOptions *o, char *buf, size_t cap);
/* KL weight at epoch position e (fractional epochs from the start of training). */
float cv_train_kl_weight(const TrainOptions *o, double epoch);
/* 1 while epoch position e is inside the autoencoder warm-up (no noise, beta 0). */
int cv_train_in_ae_warmup(const TrainOptions *o, double epoch);
/* Learning rate of optimizer step `step` (0-based) of a run of total_steps; `scale` is the
 * plateau scale (1 when none was cut). */
float cv_train_learning_rate(const TrainOptions *o, long step, long total_steps, double scale);
/* Parses a schedule name ("sigmoid", "constant", "linear", "cyclical"; "none", "cosine",
 * "plateau")
 * into *out; -1 when unknown. */
int cv_train_kl_schedule_parse(const char *name, int *out);
int cv_train_lr_decay_parse(const char *name, int *out);
/* The name of a TRAIN_KL_* / TRAIN_LR_* value (the parsers' inverse; "?" when out of range). */
const char *cv_train_kl_schedule_name(int schedule);
const char *cv_train_lr_decay_name(int decay);

typedef struct {
    int epoch; /* 1-based epoch just finished */
    long step; /* optimizer steps so far */
    double beta, lr;
    VaeLoss train;    /* means over the epoch's batches */
    double train_acc; /* per-token accuracy (teacher forced) */
    VaeLoss valid;    /* eval mode, z = mu */
    double valid_acc;
    double recon_exact;  /* share of the sampled validation molecules whose greedy decode
                            of mu reproduces the tokens exactly (-1 if not measured) */
    double tf_exact;     /* share of all validation molecules whose every teacher-forced
                            argmax is right (z = mu): a cheap bound on greedy recon */
    int active_units;    /* latent dims with Var_x(mu_d) > 0.01 over the valid split */
    double kl_dim_max;   /* largest per-dimension mean KL on the valid split */
    size_t augment_kept; /* training rows that kept their canonical input this epoch */
    int best;            /* this epoch improved tf_exact (best checkpoint written) */
    double prop_mae[CKPT_MAX_PROPS]; /* validation property MAE, real units */
    double seconds, mol_per_s;
} EpochReport;

typedef struct {
    /* Called after every epoch (may be NULL); a non-OK return stops training with it. */
    CvStatus (*on_epoch)(void *ctx, const EpochReport *r, CvError *err);
    void *ctx;
    /* Called as each epoch starts (loss NULL) and after every optimizer step (may be NULL):
     * `epoch` (1-based) in progress, the molecules of it done and its total (steps · batch),
     * and the step's loss. */
    void (*on_step)(void *ctx, int epoch, size_t done, size_t total, const VaeLoss *loss);
    /* Polled after every optimizer step (may be NULL): non-zero stops training: the step in
     * progress finishes, a checkpoint is written and cv_train_run returns CV_ERR_INTERRUPTED. */
    int (*interrupted)(void *ctx);
    /* Called after every step's gradient (summed over the process group) and before the
     * optimizer uses it, on every process (may be NULL): the 0-based step and the model's
     * parameter table, whose grad holds the gradient of the mean loss over the batch. */
    void (*on_grad)(void *ctx, long step, const NnParams *params);
} TrainHooks;

/* Trains `vae` on the train split of `ds`, validating on its valid split. meta carries the
 * position to resume from (epoch, step: 0 for a new run) and is updated and written to
 * o->checkpoint after every epoch. `vae` must have Adam state (fresh or loaded).
 * Returns CV_OK, CV_ERR_INTERRUPTED (checkpoint written), CV_ERR_NUMERIC (NaN/Inf loss:
 * nothing written, the last good checkpoint is kept), or an I/O error. */
CvStatus cv_train_run(Vae *vae, CkptMeta *meta, const CvDataset *ds, const TrainOptions *o,
                      const TrainHooks *hooks, CvError *err);

#endif
