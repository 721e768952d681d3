/* dense.h — fully connected layer y = x Wᵀ + b (PyTorch nn.Linear layout).
 *
 * Dimension letters: N rows (batch, or B*T for time-distributed use), In inputs (I in the
 * shape comments; the parameter is spelled In because <complex.h>, pulled in by <cblas.h>,
 * defines I as a macro), O outputs.
 * x (N, I) row-major, W (O, I) row-major as PyTorch stores it, b (O), y (N, O).
 * Forward OVERWRITES y. Backward ACCUMULATES (+=) into dx, dW, db; any of them may be
 * NULL when that gradient is not wanted. No allocation. The _naive twins are plain loops
 * (the executable spec); the others call cblas_sgemm. */
#ifndef CHEMVAE_DENSE_H
#define CHEMVAE_DENSE_H

#include <stddef.h>

/* y (N, O) = x (N, I) · W(O, I)ᵀ + b (O); b may be NULL (no bias). */
void cv_dense_forward(float *y, const float *x, const float *w, const float *b, size_t N, size_t In,
                      size_t O);
void cv_dense_forward_naive(float *y, const float *x, const float *w, const float *b, size_t N,
                            size_t In, size_t O);

/* dx (N, I) += dy W;  dW (O, I) += dyᵀ x;  db (O) += Σ_n dy. dy (N, O). */
void cv_dense_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                       const float *w, size_t N, size_t In, size_t O);
void cv_dense_backward_naive(float *dx, float *dw, float *db, const float *dy, const float *x,
                             const float *w, size_t N, size_t In, size_t O);

#endif
