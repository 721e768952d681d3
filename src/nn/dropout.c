/* dropout.c — inverted dropout: the stored mask is 0 or 1/(1−p), so evaluation needs no
 * rescaling and backward is one multiply. Randomness comes only from the caller's CvRng
 * (one uniform per element), so a run is reproducible from its seed. */
#include "chemvae/nn/dropout.h"

void cv_dropout_forward(float *y, float *mask, const float *x, size_t n, float p, CvRng *rng) {
    if (p <= 0.0f) {
        for (size_t i = 0; i < n; i++) mask[i] = 1.0f;
    } else {
        float keep = 1.0f / (1.0f - p);
        for (size_t i = 0; i < n; i++) mask[i] = cv_rng_uniform(rng) < p ? 0.0f : keep;
    }
    cv_dropout_apply(y, mask, x, n);
}

void cv_dropout_apply(float *y, const float *mask, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] * mask[i];
}

void cv_dropout_backward(float *dx, const float *dy, const float *mask, size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] += dy[i] * mask[i];
}
