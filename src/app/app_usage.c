/* app_usage.c — KL per latent dimension and active units of a model on dataset rows (see
 * app_usage.h). One pass: each batch is encoded once (mu and logvar), its KL terms and the
 * sums of mu and mu² are accumulated per dimension in double precision, and the means are
 * kept for the caller (the report projects them for its latent map, so the molecules are
 * encoded once for both). */
#include "chemvae/app/app_usage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

CvStatus cv_model_check_dataset(const CvModel *m, const CvDataset *ds, const char *data_path,
                                CvError *err) {
    CvStatus st = cv_ckpt_meta_check_vocab(&m->meta, &ds->vocab, m->path, data_path, err);
    if (!st && (size_t)m->vae.cfg.T != ds->T)
        st = cv_error_set(err, CV_ERR_MISMATCH, "%s has T=%d but %s has T=%zu", m->path,
                          m->vae.cfg.T, data_path, ds->T);
    return st;
}

void cv_latent_usage_free(CvLatentUsage *u) {
    free(u->mu);
    free(u->kl_dim);
    free(u->mu_var);
    memset(u, 0, sizeof *u);
}

/* Adds batch b (B rows of mu and logvar) to the per-dimension sums: kl (Z), s1 = Σ mu,
 * s2 = Σ mu². */
static void accumulate(const float *mu, const float *logvar, size_t B, size_t Z, double *kl,
                       double *s1, double *s2) {
    for (size_t i = 0; i < B; i++)
        for (size_t d = 0; d < Z; d++) {
            double m = mu[i * Z + d], lv = logvar[i * Z + d];
            kl[d] += 0.5 * (m * m + exp(lv) - lv - 1.0);
            s1[d] += m;
            s2[d] += m * m;
        }
}

/* The means from the sums over n rows: kl_dim, mu_var, kl_total, active. */
static void finish(CvLatentUsage *u, const double *s1, const double *s2) {
    double n = (double)u->n;
    for (size_t d = 0; d < u->Z; d++) {
        u->kl_dim[d] /= n;
        double mean = s1[d] / n, var = s2[d] / n - mean * mean;
        u->mu_var[d] = var > 0 ? var : 0;
        u->kl_total += u->kl_dim[d];
        u->active += u->mu_var[d] > CV_ACTIVE_UNIT_THRESHOLD;
    }
}

CvStatus cv_latent_usage(CvModel *m, const CvDataset *ds, const char *data_path,
                         const uint32_t *rows, size_t n, CvLatentUsage *out, CvError *err) {
    memset(out, 0, sizeof *out);
    if (n == 0) return cv_error_set(err, CV_ERR_INVALID, "%s: no molecules to encode", data_path);
    for (size_t i = 0; i < n; i++)
        if (rows[i] >= ds->n)
            return cv_error_set(err, CV_ERR_INVALID, "%s: row %u of %zu rows", data_path,
                                (unsigned)rows[i], ds->n);
    CvStatus st = cv_model_check_dataset(m, ds, data_path, err);
    if (st) return st;
    size_t Z = (size_t)m->vae.cfg.Z, Bmax = m->vae.max_B;
    out->n = n, out->Z = Z;
    out->mu = malloc(n * Z * sizeof *out->mu);
    out->kl_dim = calloc(Z, sizeof *out->kl_dim);
    out->mu_var = calloc(Z, sizeof *out->mu_var);
    double *s = calloc(2 * Z, sizeof *s);
    float *logvar = malloc(Bmax * Z * sizeof *logvar);
    int32_t *ids = malloc(Bmax * ds->T * sizeof *ids);
    if (!out->mu || !out->kl_dim || !out->mu_var || !s || !logvar || !ids) {
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory encoding %zu molecules", n);
        cv_latent_usage_free(out);
    } else {
        for (size_t i = 0; i < n; i += Bmax) {
            size_t B = n - i < Bmax ? n - i : Bmax;
            cv_dataset_fill_ids(ds, rows + i, B, ids);
            cv_vae_encode(&m->vae, ids, B, out->mu + i * Z, logvar);
            accumulate(out->mu + i * Z, logvar, B, Z, out->kl_dim, s, s + Z);
        }
        finish(out, s, s + Z);
    }
    free(s);
    free(logvar);
    free(ids);
    return st;
}
