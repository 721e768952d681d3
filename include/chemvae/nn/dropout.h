/* dropout.h — inverted dropout with a stored mask, seeded by the caller's CvRng.
 *
 * Forward: mask_i = 0 with probability p, else 1/(1 − p); y = x ⊙ mask (OVERWRITES y,
 * y == x allowed). p == 0 gives mask = 1 and consumes no random numbers (eval mode, or
 * a frozen-randomness gradient check). The mask (n) is the cache read by backward; a
 * caller may also fill it itself and call cv_dropout_apply. Backward ACCUMULATES:
 * dx += dy ⊙ mask. Requires 0 <= p < 1. */
#ifndef CHEMVAE_DROPOUT_H
#define CHEMVAE_DROPOUT_H

#include <stddef.h>

#include "chemvae/core/rng.h"

void cv_dropout_forward(float *y, float *mask, const float *x, size_t n, float p, CvRng *rng);
/* y = x ⊙ mask with a given mask. */
void cv_dropout_apply(float *y, const float *mask, const float *x, size_t n);
void cv_dropout_backward(float *dx, const float *dy, const float *mask, size_t n);

#endif
