/* train.c — the training loop (contract in include/chemvae/model/train.h).
 *
 * Position: a run is a sequence of optimizer steps; step s belongs to epoch
 * s / steps_per_epoch and is batch s % steps_per_epoch of that epoch's shuffle. The shuffle
 * of epoch e comes from cv_rng(seed ^ H(e)) and the noise of step s from cv_rng(seed ^ H(s)),
 * so a run resumed from any checkpoint (which stores s, the weights, BN statistics and
 * Adam moments) takes exactly the steps an uninterrupted run would. The last incomplete
 * batch of an epoch is dropped (a batch of 1 would break batchnorm's statistics).
 *
 * Buffers for one batch are allocated once before the loop; the step itself
 * (cv_vae_forward_backward + cv_adam_step) allocates nothing.
 *
 * Length buckets (train.h) reorder an epoch's shuffle; the batch at position k of epoch e
 * is still a function of (seed, e) alone, so resume stays exact.
 *
 * Data-parallel training (o->dist, a group of N processes; src/model/README.md): every
 * process draws the same shuffle and the same noise for the whole batch, takes its rows
 * [r·B/N, (r+1)·B/N) (cv_dist_shard) and the eps rows of those, and cv_vae_train_step
 * makes batchnorm, the KL and the loss those of the whole batch; the gradients are summed
 * over the group (one allreduce of the flat buffer) before the optimizer step, which then
 * runs identically on every process. Validation is split the same way and its sums summed
 * (every process gets the same numbers, so the plateau state stays in step). Only rank 0
 * writes checkpoints and calls on_step / on_epoch; the stop request is summed over the
 * group, so every process stops after the same step. */
#include "chemvae/model/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/data/augment.h"
#include "chemvae/core/progress.h"
#include "chemvae/nn/dist.h"

void cv_train_options_default(TrainOptions *o) {
    memset(o, 0, sizeof *o);
    o->epochs = 30;
    o->batch = 128;
    o->adam = cv_adam_default_config();
    o->adam.lr = 1e-3f;
    o->adam.clip_norm = 50.0f;
    o->kl_max = 0.2f;
    o->kl_slope = 1.0f;
    o->kl_center = 5.0f;
    o->kl_schedule = TRAIN_KL_SIGMOID;
    o->kl_ramp = 10.0f;
    o->lr_decay = TRAIN_LR_NONE;
    o->lr_min = 1e-5f;
    o->lr_patience = 3;
    o->lr_factor = 0.5f;
    o->bn_freeze = -1.0f;
    o->prop_weight = 1.0f;
    o->seed = 1;
    o->recon_sample = 256;
}

static const char *const KL_NAMES[] = {"sigmoid", "constant", "linear", "cyclical"};
static const char *const LR_NAMES[] = {"none", "cosine", "plateau"};

static int parse_name(const char *name, const char *const *names, int n, int *out) {
    for (int i = 0; i < n; i++)
        if (name && !strcmp(name, names[i])) {
            *out = i;
            return 0;
        }
    return -1;
}

int cv_train_kl_schedule_parse(const char *name, int *out) {
    return parse_name(name, KL_NAMES, 4, out);
}
int cv_train_lr_decay_parse(const char *name, int *out) {
    return parse_name(name, LR_NAMES, 3, out);
}
const char *cv_train_kl_schedule_name(int schedule) {
    return schedule >= 0 && schedule < 4 ? KL_NAMES[schedule] : "?";
}
const char *cv_train_lr_decay_name(int decay) {
    return decay >= 0 && decay < 3 ? LR_NAMES[decay] : "?";
}

void cv_train_options_describe(const TrainOptions *o, char *buf, size_t cap) {
    snprintf(
        buf, cap,
        "epochs=%d batch=%zu lr=%g beta1=%g beta2=%g clip=%g kl_schedule=%s kl_max=%g "
        "kl_slope=%g kl_center=%g kl_ramp=%g ae_warmup=%g free_bits=%g word_dropout=%g "
        "augment=%d bn_freeze=%g bucket=%d%s lr_warmup=%zu lr_decay=%s lr_min=%g lr_patience=%d "
        "lr_factor=%g prop_weight=%g seed=%llu",
        o->epochs, o->batch, (double)o->adam.lr, (double)o->adam.beta1, (double)o->adam.beta2,
        (double)o->adam.clip_norm, KL_NAMES[o->kl_schedule & 3], (double)o->kl_max,
        (double)o->kl_slope, (double)o->kl_center, (double)o->kl_ramp, (double)o->ae_warmup,
        (double)o->free_bits, (double)o->word_dropout, o->augment, (double)o->bn_freeze, o->bucket,
        o->full_decode ? " full_decode=1" : "", o->lr_warmup,
        LR_NAMES[o->lr_decay >= 0 && o->lr_decay < 3 ? o->lr_decay : 0], (double)o->lr_min,
        o->lr_patience, (double)o->lr_factor, (double)o->prop_weight, (unsigned long long)o->seed);
}

int cv_train_in_ae_warmup(const TrainOptions *o, double epoch) {
    return epoch < (double)o->ae_warmup;
}

float cv_train_kl_weight(const TrainOptions *o, double epoch) {
    if (cv_train_in_ae_warmup(o, epoch)) return 0.0f;
    double e = epoch - (double)o->ae_warmup, ramp = o->kl_ramp > 0.0f ? (double)o->kl_ramp : 1.0;
    switch (o->kl_schedule) {
    case TRAIN_KL_CONSTANT:
        return o->kl_max;
    case TRAIN_KL_LINEAR:
        return (float)((double)o->kl_max * (e < ramp ? e / ramp : 1.0));
    case TRAIN_KL_CYCLICAL: {
        double u = e / ramp - floor(e / ramp);
        return (float)((double)o->kl_max * (u < 0.5 ? 2.0 * u : 1.0));
    }
    default:
        if (o->kl_slope <= 0.0f) return o->kl_max;
        return o->kl_max / (1.0f + expf(-o->kl_slope * ((float)floor(e) - o->kl_center)));
    }
}

float cv_train_learning_rate(const TrainOptions *o, long step, long total_steps, double scale) {
    double lr = o->adam.lr;
    if (o->lr_decay == TRAIN_LR_PLATEAU && scale > 0.0)
        lr = fmax(lr * scale, fmin(lr, (double)o->lr_min));
    if (o->lr_warmup && (size_t)step < o->lr_warmup)
        return (float)(lr * (double)(step + 1) / (double)o->lr_warmup);
    if (o->lr_decay == TRAIN_LR_COSINE && total_steps > (long)o->lr_warmup + 1) {
        double span = (double)(total_steps - (long)o->lr_warmup - 1);
        double u = (double)(step - (long)o->lr_warmup) / span;
        if (u > 1.0) u = 1.0;
        return (float)(o->lr_min + 0.5 * (lr - o->lr_min) * (1.0 + cos(M_PI * u)));
    }
    return (float)lr;
}

static uint64_t mix(uint64_t seed, uint64_t what, uint64_t i) {
    return seed ^ (what * 0x9e3779b97f4a7c15ULL) ^
           (i * 0xbf58476d1ce4e5b9ULL + 0x94d049bb133111ebULL);
}

typedef struct {
    uint32_t *rows;  /* (B) */
    int32_t *ids;    /* (B, T) */
    int32_t *enc;    /* (B, T) encoder input when augmenting */
    int32_t *len;    /* (B) */
    float *props;    /* (B, P) z-scored, 0 where missing */
    float *pmask;    /* (B, P) */
    float *eps;      /* (B, Z) */
    float *mu;       /* (B, Z) */
    int32_t *dec;    /* (B, T) */
    int32_t *declen; /* (B) */
} Batch;

static void batch_free(Batch *b) {
    free(b->rows);
    free(b->ids);
    free(b->enc);
    free(b->len);
    free(b->props);
    free(b->pmask);
    free(b->eps);
    free(b->mu);
    free(b->dec);
    free(b->declen);
}

static CvStatus batch_alloc(Batch *b, size_t B, const VaeConfig *c, CvError *err) {
    size_t T = (size_t)c->T, P = (size_t)(c->P ? c->P : 1), Z = (size_t)c->Z;
    memset(b, 0, sizeof *b);
    b->rows = calloc(B, sizeof *b->rows);
    b->ids = calloc(B * T, sizeof *b->ids);
    b->enc = calloc(B * T, sizeof *b->enc);
    b->len = calloc(B, sizeof *b->len);
    b->props = calloc(B * P, sizeof *b->props);
    b->pmask = calloc(B * P, sizeof *b->pmask);
    b->eps = calloc(B * Z, sizeof *b->eps);
    b->mu = calloc(B * Z, sizeof *b->mu);
    b->dec = calloc(B * T, sizeof *b->dec);
    b->declen = calloc(B, sizeof *b->declen);
    if (!b->rows || !b->ids || !b->enc || !b->len || !b->props || !b->pmask || !b->eps || !b->mu ||
        !b->dec || !b->declen)
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory allocating a batch of %zu", B);
    return CV_OK;
}

/* Loads rows[0..B) of ds into the batch: ids, lengths, z-scored props with a mask for
 * missing (NaN) values. */
static void batch_fill(Batch *b, const CvDataset *ds, size_t B) {
    cv_dataset_fill_ids(ds, b->rows, B, b->ids);
    for (size_t i = 0; i < B; i++) b->len[i] = (int32_t)ds->lengths[b->rows[i]];
    if (ds->P == 0) return;
    cv_dataset_fill_props(ds, b->rows, B, b->props);
    for (size_t i = 0; i < B * ds->P; i++) {
        int ok = isfinite(b->props[i]);
        b->pmask[i] = ok ? 1.0f : 0.0f;
        if (!ok) b->props[i] = 0.0f;
    }
}

/* Reorders the shuffled rows order[0..n) into length buckets: the first n % B rows (a
 * random set, as order is shuffled) go last and are not used this epoch; the rest are
 * stably sorted by length and cut into batches of B, and the batches are shuffled. */
static CvStatus bucket_order(uint32_t *order, size_t n, size_t B, const CvDataset *ds, CvRng *rng,
                             CvError *err) {
    size_t r = n % B, m = n - r, nb = m / B, T = ds->T;
    uint32_t *tmp = malloc(n * sizeof *tmp), *blocks = malloc((nb ? nb : 1) * sizeof *blocks);
    size_t *start = calloc(T + 2, sizeof *start);
    if (!tmp || !blocks || !start) {
        free(tmp), free(blocks), free(start);
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory (length buckets)");
    }
    for (size_t i = r; i < n; i++) start[ds->lengths[order[i]] + 1]++;
    for (size_t t = 1; t <= T + 1; t++) start[t] += start[t - 1];
    for (size_t i = r; i < n; i++) tmp[start[ds->lengths[order[i]]]++] = order[i];
    memcpy(tmp + m, order, r * sizeof *order);
    for (size_t k = 0; k < nb; k++) blocks[k] = (uint32_t)k;
    cv_rng_shuffle_u32(rng, blocks, nb);
    for (size_t k = 0; k < nb; k++)
        memcpy(order + k * B, tmp + (size_t)blocks[k] * B, B * sizeof *order);
    memcpy(order + m, tmp + m, r * sizeof *order);
    free(tmp), free(blocks), free(start);
    return CV_OK;
}

static void loss_acc(VaeLoss *sum, const VaeLoss *x, double w) {
    sum->loss += w * x->loss;
    sum->recon += w * x->recon;
    sum->kl += w * x->kl;
    sum->prop += w * x->prop;
    sum->tokens += x->tokens;
    sum->correct += x->correct;
    sum->exact += x->exact;
}

static void loss_scale(VaeLoss *x, double s) {
    x->loss *= s;
    x->recon *= s;
    x->kl *= s;
    x->prop *= s;
}

/* What a validation pass sums, in one buffer so a process group sums it at once: the loss
 * terms weighted by batch size, counters, and per latent dimension Σ mu, Σ mu², Σ B·(batch
 * mean KL); per property Σ|error| and the count. */
enum { V_LOSS, V_RECON, V_KL, V_PROP, V_TOKENS, V_CORRECT, V_EXACT, V_HITS, V_HEAD };
#define V_MAE(Z) (V_HEAD + 3 * (Z))
#define V_LEN(Z) (V_MAE(Z) + 2 * CKPT_MAX_PROPS)

/* Eval-mode loss terms and monitors of rows idx[a..b) into the sums acc (V_LEN doubles). */
static void validate_rows(Vae *vae, const CvDataset *ds, const uint32_t *idx, size_t a, size_t b,
                          float beta, const TrainOptions *o, Batch *bt, double *acc) {
    size_t Bmax = vae->max_B, P = ds->P, Z = (size_t)vae->cfg.Z;
    double *mom = acc + V_HEAD, *mae = acc + V_MAE(Z), *mae_n = mae + CKPT_MAX_PROPS;
    for (size_t s = a; s < b; s += Bmax) {
        size_t B = b - s < Bmax ? b - s : Bmax;
        memcpy(bt->rows, idx + s, B * sizeof *bt->rows);
        batch_fill(bt, ds, B);
        VaeLoss l;
        cv_vae_forward_eval(vae, bt->ids, bt->len, P ? bt->props : NULL, P ? bt->pmask : NULL, B,
                            beta, o->prop_weight, &l);
        acc[V_LOSS] += (double)B * l.loss, acc[V_RECON] += (double)B * l.recon;
        acc[V_KL] += (double)B * l.kl, acc[V_PROP] += (double)B * l.prop;
        acc[V_TOKENS] += (double)l.tokens, acc[V_CORRECT] += (double)l.correct;
        acc[V_EXACT] += (double)l.exact;
        for (size_t d = 0; d < Z; d++) {
            for (size_t i = 0; i < B; i++) {
                double mu = vae->mu[i * Z + d];
                mom[d] += mu;
                mom[Z + d] += mu * mu;
            }
            mom[2 * Z + d] += vae->kl_dim[d] * (double)B;
        }
        if (!P) continue;
        const float *pred = vae->prop_act[vae->cfg.n_prop];
        for (size_t i = 0; i < B; i++)
            for (size_t p = 0; p < P && p < CKPT_MAX_PROPS; p++) {
                if (!bt->pmask[i * P + p]) continue;
                double dv = (double)(pred[i * P + p] - bt->props[i * P + p]) * ds->prop_std[p];
                mae[p] += fabs(dv);
                mae_n[p]++;
            }
    }
}

/* Greedy reconstruction of rows idx[a..b): the number decoded back to their exact tokens. */
static double recon_hits(Vae *vae, const CvDataset *ds, const uint32_t *idx, size_t a, size_t b,
                         Batch *bt) {
    size_t Bmax = vae->max_B, T = ds->T, hits = 0;
    for (size_t s = a; s < b; s += Bmax) {
        size_t B = b - s < Bmax ? b - s : Bmax;
        memcpy(bt->rows, idx + s, B * sizeof *bt->rows);
        batch_fill(bt, ds, B);
        cv_vae_encode(vae, bt->ids, B, bt->mu, NULL);
        cv_vae_decode(vae, bt->mu, B, 0.0f, NULL, bt->dec, bt->declen);
        for (size_t i = 0; i < B; i++) {
            size_t L = (size_t)bt->len[i]; /* includes <end> */
            hits += L <= T && memcmp(bt->dec + i * T, bt->ids + i * T, L * sizeof(int32_t)) == 0;
        }
    }
    return (double)hits;
}

/* Validation pass over `idx` (n rows): loss terms, token accuracy, property MAE, and
 * greedy reconstruction of the first o->recon_sample rows. A process group splits both
 * (cv_dist_shard) and sums what its processes found. */
static void validate(Vae *vae, const CvDataset *ds, const uint32_t *idx, size_t n, float beta,
                     const TrainOptions *o, Batch *bt, EpochReport *r) {
    size_t P = ds->P, Z = (size_t)vae->cfg.Z, a, b;
    int rank = cv_dist_rank(o->dist), size = cv_dist_size(o->dist);
    double *acc = calloc(V_LEN(Z), sizeof *acc);
    size_t m = o->recon_sample < n ? o->recon_sample : n;
    r->recon_exact = -1.0;
    if (!acc) return;
    cv_dist_shard(n, rank, size, &a, &b);
    validate_rows(vae, ds, idx, a, b, beta, o, bt, acc);
    cv_dist_shard(m, rank, size, &a, &b);
    acc[V_HITS] = recon_hits(vae, ds, idx, a, b, bt);
    cv_dist_sum_d(o->dist, acc, V_LEN(Z));
    double inv = n ? 1.0 / (double)n : 0.0, *mom = acc + V_HEAD;
    r->valid = (VaeLoss){.loss = acc[V_LOSS] * inv,
                         .recon = acc[V_RECON] * inv,
                         .kl = acc[V_KL] * inv,
                         .prop = acc[V_PROP] * inv,
                         .tokens = (size_t)acc[V_TOKENS],
                         .correct = (size_t)acc[V_CORRECT],
                         .exact = (size_t)acc[V_EXACT]};
    r->valid_acc = acc[V_TOKENS] > 0 ? acc[V_CORRECT] / acc[V_TOKENS] : 0.0;
    r->tf_exact = acc[V_EXACT] * inv;
    r->active_units = 0;
    r->kl_dim_max = 0.0;
    for (size_t d = 0; n && d < Z; d++) {
        double mean = mom[d] / (double)n, var = mom[Z + d] / (double)n - mean * mean;
        r->active_units += var > 0.01;
        if (mom[2 * Z + d] / (double)n > r->kl_dim_max) r->kl_dim_max = mom[2 * Z + d] / (double)n;
    }
    for (size_t p = 0; p < P && p < CKPT_MAX_PROPS; p++) {
        const double *mae = acc + V_MAE(Z);
        r->prop_mae[p] = mae[CKPT_MAX_PROPS + p] > 0 ? mae[p] / mae[CKPT_MAX_PROPS + p] : 0.0;
    }
    if (m) r->recon_exact = acc[V_HITS] / (double)m;
    free(acc);
}

/* 1 when the hooks' interrupted callback asks training to stop on any process of grp. */
static int stop_asked(const TrainHooks *hooks, const CvDist *grp) {
    double asked = hooks && hooks->interrupted && hooks->interrupted(hooks->ctx);
    cv_dist_sum_d(grp, &asked, 1);
    return asked > 0.0;
}

/* CV_ERR_MISMATCH unless every process of grp starts at `step` with batch B (a resumed
 * checkpoint that differs between machines, or a batch smaller than the group). */
static CvStatus group_check(const CvDist *grp, long step, size_t B, CvError *err) {
    int n = cv_dist_size(grp);
    if (n < 2) return CV_OK;
    if (B < (size_t)n)
        return cv_error_set(err, CV_ERR_INVALID, "batch %zu is smaller than the %d processes", B,
                            n);
    double s[2] = {(double)step, (double)B};
    cv_dist_sum_d(grp, s, 2);
    if (s[0] != (double)step * n || s[1] != (double)B * n)
        return cv_error_set(err, CV_ERR_MISMATCH,
                            "the %d processes do not start at the same step and batch (this one: "
                            "step %ld, batch %zu): do they all read the same checkpoint?",
                            n, step, B);
    return CV_OK;
}

/* How a run that stopped early ends: CV_ERR_INTERRUPTED (naming the checkpoint) when a stop
 * was asked, CV_OK when it reached max_steps. */
static CvStatus stop_status(const TrainOptions *o, int asked, long step, int epoch, CvError *err) {
    if (!asked) return CV_OK;
    return cv_error_set(err, CV_ERR_INTERRUPTED, "interrupted at step %ld (epoch %d); %s%s", step,
                        epoch + 1, o->checkpoint ? "checkpoint written to " : "",
                        o->checkpoint ? o->checkpoint : "no checkpoint path");
}

CvStatus cv_train_run(Vae *vae, CkptMeta *meta, const CvDataset *ds, const TrainOptions *o,
                      const TrainHooks *hooks, CvError *err) {
    const VaeConfig *c = &vae->cfg;
    if ((size_t)c->T != ds->T || (size_t)c->V != ds->V || (size_t)c->P != ds->P)
        return cv_error_set(err, CV_ERR_MISMATCH,
                            "model (T=%d V=%d P=%d) does not match the dataset (T=%zu V=%zu P=%zu)",
                            c->T, c->V, c->P, ds->T, ds->V, ds->P);
    if (o->batch > vae->max_B || o->batch < 2)
        return cv_error_set(err, CV_ERR_INVALID, "batch %zu must be in 2..%zu", o->batch,
                            vae->max_B);
    uint32_t *train_idx = NULL, *valid_idx = NULL, *order = NULL;
    size_t n_train = 0, n_valid = 0;
    Batch bt = {0};
    CvStatus st;
    if ((st = cv_dataset_split_indices(ds, CV_SPLIT_TRAIN, &train_idx, &n_train, err))) goto done;
    if ((st = cv_dataset_split_indices(ds, CV_SPLIT_VALID, &valid_idx, &n_valid, err))) goto done;
    if (n_train < 2) {
        st = cv_error_set(err, CV_ERR_EMPTY, "the train split has %zu molecules; need at least 2",
                          n_train);
        goto done;
    }
    if ((st = batch_alloc(&bt, vae->max_B, c, err))) goto done;
    order = malloc(n_train * sizeof *order);
    if (!order) {
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t B = o->batch < n_train ? o->batch : n_train;
    size_t spe = n_train / B; /* steps per epoch; the remainder is dropped */
    long step = meta->step;
    const CvDist *grp = o->dist;
    int lead = cv_dist_rank(grp) == 0;
    size_t r0, r1; /* this process's rows of every batch */
    cv_dist_shard(B, cv_dist_rank(grp), cv_dist_size(grp), &r0, &r1);
    if ((st = group_check(grp, step, B, err))) goto done;
    TrainHooks follower = {0}; /* what the other processes call: no output */
    if (!lead && hooks) {
        follower.interrupted = hooks->interrupted, follower.on_grad = hooks->on_grad;
        follower.ctx = hooks->ctx;
        hooks = &follower;
    }
    size_t Z = (size_t)c->Z;
    long total_steps = (long)spe * o->epochs;
    cv_train_options_describe(o, meta->train_options, sizeof meta->train_options);
    meta->seed = o->seed;

    for (int epoch = (int)(step / (long)spe); epoch < o->epochs; epoch++) {
        double t0 = cv_now();
        double lr_scale = meta->lr_scale > 0.0 ? meta->lr_scale : 1.0;
        float beta = 0.0f, lr = 0.0f; /* of the epoch's last step (every epoch takes one) */
        CvRng shuf;
        cv_rng_init(&shuf, mix(o->seed, 1, (uint64_t)epoch));
        memcpy(order, train_idx, n_train * sizeof *order);
        cv_rng_shuffle_u32(&shuf, order, n_train);
        int frozen = o->bn_freeze >= 0.0f && (double)epoch >= (double)o->bn_freeze;
        if (frozen && o->bucket && (st = bucket_order(order, n_train, B, ds, &shuf, err)))
            goto done;
        EpochReport r;
        memset(&r, 0, sizeof r);
        r.epoch = epoch + 1;

        size_t first = (size_t)(step - (long)epoch * (long)spe), done_steps = 0;
        if (hooks && hooks->on_step)
            hooks->on_step(hooks->ctx, epoch + 1, first * B, spe * B, NULL);
        int interrupted = 0, stop_after_epoch = 0, asked = 0;
        for (size_t k = first; k < spe; k++) {
            memcpy(bt.rows, order + k * B + r0, (r1 - r0) * sizeof *bt.rows);
            batch_fill(&bt, ds, r1 - r0);
            if (o->augment)
                r.augment_kept += cv_augment_fill_ids_from(ds, bt.rows, r1 - r0, r0,
                                                           mix(o->seed, 3, (uint64_t)step), bt.enc);
            double pos = (double)step / (double)spe;
            beta = cv_train_kl_weight(o, pos);
            lr = cv_train_learning_rate(o, step, total_steps, lr_scale);
            int plain_ae = cv_train_in_ae_warmup(o, pos);
            CvRng noise;
            cv_rng_init(&noise, mix(o->seed, 2, (uint64_t)step));
            cv_rng_fill_normal(&noise, bt.eps, B * Z);
            VaeStepOptions so = {.beta = beta,
                                 .prop_weight = o->prop_weight,
                                 .free_bits = plain_ae ? 0.0f : o->free_bits,
                                 .word_dropout = o->word_dropout,
                                 .dropout_seed = mix(o->seed, 4, (uint64_t)step),
                                 .enc_ids = o->augment ? bt.enc : NULL,
                                 .bn_frozen = frozen,
                                 .full_length = o->full_decode,
                                 .dist = grp,
                                 .batch_total = B,
                                 .row0 = r0};
            VaeLoss l;
            cv_vae_train_step(vae, bt.ids, bt.len, ds->P ? bt.props : NULL, ds->P ? bt.pmask : NULL,
                              plain_ae ? NULL : bt.eps + r0 * Z, r1 - r0, &so, &l);
            if (!isfinite(l.loss)) {
                st = cv_error_set(err, CV_ERR_NUMERIC,
                                  "loss is %g at epoch %d step %ld (recon %g kl %g prop %g); "
                                  "stopped, the last good checkpoint is kept",
                                  l.loss, epoch + 1, step, l.recon, l.kl, l.prop);
                goto done;
            }
            cv_dist_sum_f(grp, vae->params.grad, vae->params.total);
            if (hooks && hooks->on_grad) hooks->on_grad(hooks->ctx, step, &vae->params);
            AdamConfig adam = o->adam;
            adam.lr = lr;
            double gnorm = cv_adam_step(&vae->params, &adam, step + 1);
            if (!isfinite(gnorm)) {
                st =
                    cv_error_set(err, CV_ERR_NUMERIC,
                                 "gradient norm is %g at epoch %d step %ld; stopped, the last good "
                                 "checkpoint is kept",
                                 gnorm, epoch + 1, step);
                goto done;
            }
            step++;
            done_steps++;
            loss_acc(&r.train, &l, 1.0);
            if (hooks && hooks->on_step)
                hooks->on_step(hooks->ctx, epoch + 1, (k + 1) * B, spe * B, &l);
            if ((asked = stop_asked(hooks, grp)) ||
                (o->max_steps && (size_t)step >= o->max_steps)) {
                /* on the epoch's last batch the epoch is finished first (validation, plateau
                 * state, checkpoint), so a resume starts the next epoch as an uninterrupted
                 * run would */
                if (k + 1 == spe) {
                    stop_after_epoch = 1;
                } else {
                    interrupted = 1;
                    break;
                }
            }
        }
        meta->step = step;
        if (interrupted) {
            if (lead && o->checkpoint && (st = cv_ckpt_save(o->checkpoint, vae, meta, 1, err)))
                goto done;
            st = stop_status(o, asked, step, epoch, err);
            goto done;
        }
        loss_scale(&r.train, done_steps ? 1.0 / (double)done_steps : 0.0);
        double kept = (double)r.augment_kept;
        cv_dist_sum_d(grp, &kept, 1);
        r.augment_kept = (size_t)kept;
        r.train_acc = r.train.tokens ? (double)r.train.correct / (double)r.train.tokens : 0.0;
        double t_train = cv_now() - t0;
        r.beta = beta;
        r.lr = lr;
        validate(vae, ds, valid_idx, n_valid, beta, o, &bt, &r);
        r.step = step;
        r.seconds = cv_now() - t0;
        r.mol_per_s = t_train > 0 ? (double)(done_steps * B) / t_train : 0.0;
        meta->epoch = epoch + 1;
        if (meta->epoch == 1 || r.valid.loss < meta->best_val) meta->best_val = r.valid.loss;
        if (o->lr_decay == TRAIN_LR_PLATEAU && n_valid > 0) {
            /* lr_scale 0: a checkpoint from before plateau decay, no baseline yet */
            int fresh = meta->epoch == 1 || meta->lr_scale <= 0.0;
            meta->lr_scale = lr_scale;
            if (fresh || r.valid.recon < meta->plateau_best - 1e-4) {
                meta->plateau_best = r.valid.recon;
                meta->plateau_wait = 0;
            } else if (++meta->plateau_wait >= o->lr_patience) {
                meta->lr_scale = lr_scale * (double)o->lr_factor;
                meta->plateau_wait = 0;
            }
        }
        r.best = meta->epoch == 1 || r.tf_exact > meta->best_exact;
        if (r.best) meta->best_exact = r.tf_exact;
        if (lead && o->checkpoint && (st = cv_ckpt_save(o->checkpoint, vae, meta, 1, err)))
            goto done;
        if (lead && r.best && o->best && (st = cv_ckpt_save(o->best, vae, meta, 0, err))) goto done;
        if (hooks && hooks->on_epoch && (st = hooks->on_epoch(hooks->ctx, &r, err))) goto done;
        if (stop_after_epoch) {
            st = stop_status(o, asked, step, epoch, err);
            goto done;
        }
    }
    st = CV_OK;
done:
    free(train_idx);
    free(valid_idx);
    free(order);
    batch_free(&bt);
    return st;
}
