/* activation.c — element-wise tanh and sigmoid; backward from the forward output.
 * Plain loops over libm (tanhf / expf): these run on small encoder/decoder tensors; the
 * GRU keeps its own fused gate loops. σ(x) is evaluated as 1/(1+e^−x) for x >= 0 and
 * e^x/(1+e^x) otherwise so neither branch overflows. */
#include "chemvae/nn/activation.h"

#include <math.h>

void cv_act_tanh_forward(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}

void cv_act_tanh_backward(float *dx, const float *dy, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]);
}

void cv_act_sigmoid_forward(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        if (v >= 0.0f) {
            y[i] = 1.0f / (1.0f + expf(-v));
        } else {
            float e = expf(v);
            y[i] = e / (1.0f + e);
        }
    }
}

void cv_act_sigmoid_backward(float *dx, const float *dy, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]);
}
