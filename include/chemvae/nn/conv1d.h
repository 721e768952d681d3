/* conv1d.h — 1-D convolution, valid padding, stride 1, channels-last activations.
 *
 * Dimension letters: B batch, L input length, Cin / Cout channels, K kernel width,
 * Lo = L - K + 1 output length (requires L >= K).
 * x (B, L, Cin) channels-last (the encoder input is the one-hot (B, T, V) as is);
 * W (Cout, Cin, K) exactly as PyTorch nn.Conv1d stores it; b (Cout); y (B, Lo, Cout).
 * y[b, t, o] = b[o] + Σ_{c,k} W[o, c, k] · x[b, t + k, c]   (PyTorch cross-correlation).
 *
 * Fast path: im2col + one sgemm. col (B·Lo, K·Cin) holds row (b, t) = x[b, t .. t+K, :]
 * (contiguous copies thanks to channels-last), multiplied by W permuted to (Cout, K, Cin).
 * The caller owns two buffers sized by the helpers below, allocated once for the largest
 * B: `col` is written by forward and read by backward (keep it between the two), and
 * `scratch` is free working space for either call.
 * Forward OVERWRITES y. Backward ACCUMULATES into dx, dW, db; each may be NULL. */
#ifndef CHEMVAE_CONV1D_H
#define CHEMVAE_CONV1D_H

#include <stddef.h>

/* Floats needed for `col`: B·Lo·K·Cin. */
size_t cv_conv1d_col_len(size_t B, size_t L, size_t Cin, size_t K);
/* Floats needed for `scratch`: B·Lo·K·Cin + 2·Cout·K·Cin. */
size_t cv_conv1d_scratch_len(size_t B, size_t L, size_t Cin, size_t Cout, size_t K);

/* y (B, Lo, Cout) = conv(x (B, L, Cin), W (Cout, Cin, K)) + b; b may be NULL.
 * Fills col (cv_conv1d_col_len) for the backward pass; uses scratch. */
void cv_conv1d_forward(float *y, float *col, float *scratch, const float *x, const float *w,
                       const float *b, size_t B, size_t L, size_t Cin, size_t Cout, size_t K);

/* dx (B, L, Cin) += ∂/∂x, dW (Cout, Cin, K) += ∂/∂W, db (Cout) += Σ dy, from
 * dy (B, Lo, Cout) and the `col` filled by the matching forward; uses scratch. */
void cv_conv1d_backward(float *dx, float *dw, float *db, float *scratch, const float *dy,
                        const float *col, const float *w, size_t B, size_t L, size_t Cin,
                        size_t Cout, size_t K);

/* Plain-loop twins (no col, no scratch). Same contracts; backward reads x directly. */
void cv_conv1d_forward_naive(float *y, const float *x, const float *w, const float *b, size_t B,
                             size_t L, size_t Cin, size_t Cout, size_t K);
void cv_conv1d_backward_naive(float *dx, float *dw, float *db, const float *dy, const float *x,
                              const float *w, size_t B, size_t L, size_t Cin, size_t Cout,
                              size_t K);

#endif
