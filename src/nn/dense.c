/* dense.c — y = x Wᵀ + b with W in PyTorch's (O, In) layout.
 *
 * Fast path: one cblas_sgemm per product (row-major, W used transposed in forward, as is
 * in dx = dy W, and dyᵀ x for dW with beta = 1 so gradients accumulate). The bias is
 * broadcast into y first and the sgemm adds onto it (beta = 1), saving a pass.
 * The _naive twins are the plain triple loops with double accumulation. */
#include "chemvae/nn/dense.h"

#include <cblas.h>
#include <string.h>

void cv_dense_forward(float *y, const float *x, const float *w, const float *b, size_t N, size_t In,
                      size_t O) {
    if (b)
        for (size_t n = 0; n < N; n++) memcpy(y + n * O, b, O * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, (int)O, (int)In, 1.0f, x, (int)In,
                w, (int)In, b ? 1.0f : 0.0f, y, (int)O);
}

void cv_dense_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                       const float *w, size_t N, size_t In, size_t O) {
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)In, (int)O, 1.0f, dy,
                    (int)O, w, (int)In, 1.0f, dx, (int)In);
    if (dw)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)O, (int)In, (int)N, 1.0f, dy,
                    (int)O, x, (int)In, 1.0f, dw, (int)In);
    if (db)
        for (size_t n = 0; n < N; n++)
            for (size_t o = 0; o < O; o++) db[o] += dy[n * O + o];
}

void cv_dense_forward_naive(float *y, const float *x, const float *w, const float *b, size_t N,
                            size_t In, size_t O) {
    for (size_t n = 0; n < N; n++)
        for (size_t o = 0; o < O; o++) {
            double s = b ? b[o] : 0.0;
            for (size_t i = 0; i < In; i++) s += (double)x[n * In + i] * w[o * In + i];
            y[n * O + o] = (float)s;
        }
}

void cv_dense_backward_naive(float *dx, float *dw, float *db, const float *dy, const float *x,
                             const float *w, size_t N, size_t In, size_t O) {
    for (size_t n = 0; n < N; n++)
        for (size_t o = 0; o < O; o++) {
            float g = dy[n * O + o];
            if (db) db[o] += g;
            for (size_t i = 0; i < In; i++) {
                if (dx) dx[n * In + i] += g * w[o * In + i];
                if (dw) dw[o * In + i] += g * x[n * In + i];
            }
        }
}
