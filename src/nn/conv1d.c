/* conv1d.c — valid, stride-1 1-D convolution on channels-last activations, as im2col + sgemm.
 *
 * With x stored (B, L, Cin), the receptive field of output (b, t) is the contiguous run
 * x[b, t .. t+K, 0 .. Cin), so im2col is one memcpy of K·Cin floats per output row:
 *   col (B·Lo, K·Cin), row (b, t) = x[b, t .. t+K, :]   (column index k·Cin + c).
 * PyTorch's weight (Cout, Cin, K) is permuted into wt (Cout, K, Cin) to match the column
 * order (tiny: Cout·K·Cin floats), then y (B·Lo, Cout) = col · wtᵀ + b is one sgemm.
 * Backward: dwt = dyᵀ col (one sgemm, permuted back and added to dW), dcol = dy · wt (one
 * sgemm) scattered back with col2im (row adds, overlapping windows accumulate).
 * Why not BLAS straight on x with overlapping rows (lda = Cin < K·Cin): BLAS rejects
 * lda < K, and the copy costs far less than the product.
 * Scratch layout: [dcol (B·Lo·K·Cin) | wt (Cout·K·Cin) | dwt (Cout·K·Cin)]. */
#include "chemvae/nn/conv1d.h"

#include <cblas.h>
#include <string.h>

size_t cv_conv1d_col_len(size_t B, size_t L, size_t Cin, size_t K) {
    return B * (L - K + 1) * K * Cin;
}

size_t cv_conv1d_scratch_len(size_t B, size_t L, size_t Cin, size_t Cout, size_t K) {
    return cv_conv1d_col_len(B, L, Cin, K) + 2 * Cout * K * Cin;
}

/* wt (Cout, K, Cin) = permute(W (Cout, Cin, K)). */
static void permute_weights(float *wt, const float *w, size_t Cin, size_t Cout, size_t K) {
    for (size_t o = 0; o < Cout; o++)
        for (size_t c = 0; c < Cin; c++)
            for (size_t k = 0; k < K; k++) wt[(o * K + k) * Cin + c] = w[(o * Cin + c) * K + k];
}

void cv_conv1d_forward(float *y, float *col, float *scratch, const float *x, const float *w,
                       const float *b, size_t B, size_t L, size_t Cin, size_t Cout, size_t K) {
    size_t Lo = L - K + 1, KC = K * Cin, rows = B * Lo;
    float *wt = scratch + cv_conv1d_col_len(B, L, Cin, K);
    permute_weights(wt, w, Cin, Cout, K);
    for (size_t bb = 0; bb < B; bb++)
        for (size_t t = 0; t < Lo; t++)
            memcpy(col + (bb * Lo + t) * KC, x + (bb * L + t) * Cin, KC * sizeof(float));
    if (b)
        for (size_t r = 0; r < rows; r++) memcpy(y + r * Cout, b, Cout * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)Cout, (int)KC, 1.0f, col,
                (int)KC, wt, (int)KC, b ? 1.0f : 0.0f, y, (int)Cout);
}

void cv_conv1d_backward(float *dx, float *dw, float *db, float *scratch, const float *dy,
                        const float *col, const float *w, size_t B, size_t L, size_t Cin,
                        size_t Cout, size_t K) {
    size_t Lo = L - K + 1, KC = K * Cin, rows = B * Lo;
    float *dcol = scratch;
    float *wt = scratch + cv_conv1d_col_len(B, L, Cin, K);
    float *dwt = wt + Cout * KC;
    if (db)
        for (size_t r = 0; r < rows; r++)
            for (size_t o = 0; o < Cout; o++) db[o] += dy[r * Cout + o];
    if (dw) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)Cout, (int)KC, (int)rows, 1.0f,
                    dy, (int)Cout, col, (int)KC, 0.0f, dwt, (int)KC);
        for (size_t o = 0; o < Cout; o++)
            for (size_t c = 0; c < Cin; c++)
                for (size_t k = 0; k < K; k++)
                    dw[(o * Cin + c) * K + k] += dwt[(o * K + k) * Cin + c];
    }
    if (dx) {
        permute_weights(wt, w, Cin, Cout, K);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)KC, (int)Cout, 1.0f,
                    dy, (int)Cout, wt, (int)KC, 0.0f, dcol, (int)KC);
        for (size_t bb = 0; bb < B; bb++)
            for (size_t t = 0; t < Lo; t++) {
                float *dst = dx + (bb * L + t) * Cin;
                const float *src = dcol + (bb * Lo + t) * KC;
                for (size_t i = 0; i < KC; i++) dst[i] += src[i];
            }
    }
}

void cv_conv1d_forward_naive(float *y, const float *x, const float *w, const float *b, size_t B,
                             size_t L, size_t Cin, size_t Cout, size_t K) {
    size_t Lo = L - K + 1;
    for (size_t bb = 0; bb < B; bb++)
        for (size_t t = 0; t < Lo; t++)
            for (size_t o = 0; o < Cout; o++) {
                double s = b ? b[o] : 0.0;
                for (size_t c = 0; c < Cin; c++)
                    for (size_t k = 0; k < K; k++)
                        s += (double)w[(o * Cin + c) * K + k] * x[(bb * L + t + k) * Cin + c];
                y[(bb * Lo + t) * Cout + o] = (float)s;
            }
}

void cv_conv1d_backward_naive(float *dx, float *dw, float *db, const float *dy, const float *x,
                              const float *w, size_t B, size_t L, size_t Cin, size_t Cout,
                              size_t K) {
    size_t Lo = L - K + 1;
    for (size_t bb = 0; bb < B; bb++)
        for (size_t t = 0; t < Lo; t++)
            for (size_t o = 0; o < Cout; o++) {
                float g = dy[(bb * Lo + t) * Cout + o];
                if (db) db[o] += g;
                for (size_t c = 0; c < Cin; c++)
                    for (size_t k = 0; k < K; k++) {
                        size_t wi = (o * Cin + c) * K + k, xi = (bb * L + t + k) * Cin + c;
                        if (dw) dw[wi] += g * x[xi];
                        if (dx) dx[xi] += g * w[wi];
                    }
            }
}
