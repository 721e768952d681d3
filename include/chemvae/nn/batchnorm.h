/* batchnorm.h — batch normalization over rows, per channel (PyTorch BatchNorm1d semantics).
 *
 * Features are (N, C) row-major: N = B for dense features (B, C), N = B·L for conv
 * features (B, L, C) channels-last (statistics per channel over batch and length, like
 * PyTorch BatchNorm1d on (B, C, L) and Keras BatchNormalization(axis=-1)).
 * Train mode normalizes with the batch mean and biased variance and, if run_mean/run_var
 * are given, updates them: run = (1 − momentum)·run + momentum·batch, with the UNBIASED
 * batch variance for run_var (PyTorch convention; momentum 0.1 is PyTorch's default).
 * Eval mode normalizes with the running statistics.
 * y = gamma ⊙ (x − mean) / sqrt(var + eps) + beta.
 * Caches written by train forward and read by backward: xhat (N, C), rstd (C).
 * Forward OVERWRITES y (y == x allowed). Backward ACCUMULATES into dx, dgamma, dbeta;
 * each may be NULL. Frozen mode trains through the running statistics (forward as eval
 * mode, caches as train mode; the backward is a per-channel scale, no batch coupling):
 * what training on length buckets needs, where a batch's own statistics would describe
 * one length only. */
#ifndef CHEMVAE_BATCHNORM_H
#define CHEMVAE_BATCHNORM_H

#include <stddef.h>

#include "chemvae/nn/dist.h"

/* Train-mode forward. x, y (N, C); gamma, beta (C); xhat (N, C) and rstd (C) caches;
 * mean (C) cache (may be NULL); run_mean, run_var (C) updated in place when both are
 * non-NULL (needs N >= 2 for the unbiased variance; with N == 1 they are left alone). */
void cv_batchnorm_forward_train(float *y, float *xhat, float *mean, float *rstd, float *run_mean,
                                float *run_var, const float *x, const float *gamma,
                                const float *beta, size_t N, size_t C, float momentum, float eps);

/* Eval-mode forward with running statistics. y == x allowed. */
void cv_batchnorm_forward_eval(float *y, const float *x, const float *gamma, const float *beta,
                               const float *run_mean, const float *run_var, size_t N, size_t C,
                               float eps);

/* Frozen-mode forward: eval-mode output with the running statistics, and the caches
 * xhat (N, C) = (x − run_mean)·rstd and rstd (C) = 1/sqrt(run_var + eps) for
 * cv_batchnorm_backward_frozen. Running statistics are not updated. y == x allowed. */
void cv_batchnorm_forward_frozen(float *y, float *xhat, float *rstd, const float *x,
                                 const float *gamma, const float *beta, const float *run_mean,
                                 const float *run_var, size_t N, size_t C, float eps);

/* Backward of the frozen-mode forward: dx += dy·gamma·rstd, dgamma += Σ dy⊙xhat,
 * dbeta += Σ dy. */
void cv_batchnorm_backward_frozen(float *dx, float *dgamma, float *dbeta, const float *dy,
                                  const float *xhat, const float *rstd, const float *gamma,
                                  size_t N, size_t C);

/* Backward of the train-mode forward: dx (N, C) += ..., dgamma (C) += Σ dy⊙xhat,
 * dbeta (C) += Σ dy. Needs the xhat and rstd of that forward. */
void cv_batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                           const float *xhat, const float *rstd, const float *gamma, size_t N,
                           size_t C);

/* The train-mode forward and backward of a batch split between the processes of group d
 * (dist.h, data-parallel training): each passes its own N rows and gets what the
 * functions above give on all the group's rows together, up to rounding: the per-channel
 * sums, the row count and the sums of squared deviations from the mean (two passes, as
 * above) are summed over the group in the forward, Σdy and Σdy⊙xhat in the backward.
 * The running statistics see the whole batch (every process updates them alike).
 * dgamma and dbeta receive this process's rows' share only: the gradient sum over the
 * group completes them. work: 2·C + 1 doubles of scratch. A NULL or single-process group
 * calls the functions above. */
void cv_batchnorm_forward_train_dist(float *y, float *xhat, float *rstd, float *run_mean,
                                     float *run_var, const float *x, const float *gamma,
                                     const float *beta, size_t N, size_t C, float momentum,
                                     float eps, const CvDist *d, double *work);
void cv_batchnorm_backward_dist(float *dx, float *dgamma, float *dbeta, const float *dy,
                                const float *xhat, const float *rstd, const float *gamma, size_t N,
                                size_t C, const CvDist *d, double *work);

#endif
