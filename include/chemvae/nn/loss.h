/* loss.h — softmax cross-entropy with a padding mask, Gaussian KL to N(0, I), MSE.
 *
 * Each forward returns the SUM of its per-element terms as a double (callers divide by
 * what they want to average over); each backward ACCUMULATES `scale` × ∂sum/∂input into
 * its gradient arguments (so a mean over B molecules is scale = 1/B, a loss weight β is
 * folded into scale). Gradient arguments may be NULL when not wanted. No allocation. */
#ifndef CHEMVAE_LOSS_H
#define CHEMVAE_LOSS_H

#include <stddef.h>
#include <stdint.h>

/* Softmax cross-entropy over N rows of V logits (e.g. N = T·B decoder positions).
 * logits (N, V); target (N) class ids in [0, V); mask (N) weights, 1 = count, 0 = padding
 * (NULL = all 1). Writes probs (N, V) = softmax(logits) (the cache for backward; rows
 * with mask 0 are still computed) and, if row_loss != NULL, row_loss (N) =
 * −log probs[target] (unweighted). Returns Σ_n mask_n · (−log probs[n, target_n]).
 * Stable: max-subtracted, log-sum-exp. */
double cv_loss_ce_forward(float *probs, float *row_loss, const float *logits, const int32_t *target,
                          const float *mask, size_t N, size_t V);

/* dlogits (N, V) += scale · mask_n · (probs − onehot(target)). */
void cv_loss_ce_backward(float *dlogits, const float *probs, const int32_t *target,
                         const float *mask, size_t N, size_t V, float scale);

/* KL(N(mu, exp(logvar)) ‖ N(0, 1)) summed over n elements (n = B·Z):
 * Σ −½ (1 + logvar − mu² − exp(logvar)). */
double cv_loss_kl_forward(const float *mu, const float *logvar, size_t n);

/* dmu += scale · mu;  dlogvar += scale · ½ (exp(logvar) − 1). */
void cv_loss_kl_backward(float *dmu, float *dlogvar, const float *mu, const float *logvar, size_t n,
                         float scale);

/* Σ w_i (pred_i − target_i)² over n elements; weight (n) may be NULL (all 1), e.g. 0 for
 * a missing property value. */
double cv_loss_mse_forward(const float *pred, const float *target, const float *weight, size_t n);

/* dpred += scale · 2 w_i (pred_i − target_i). */
void cv_loss_mse_backward(float *dpred, const float *pred, const float *target, const float *weight,
                          size_t n, float scale);

#endif
