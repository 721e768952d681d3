/* adam.h — Adam (Kingma & Ba, PyTorch's formulation, optional decoupled weight decay as
 * AdamW) with global gradient-norm clipping, on flat arrays.
 *
 * cv_adam_step treats the NnParams table as one flat array: it computes the global L2 norm
 * of grad[0..total) (double accumulation), scales the gradient by
 * min(1, clip_norm / norm) when clip_norm > 0 (PyTorch clip_grad_norm_ semantics), then
 * updates data, m, v in place. It does NOT zero the gradient. No allocation.
 * Update for step t (1-based), g the clipped gradient:
 *   m = β1 m + (1 − β1) g;  v = β2 v + (1 − β2) g²
 *   w −= lr · (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + eps) + lr · weight_decay · w */
#ifndef CHEMVAE_ADAM_H
#define CHEMVAE_ADAM_H

#include <stddef.h>

#include "chemvae/nn/params.h"

typedef struct {
    float lr;           /* e.g. 4e-4 */
    float beta1, beta2; /* e.g. 0.9, 0.999 */
    float eps;          /* e.g. 1e-8 */
    float weight_decay; /* decoupled (AdamW); 0 = plain Adam */
    float clip_norm;    /* global L2 clip threshold; <= 0 = no clipping */
} AdamConfig;

/* PyTorch defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no decay, no clipping. */
AdamConfig cv_adam_default_config(void);

/* Global L2 norm of g[0..n) (double accumulation). */
double cv_adam_grad_norm(const float *g, size_t n);

/* One update of w, m, v (n) from gradient g multiplied by gscale; t >= 1. */
void cv_adam_update(float *w, float *m, float *v, const float *g, size_t n, float gscale,
                    const AdamConfig *cfg, long t);

/* Clip + update the whole table (needs NN_PARAMS_GRAD | NN_PARAMS_ADAM); t >= 1.
 * Returns the gradient norm BEFORE clipping. If that norm is not finite, nothing is
 * updated and the non-finite norm is returned (the caller decides: skip batch or stop). */
double cv_adam_step(NnParams *p, const AdamConfig *cfg, long t);

#endif
