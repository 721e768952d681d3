/* head.c — property-head refit (contract in include/chemvae/model/head.h). The head's tensors
 * get their own Adam moments (the checkpoint's belong to the joint training); the rest of
 * the parameter table is never written. */
#include "chemvae/model/head.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/nn/adam.h"
#include "chemvae/core/rng.h"

typedef struct {
    size_t n, *off, *len; /* the head's tensors: offsets and sizes in the parameter table */
    float *m, *v, *best;  /* (total) moments, best weights */
    size_t total;
} HeadParams;

static void head_free(HeadParams *h) {
    free(h->off), free(h->len), free(h->m), free(h->v), free(h->best);
    memset(h, 0, sizeof *h);
}

static int head_init(HeadParams *h, const Vae *v) {
    memset(h, 0, sizeof *h);
    h->n = 2 * (size_t)(v->cfg.n_prop + 1);
    h->off = calloc(h->n, sizeof *h->off);
    h->len = calloc(h->n, sizeof *h->len);
    if (!h->off || !h->len) return -1;
    for (int i = 0; i <= v->cfg.n_prop; i++) {
        const NnParamInfo *w = &v->params.info[v->id_prop_w[i]],
                          *b = &v->params.info[v->id_prop_b[i]];
        h->off[2 * i] = w->off, h->len[2 * i] = w->n;
        h->off[2 * i + 1] = b->off, h->len[2 * i + 1] = b->n;
        h->total += w->n + b->n;
    }
    h->m = calloc(h->total, sizeof *h->m);
    h->v = calloc(h->total, sizeof *h->v);
    h->best = calloc(h->total, sizeof *h->best);
    return h->m && h->v && h->best ? 0 : -1;
}

/* Copies the head's weights out of (to = 0) or into (to = 1) the parameter table. */
static void head_copy(HeadParams *h, Vae *v, int into) {
    for (size_t t = 0, k = 0; t < h->n; k += h->len[t], t++) {
        float *p = v->params.data + h->off[t];
        if (into) memcpy(p, h->best + k, h->len[t] * sizeof(float));
        else memcpy(h->best + k, p, h->len[t] * sizeof(float));
    }
}

/* One Adam step (PyTorch's defaults, no clipping) on the head's tensors only. */
static void head_adam(HeadParams *h, Vae *v, const AdamConfig *cfg, long step) {
    for (size_t t = 0, k = 0; t < h->n; k += h->len[t], t++)
        cv_adam_update(v->params.data + h->off[t], h->m + k, h->v + k, v->params.grad + h->off[t],
                       h->len[t], 1.0f, cfg, step);
}

/* Latent means (n, Z), z-scored targets and masks (n, P) of rows idx[0..n). */
static int encode_rows(Vae *v, const CvDataset *ds, const uint32_t *idx, size_t n, float *mu,
                       float *y, float *mask) {
    size_t Bmax = v->max_B, T = ds->T, Z = (size_t)v->cfg.Z, P = ds->P;
    int32_t *ids = malloc(Bmax * T * sizeof *ids);
    if (!ids) return -1;
    for (size_t s = 0; s < n; s += Bmax) {
        size_t B = n - s < Bmax ? n - s : Bmax;
        cv_dataset_fill_ids(ds, idx + s, B, ids);
        cv_vae_encode(v, ids, B, mu + s * Z, NULL);
        cv_dataset_fill_props(ds, idx + s, B, y + s * P);
    }
    for (size_t i = 0; i < n * P; i++) {
        mask[i] = isfinite(y[i]) ? 1.0f : 0.0f;
        if (!isfinite(y[i])) y[i] = 0.0f;
    }
    free(ids);
    return 0;
}

/* Validation MAE per property in real units; returns their mean in z-scored units. */
static double valid_mae(Vae *v, const CvDataset *ds, const float *mu, const float *y,
                        const float *mask, size_t n, double *mae) {
    size_t Bmax = v->max_B, Z = (size_t)v->cfg.Z, P = ds->P;
    double sum[CKPT_MAX_PROPS] = {0}, cnt[CKPT_MAX_PROPS] = {0}, zsum = 0.0;
    for (size_t s = 0; s < n; s += Bmax) {
        size_t B = n - s < Bmax ? n - s : Bmax;
        cv_vae_prop_forward(v, mu + s * Z, B, NULL);
        const float *pred = v->prop_act[v->cfg.n_prop];
        for (size_t i = 0; i < B; i++)
            for (size_t p = 0; p < P && p < CKPT_MAX_PROPS; p++) {
                if (!mask[(s + i) * P + p]) continue;
                double d = fabs((double)pred[i * P + p] - y[(s + i) * P + p]);
                sum[p] += d * ds->prop_std[p];
                zsum += d;
                cnt[p]++;
            }
    }
    double total = 0.0;
    for (size_t p = 0; p < P && p < CKPT_MAX_PROPS; p++) {
        mae[p] = cnt[p] ? sum[p] / cnt[p] : NAN;
        total += cnt[p];
    }
    return total ? zsum / total : 0.0;
}

CvStatus cv_head_refit(Vae *v, const CvDataset *ds, int epochs, float lr, uint64_t seed,
                       HeadRefitReport *r, CvError *err) {
    memset(r, 0, sizeof *r);
    size_t P = ds->P, Z = (size_t)v->cfg.Z, Bmax = v->max_B;
    if (P == 0 || v->cfg.P == 0)
        return cv_error_set(err, CV_ERR_INVALID, "the dataset has no properties to fit");
    if ((size_t)v->cfg.T != ds->T || (size_t)v->cfg.P != P)
        return cv_error_set(
            err, CV_ERR_MISMATCH,
            "model (T=%d, %d properties) does not match the dataset (T=%zu, %zu properties)",
            v->cfg.T, v->cfg.P, ds->T, P);
    uint32_t *tr = NULL, *va = NULL, *order = NULL;
    size_t ntr = 0, nva = 0;
    float *mu_tr = NULL, *y_tr = NULL, *m_tr = NULL, *mu_va = NULL, *y_va = NULL, *m_va = NULL;
    float *bz = NULL, *by = NULL, *bm = NULL;
    HeadParams h = {0};
    CvStatus st = CV_OK;
    if ((st = cv_dataset_split_indices(ds, CV_SPLIT_TRAIN, &tr, &ntr, err))) goto done;
    if ((st = cv_dataset_split_indices(ds, CV_SPLIT_VALID, &va, &nva, err))) goto done;
    mu_tr = malloc(ntr * Z * sizeof *mu_tr), y_tr = malloc(ntr * P * sizeof *y_tr),
    m_tr = malloc(ntr * P * sizeof *m_tr);
    mu_va = malloc((nva ? nva : 1) * Z * sizeof *mu_va),
    y_va = malloc((nva ? nva : 1) * P * sizeof *y_va);
    m_va = malloc((nva ? nva : 1) * P * sizeof *m_va);
    bz = malloc(Bmax * Z * sizeof *bz), by = malloc(Bmax * P * sizeof *by),
    bm = malloc(Bmax * P * sizeof *bm);
    order = malloc(ntr * sizeof *order);
    if (!mu_tr || !y_tr || !m_tr || !mu_va || !y_va || !m_va || !bz || !by || !bm || !order ||
        head_init(&h, v) || encode_rows(v, ds, tr, ntr, mu_tr, y_tr, m_tr) ||
        encode_rows(v, ds, va, nva, mu_va, y_va, m_va)) {
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory refitting the property head");
        goto done;
    }
    double best = valid_mae(v, ds, mu_va, y_va, m_va, nva, r->mae_before);
    memcpy(r->mae_after, r->mae_before, sizeof r->mae_after);
    head_copy(&h, v, 0);
    CvRng rng;
    cv_rng_init(&rng, seed ^ 0x4eadf17ULL);
    long step = 0;
    AdamConfig adam = cv_adam_default_config();
    adam.lr = lr;
    for (int e = 1; e <= epochs; e++) {
        for (size_t i = 0; i < ntr; i++) order[i] = (uint32_t)i;
        cv_rng_shuffle_u32(&rng, order, ntr);
        for (size_t s = 0; s + 2 <= ntr; s += Bmax) {
            size_t B = ntr - s < Bmax ? ntr - s : Bmax;
            for (size_t b = 0; b < B; b++) {
                size_t i = order[s + b];
                memcpy(bz + b * Z, mu_tr + i * Z, Z * sizeof *bz);
                memcpy(by + b * P, y_tr + i * P, P * sizeof *by);
                memcpy(bm + b * P, m_tr + i * P, P * sizeof *bm);
            }
            cv_vae_prop_train_step(v, bz, by, bm, B);
            head_adam(&h, v, &adam, ++step);
        }
        double mae[CKPT_MAX_PROPS];
        double z = valid_mae(v, ds, mu_va, y_va, m_va, nva, mae);
        r->epochs_run = e;
        if (z < best) {
            best = z;
            r->best_epoch = e;
            memcpy(r->mae_after, mae, sizeof mae);
            head_copy(&h, v, 0);
        }
    }
    head_copy(&h, v, 1);
done:
    free(tr), free(va), free(order), free(mu_tr), free(y_tr), free(m_tr), free(mu_va), free(y_va),
        free(m_va);
    free(bz), free(by), free(bm);
    head_free(&h);
    return st;
}
