/* app_usage.h — how much of the latent space a model uses, measured on molecules of a
 * dataset: the KL divergence of each latent dimension and the active units.
 *
 * For each molecule x the encoder gives q(z|x) = N(mu, diag(exp(logvar))). Per dimension d:
 *   KL_d   = mean over the molecules of 0.5·(mu_d² + exp(logvar_d) − logvar_d − 1)  (nats),
 *            the term the training loss sums over d (its total is the per-molecule KL);
 *   Var_d  = Cov_x(E[z_d|x]), the population variance of mu_d over the molecules;
 *   active = Var_d > CV_ACTIVE_UNIT_THRESHOLD (Burda et al. 2016, "active units"; the
 *            trainer's validation count, train.h, uses the same rule).
 * A dimension with KL_d near 0 carries no information about x (posterior collapse); a
 * plain autoencoder (β = 0) has no KL pressure, so its KL per dimension is large.
 *
 * The encoder runs in eval mode (batchnorm running statistics) on the dataset's token rows
 * in batches of the model's max_B; the result does not depend on the batch size beyond
 * float rounding. */
#ifndef CHEMVAE_APP_USAGE_H
#define CHEMVAE_APP_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/app/app_model.h"
#include "chemvae/data/dataset.h"

#define CV_ACTIVE_UNIT_THRESHOLD 0.01

typedef struct {
    size_t n, Z;     /* molecules encoded, latent size */
    float *mu;       /* (n, Z) the encoder's means, in the order of the rows given */
    double *kl_dim;  /* (Z) mean KL of each dimension, nats */
    double *mu_var;  /* (Z) variance of mu_d over the molecules */
    double kl_total; /* sum of kl_dim: the mean per-molecule KL */
    size_t active;   /* dimensions with mu_var > CV_ACTIVE_UNIT_THRESHOLD */
} CvLatentUsage;

/* Checks that dataset ds (read from data_path, named in messages) belongs to model m: the
 * same vocabulary and row length T. CV_ERR_MISMATCH naming both files otherwise. */
CvStatus cv_model_check_dataset(const CvModel *m, const CvDataset *ds, const char *data_path,
                                CvError *err);

/* Encodes the n dataset rows `rows` (indices into ds, each < ds->n) with m and fills *out
 * (zeroed first; free with cv_latent_usage_free, safe on every return). CV_ERR_INVALID for
 * n == 0 or a row out of range, CV_ERR_MISMATCH for a dataset that is not the model's
 * (cv_model_check_dataset, data_path naming it), CV_ERR_NOMEM. Writes m's encoder buffers. */
CvStatus cv_latent_usage(CvModel *m, const CvDataset *ds, const char *data_path,
                         const uint32_t *rows, size_t n, CvLatentUsage *out, CvError *err);

void cv_latent_usage_free(CvLatentUsage *u);

#endif
