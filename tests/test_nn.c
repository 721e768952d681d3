/* test_nn.c — nn ops beyond gradients: fast vs naive agreement on random shapes,
 * accumulate (+=) and NULL-gradient semantics, GRU saturation / NaN behaviour of the
 * vectorized gate math, GRU batched inference == training forward (both packed-GEMM
 * kernels, row ranges, row swaps), the packed GEMM against a plain loop,
 * batchnorm running statistics and eval mode, Adam against a double-precision reference
 * and gradient-norm clipping, and the parameter table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/nn/adam.h"
#include "chemvae/nn/batchnorm.h"
#include "chemvae/nn/conv1d.h"
#include "chemvae/nn/dense.h"
#include "chemvae/nn/gemm_packed.h"
#include "chemvae/nn/gru.h"
#include "chemvae/nn/params.h"
#include "chemvae/core/rng.h"
#include "support/gradcheck.h"

static float *fvec(size_t n, float a, unsigned long long seed) {
    float *x = malloc(n * sizeof(float));
    gc_fill_uniform(x, n, a, seed);
    return x;
}

static float *dup(const float *x, size_t n) {
    float *y = malloc(n * sizeof(float));
    memcpy(y, x, n * sizeof(float));
    return y;
}

/* |a − b| <= tol · (1 + |b|) elementwise. */
static void expect_close(const char *what, const float *a, const float *b, size_t n, float tol) {
    float worst = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float e = fabsf(a[i] - b[i]) / (1.0f + fabsf(b[i]));
        if (!(e <= worst)) worst = e;
    }
    if (!(worst <= tol)) fprintf(stderr, "%s: max scaled diff %.3e > %.1e\n", what, worst, tol);
    assert_true(worst <= tol);
}

static size_t rand_in(CvRng *r, size_t lo, size_t hi) {
    return lo + (size_t)cv_rng_below(r, hi - lo + 1);
}

/* ---- dense and conv1d: fast == naive, and backward accumulates ------------------------ */

static void test_dense_fast_vs_naive(void **state) {
    (void)state;
    CvRng rng;
    cv_rng_init(&rng, 100);
    for (int trial = 0; trial < 20; trial++) {
        size_t N = rand_in(&rng, 1, 40), In = rand_in(&rng, 1, 70), O = rand_in(&rng, 1, 50);
        float *x = fvec(N * In, 1, trial), *w = fvec(O * In, 1, trial + 50);
        float *b = fvec(O, 1, trial + 90), *dy = fvec(N * O, 1, trial + 130);
        float *y1 = malloc(N * O * sizeof(float)), *y2 = malloc(N * O * sizeof(float));
        const float *bias = trial % 3 ? b : NULL;
        cv_dense_forward(y1, x, w, bias, N, In, O);
        cv_dense_forward_naive(y2, x, w, bias, N, In, O);
        expect_close("dense y", y1, y2, N * O, 1e-5f);
        /* start from the same non-zero gradients: both must add, not overwrite */
        float *g0x = fvec(N * In, 1, 7), *g0w = fvec(O * In, 1, 8), *g0b = fvec(O, 1, 9);
        float *dx1 = dup(g0x, N * In), *dw1 = dup(g0w, O * In), *db1 = dup(g0b, O);
        float *dx2 = dup(g0x, N * In), *dw2 = dup(g0w, O * In), *db2 = dup(g0b, O);
        cv_dense_backward(dx1, dw1, db1, dy, x, w, N, In, O);
        cv_dense_backward_naive(dx2, dw2, db2, dy, x, w, N, In, O);
        expect_close("dense dx", dx1, dx2, N * In, 1e-5f);
        expect_close("dense dw", dw1, dw2, O * In, 1e-5f);
        expect_close("dense db", db1, db2, O, 1e-5f);
        /* accumulation: (g0 + grad) − g0 == grad from zero; NULL skips */
        float *dxz = calloc(N * In, sizeof(float));
        cv_dense_backward(dxz, NULL, NULL, dy, x, w, N, In, O);
        for (size_t i = 0; i < N * In; i++) dxz[i] += g0x[i];
        expect_close("dense accumulate", dx1, dxz, N * In, 1e-5f);
        free(x), free(w), free(b), free(dy), free(y1), free(y2), free(g0x), free(g0w), free(g0b);
        free(dx1), free(dw1), free(db1), free(dx2), free(dw2), free(db2), free(dxz);
    }
}

static void test_conv1d_fast_vs_naive(void **state) {
    (void)state;
    CvRng rng;
    cv_rng_init(&rng, 101);
    for (int trial = 0; trial < 20; trial++) {
        size_t B = rand_in(&rng, 1, 5), K = rand_in(&rng, 1, 11), L = K + rand_in(&rng, 0, 30);
        size_t Cin = rand_in(&rng, 1, 12), Cout = rand_in(&rng, 1, 12), Lo = L - K + 1;
        size_t nx = B * L * Cin, nw = Cout * Cin * K, ny = B * Lo * Cout;
        float *x = fvec(nx, 1, trial), *w = fvec(nw, 1, trial + 40), *b = fvec(Cout, 1, trial + 80);
        float *dy = fvec(ny, 1, trial + 120);
        float *col = malloc(cv_conv1d_col_len(B, L, Cin, K) * sizeof(float));
        float *scr = malloc(cv_conv1d_scratch_len(B, L, Cin, Cout, K) * sizeof(float));
        float *y1 = malloc(ny * sizeof(float)), *y2 = malloc(ny * sizeof(float));
        cv_conv1d_forward(y1, col, scr, x, w, b, B, L, Cin, Cout, K);
        cv_conv1d_forward_naive(y2, x, w, b, B, L, Cin, Cout, K);
        expect_close("conv y", y1, y2, ny, 1e-5f);
        float *dx1 = fvec(nx, 1, 1), *dw1 = fvec(nw, 1, 2), *db1 = fvec(Cout, 1, 3);
        float *dx2 = dup(dx1, nx), *dw2 = dup(dw1, nw), *db2 = dup(db1, Cout);
        cv_conv1d_backward(dx1, dw1, db1, scr, dy, col, w, B, L, Cin, Cout, K);
        cv_conv1d_backward_naive(dx2, dw2, db2, dy, x, w, B, L, Cin, Cout, K);
        expect_close("conv dx", dx1, dx2, nx, 1e-5f);
        expect_close("conv dw", dw1, dw2, nw, 1e-5f);
        expect_close("conv db", db1, db2, Cout, 1e-5f);
        cv_conv1d_backward(NULL, NULL, NULL, scr, dy, col, w, B, L, Cin, Cout, K);
        free(x), free(w), free(b), free(dy), free(col), free(scr), free(y1), free(y2);
        free(dx1), free(dw1), free(db1), free(dx2), free(dw2), free(db2);
    }
}

/* ---- GRU: fast == naive on random shapes and both modes; inference == forward -------- */

typedef struct {
    GruConfig cfg;
    Gru g;
    NnParams p;
    GruWeights w, dw;
    size_t first;
} GruRig;

static void rig_init(GruRig *r, const GruConfig *cfg, unsigned long long seed) {
    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    assert_int_equal(cv_gru_init(&r->g, cfg, NULL), CV_OK);
    assert_int_equal(cv_gru_params_add(&r->p, "dec.gru", cfg, &r->first, NULL), CV_OK);
    assert_int_equal(cv_nn_params_alloc(&r->p, NN_PARAMS_GRAD, NULL), CV_OK);
    gc_fill_uniform(r->p.data, r->p.total, 1.0f / sqrtf((float)cfg->hidden), seed);
    cv_gru_params_bind(&r->w, &r->dw, &r->p, r->first, cfg->layers);
}

static void rig_free(GruRig *r) {
    cv_gru_free(&r->g);
    cv_nn_params_free(&r->p);
}

static void test_gru_fast_vs_naive(void **state) {
    (void)state;
    CvRng rng;
    cv_rng_init(&rng, 102);
    for (int trial = 0; trial < 18; trial++) {
        /* dense; token mode; token mode with c in every layer and the token in the last */
        int tokens = trial % 3 != 0, all = trial % 3 == 2;
        size_t L = rand_in(&rng, 1, 3), B = rand_in(&rng, 1, 6), T = rand_in(&rng, 1, 7);
        /* H up to 40 covers the 16-wide vector blocks and their tails */
        size_t H = rand_in(&rng, 1, 40), D = rand_in(&rng, 0, 5), V = rand_in(&rng, 1, 6);
        size_t In = tokens ? D + V : rand_in(&rng, 1, 8);
        GruConfig cfg = {L, In, H, tokens ? D : 0, tokens ? V : 0, B + 2, T + 1, all};
        GruRig r;
        rig_init(&r, &cfg, trial);
        float *x = fvec(T * B * In, 1, trial), *c = fvec(B * (D + 1), 1, trial + 1);
        float *h0 = fvec(L * B * H, 1, trial + 2), *dout = fvec(T * B * H, 1, trial + 3);
        int32_t *tok = malloc(T * B * sizeof(int32_t));
        for (size_t i = 0; i < T * B; i++) tok[i] = (int32_t)cv_rng_below(&rng, V);
        const float *h0p = trial % 3 ? h0 : NULL;
        size_t ny = T * B * H;
        float *y1 = malloc(ny * sizeof(float));
        if (tokens) cv_gru_forward_tokens(&r.g, &r.w, c, tok, h0p, B, T);
        else cv_gru_forward(&r.g, &r.w, x, h0p, B, T);
        memcpy(y1, cv_gru_output(&r.g), ny * sizeof(float));
        float *g1 = fvec(r.p.total, 1, 5);
        memcpy(r.p.grad, g1, r.p.total * sizeof(float));
        float *dx1 = fvec(T * B * In, 1, 6), *dc1 = fvec(B * (D + 1), 1, 7),
              *dh1 = fvec(L * B * H, 1, 8);
        float *dx2 = dup(dx1, T * B * In), *dc2 = dup(dc1, B * (D + 1)), *dh2 = dup(dh1, L * B * H);
        if (tokens) cv_gru_backward_tokens(&r.g, &r.w, &r.dw, c, tok, dout, dc1, dh1);
        else cv_gru_backward(&r.g, &r.w, &r.dw, x, dout, dx1, dh1);
        float *gw1 = dup(r.p.grad, r.p.total);
        memcpy(r.p.grad, g1, r.p.total * sizeof(float));
        if (tokens) cv_gru_forward_tokens_naive(&r.g, &r.w, c, tok, h0p, B, T);
        else cv_gru_forward_naive(&r.g, &r.w, x, h0p, B, T);
        expect_close("gru y", y1, cv_gru_output(&r.g), ny, 1e-5f);
        if (tokens) cv_gru_backward_tokens_naive(&r.g, &r.w, &r.dw, c, tok, dout, dc2, dh2);
        else cv_gru_backward_naive(&r.g, &r.w, &r.dw, x, dout, dx2, dh2);
        expect_close("gru dW", gw1, r.p.grad, r.p.total, 1e-5f);
        expect_close("gru dx", dx1, dx2, T * B * In, 1e-5f);
        expect_close("gru dc", dc1, dc2, B * (D + 1), 1e-5f);
        expect_close("gru dh0", dh1, dh2, L * B * H, 1e-5f);
        /* NULL gradients are skipped (runs clean under ASan) */
        if (tokens) cv_gru_backward_tokens(&r.g, &r.w, NULL, c, tok, dout, NULL, NULL);
        else cv_gru_backward(&r.g, &r.w, NULL, x, dout, NULL, NULL);
        rig_free(&r);
        free(x), free(c), free(h0), free(dout), free(tok), free(y1), free(g1), free(gw1);
        free(dx1), free(dc1), free(dh1), free(dx2), free(dc2), free(dh2);
    }
}

/* Huge weights push every gate far into its tails: the vector exp/tanh must stay finite
 * and bounded (|h| <= 1 when |h0| <= 1) and agree with libm's; a NaN input propagates. */
static void test_gru_saturation_and_nan(void **state) {
    (void)state;
    size_t L = 2, B = 3, T = 5, H = 37, In = 6;
    GruConfig cfg = {L, In, H, 0, 0, B, T, 0};
    GruRig r;
    rig_init(&r, &cfg, 77);
    for (size_t i = 0; i < r.p.total; i++) r.p.data[i] *= 60.0f;
    float *x = fvec(T * B * In, 3, 78), *y = malloc(T * B * H * sizeof(float));
    cv_gru_forward(&r.g, &r.w, x, NULL, B, T);
    memcpy(y, cv_gru_output(&r.g), T * B * H * sizeof(float));
    for (size_t i = 0; i < T * B * H; i++) assert_true(isfinite(y[i]) && fabsf(y[i]) <= 1.0f);
    cv_gru_forward_naive(&r.g, &r.w, x, NULL, B, T);
    /* preactivations of size ~1e3 summed in a different order: compare loosely */
    expect_close("gru saturated y", y, cv_gru_output(&r.g), T * B * H, 2e-3f);
    x[0] = NAN;
    cv_gru_forward(&r.g, &r.w, x, NULL, B, T);
    assert_true(isnan(cv_gru_output(&r.g)[0]));
    rig_free(&r);
    free(x), free(y);
}

static void test_gru_inference_matches_forward(void **state) {
    (void)state;
    static const NnPackKind kinds[] = {NN_PACK_AUTO, NN_PACK_AVX2, NN_PACK_GENERIC};
    for (int run = 0; run < 9; run++) {
        int tokens = run % 3 != 0, all = run % 3 == 2; /* dense, token, token with const_all */
        size_t L = 3, B = 4, T = 6, H = run < 3 ? 7 : 29, D = 3, V = 5, In = tokens ? D + V : 4;
        GruConfig cfg = {L, In, H, tokens ? D : 0, tokens ? V : 0, B, T, all};
        GruRig r;
        rig_init(&r, &cfg, 33 + (unsigned)run);
        r.g.pack_kind = kinds[run / 3];
        float *x = fvec(T * B * In, 1, 1), *c = fvec(B * D, 1, 2), *h0 = fvec(L * B * H, 1, 3);
        int32_t tok[6 * 4];
        for (size_t i = 0; i < T * B; i++) tok[i] = (int32_t)((i * 3 + 2) % V);
        if (tokens) cv_gru_forward_tokens(&r.g, &r.w, c, tok, h0, B, T);
        else cv_gru_forward(&r.g, &r.w, x, h0, B, T);
        cv_gru_infer_begin(&r.g, &r.w, c, h0, B);
        for (size_t t = 0; t < T; t++) {
            const float *h = tokens ? cv_gru_infer_step_tokens(&r.g, &r.w, tok + t * B)
                                    : cv_gru_infer_step(&r.g, &r.w, x + t * B * In);
            expect_close("gru infer step", h, cv_gru_output(&r.g) + t * B * H, B * H, 1e-6f);
        }
        /* the lower layers' states equal the training caches at T too */
        for (size_t l = 0; l < L; l++)
            expect_close("gru infer state", cv_gru_infer_state(&r.g) + l * B * H,
                         r.g.h[l] + T * B * H, B * H, 1e-6f);
        rig_free(&r);
        free(x), free(c), free(h0);
    }
}

/* Token-mode inference by row ranges, and with rows swapped mid-run (what the decoder
 * does with finished rows), equals stepping the whole batch in its original order. */
static void rows_and_swaps(int all) {
    size_t L = 2, B = 7, T = 5, H = 21, D = 3, V = 6;
    GruConfig cfg = {L, D + V, H, D, V, B, T, all};
    GruRig r;
    rig_init(&r, &cfg, 91);
    float *c = fvec(B * D, 1, 4), *ref = malloc(T * B * H * sizeof(float));
    int32_t tok[5 * 7], cur[7];
    size_t pos_of[7], row_at[7];
    for (size_t i = 0; i < T * B; i++) tok[i] = (int32_t)((i * 5 + 1) % V);
    cv_gru_infer_begin(&r.g, &r.w, c, NULL, B);
    for (size_t t = 0; t < T; t++)
        memcpy(ref + t * B * H, cv_gru_infer_step_tokens(&r.g, &r.w, tok + t * B),
               B * H * sizeof(float));
    /* rows [0, 3) and [3, 7) separately; after each step, a rotation of the positions */
    cv_gru_infer_begin(&r.g, &r.w, c, NULL, B);
    for (size_t b = 0; b < B; b++) pos_of[b] = row_at[b] = b;
    for (size_t t = 0; t < T; t++) {
        for (size_t p = 0; p < B; p++) cur[p] = tok[t * B + row_at[p]];
        const float *h0 = cv_gru_infer_step_tokens_rows(&r.g, &r.w, cur, 0, 3);
        const float *h1 = cv_gru_infer_step_tokens_rows(&r.g, &r.w, cur, 3, B);
        assert_ptr_equal(h1, h0 + 3 * H);
        for (size_t b = 0; b < B; b++)
            expect_close("gru rows step", h0 + pos_of[b] * H, ref + (t * B + b) * H, H, 1e-6f);
        size_t i = t % B, j = (t * 3 + 2) % B;
        cv_gru_infer_swap_rows(&r.g, i, j);
        size_t ri = row_at[i], rj = row_at[j];
        row_at[i] = rj, row_at[j] = ri, pos_of[rj] = i, pos_of[ri] = j;
    }
    rig_free(&r);
    free(c), free(ref);
}

static void test_gru_inference_rows_and_swaps(void **state) {
    (void)state;
    rows_and_swaps(0);
    rows_and_swaps(1); /* c in every layer: each layer's c projection moves with its row */
}

/* c = a · Wᵀ on packed W against a double loop, for every kernel this CPU runs, on shapes that
 * leave short row blocks and short panels; strided a and c, and nothing outside c is written. */
static void test_gemm_packed_matches_loop(void **state) {
    (void)state;
    static const size_t Ms[] = {1, 3, 8, 9, 17}, Ns[] = {1, 23, 48, 49, 100}, Ks[] = {1, 5, 64};
    for (int kind = NN_PACK_AVX512; kind <= NN_PACK_GENERIC; kind++)
        for (size_t mi = 0; mi < 5; mi++)
            for (size_t ni = 0; ni < 5; ni++)
                for (size_t ki = 0; ki < 3; ki++) {
                    size_t M = Ms[mi], N = Ns[ni], K = Ks[ki], lda = K + 3, ldw = K + 1,
                           ldc = N + 2;
                    float *a = fvec(M * lda, 1, 10 + mi), *w = fvec(N * ldw, 1, 20 + ni);
                    float *c = malloc((M + 1) * ldc * sizeof(float));
                    float *store = malloc(cv_nn_packed_floats(N, K) * sizeof(float));
                    for (size_t i = 0; i < (M + 1) * ldc; i++) c[i] = 777.0f;
                    NnPacked p;
                    cv_nn_pack_weights(&p, store, w, ldw, N, K, (NnPackKind)kind);
                    assert_true(p.kernel >= (NnPackKind)kind); /* never above the request */
                    cv_nn_gemm_packed(c, ldc, a, lda, &p, M);
                    for (size_t i = 0; i < M; i++) {
                        for (size_t n = 0; n < N; n++) {
                            double ref = 0;
                            for (size_t k = 0; k < K; k++)
                                ref += (double)a[i * lda + k] * w[n * ldw + k];
                            assert_true(fabs(c[i * ldc + n] - ref) <= 1e-5 * (1 + fabs(ref)));
                        }
                        for (size_t n = N; n < ldc; n++) assert_true(c[i * ldc + n] == 777.0f);
                    }
                    for (size_t n = 0; n < ldc; n++) assert_true(c[M * ldc + n] == 777.0f);
                    cv_nn_gemm_packed(c, ldc, a, lda, &p, 0); /* M = 0: nothing */
                    free(a), free(w), free(c), free(store);
                }
}

/* ---- batchnorm: running statistics, eval mode ----------------------------------------- */

static void test_batchnorm_running_and_eval(void **state) {
    (void)state;
    size_t N = 6, C = 2;
    float x[12] = {1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60};
    float y[12], xhat[12], mean[2], rstd[2], rm[2] = {0, 0}, rv[2] = {1, 1};
    float gamma[2] = {2, 1}, beta[2] = {0.5f, -1};
    cv_batchnorm_forward_train(y, xhat, mean, rstd, rm, rv, x, gamma, beta, N, C, 0.1f, 1e-5f);
    assert_true(fabsf(mean[0] - 3.5f) < 1e-6f && fabsf(mean[1] - 35.0f) < 1e-5f);
    /* biased var for normalization, unbiased for the running estimate (PyTorch) */
    assert_true(fabsf(rstd[0] - 1.0f / sqrtf(17.5f / 6 + 1e-5f)) < 1e-6f);
    assert_true(fabsf(rm[0] - 0.35f) < 1e-6f && fabsf(rv[0] - (0.9f + 0.1f * 3.5f)) < 1e-6f);
    double s = 0, s2 = 0;
    for (size_t n = 0; n < N; n++) {
        s += y[n * C];
        s2 += ((double)y[n * C] - 0.5) * (y[n * C] - 0.5);
    }
    assert_true(fabs(s / N - 0.5) < 1e-5 && fabs(s2 / N - 4.0) < 1e-3);
    /* eval with running stats == train normalization when they equal the batch stats */
    float bm[2] = {3.5f, 35.0f}, bv[2] = {17.5f / 6, 1750.0f / 6}, ye[12];
    cv_batchnorm_forward_eval(ye, x, gamma, beta, bm, bv, N, C, 1e-5f);
    expect_close("bn eval", ye, y, 12, 1e-5f);
}

/* ---- Adam and clipping --------------------------------------------------------------- */

static void test_adam_reference_and_clipping(void **state) {
    (void)state;
    NnParams p;
    cv_nn_params_init(&p);
    size_t a, b;
    assert_int_equal(cv_nn_params_add(&p, "a", 1, (size_t[]){3}, &a, NULL), CV_OK);
    assert_int_equal(cv_nn_params_add(&p, "b", 2, (size_t[]){2, 2}, &b, NULL), CV_OK);
    assert_int_equal(cv_nn_params_alloc(&p, NN_PARAMS_GRAD | NN_PARAMS_ADAM, NULL), CV_OK);
    float w0[7] = {0.5f, -1, 2, 0.1f, 0.2f, -0.3f, 0.4f}, g[7] = {3, -4, 0, 1, 2, -2, 0.5f};
    memcpy(cv_nn_params_data(&p, a), w0, 3 * sizeof(float));
    memcpy(cv_nn_params_data(&p, b), w0 + 3, 4 * sizeof(float));
    AdamConfig cfg = cv_adam_default_config();
    cfg.lr = 0.01f;
    cfg.clip_norm = 2.0f;
    cfg.weight_decay = 0.1f;
    double m[7] = {0}, v[7] = {0}, w[7];
    for (int i = 0; i < 7; i++) w[i] = w0[i];
    double gn = 0;
    for (int i = 0; i < 7; i++) gn += (double)g[i] * g[i];
    gn = sqrt(gn);
    for (long t = 1; t <= 3; t++) {
        memcpy(cv_nn_params_grad(&p, a), g, 3 * sizeof(float));
        memcpy(cv_nn_params_grad(&p, b), g + 3, 4 * sizeof(float));
        double norm = cv_adam_step(&p, &cfg, t);
        assert_true(fabs(norm - gn) < 1e-5);
        for (int i = 0; i < 7; i++) { /* double-precision reference of the documented rule */
            double gi = g[i] * (2.0 / gn);
            m[i] = 0.9 * m[i] + 0.1 * gi;
            v[i] = 0.999 * v[i] + 0.001 * gi * gi;
            double mh = m[i] / (1 - pow(0.9, t)), vh = v[i] / (1 - pow(0.999, t));
            w[i] -= 0.01 * mh / (sqrt(vh) + 1e-8) + 0.01 * 0.1 * w[i];
        }
    }
    float got[7];
    memcpy(got, cv_nn_params_data(&p, a), 3 * sizeof(float));
    memcpy(got + 3, cv_nn_params_data(&p, b), 4 * sizeof(float));
    for (int i = 0; i < 7; i++) assert_true(fabs(got[i] - w[i]) < 1e-6);
    /* the alignment gap stays zero */
    for (size_t i = 3; i < p.info[b].off; i++) assert_true(p.data[i] == 0.0f);
    /* a non-finite gradient updates nothing */
    float before[7];
    memcpy(before, got, sizeof before);
    cv_nn_params_grad(&p, a)[0] = NAN;
    assert_false(isfinite(cv_adam_step(&p, &cfg, 4)));
    assert_memory_equal(cv_nn_params_data(&p, a), before, 3 * sizeof(float));
    cv_nn_params_free(&p);
}

static void test_adam_minimizes_quadratic(void **state) {
    (void)state;
    float w[4] = {3, -2, 1, 5}, m[4] = {0}, v[4] = {0}, g[4];
    AdamConfig cfg = cv_adam_default_config();
    cfg.lr = 0.05f;
    for (long t = 1; t <= 2000; t++) {
        for (int i = 0; i < 4; i++) g[i] = 2.0f * (w[i] - (float)i);
        cv_adam_update(w, m, v, g, 4, 1.0f, &cfg, t);
    }
    for (int i = 0; i < 4; i++) assert_true(fabsf(w[i] - (float)i) < 1e-2f);
}

/* ---- parameter table ------------------------------------------------------------------ */

static void test_params_table(void **state) {
    (void)state;
    NnParams p;
    cv_nn_params_init(&p);
    CvError err;
    size_t id1, id2;
    assert_int_equal(cv_nn_params_add(&p, "enc.conv1.w", 3, (size_t[]){9, 35, 9}, &id1, &err),
                     CV_OK);
    assert_int_equal(cv_nn_params_add(&p, "enc.conv1.b", 1, (size_t[]){9}, &id2, &err), CV_OK);
    assert_int_equal(cv_nn_params_add(&p, "enc.conv1.b", 1, (size_t[]){9}, NULL, &err),
                     CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "duplicate"));
    assert_int_equal(cv_nn_params_add(&p, "zero", 2, (size_t[]){3, 0}, NULL, &err), CV_ERR_INVALID);
    assert_int_equal(cv_nn_params_alloc(&p, NN_PARAMS_GRAD, &err), CV_OK);
    assert_int_equal(cv_nn_params_add(&p, "late", 1, (size_t[]){1}, NULL, &err), CV_ERR_INVALID);
    assert_int_equal(p.info[id1].n, 9 * 35 * 9);
    assert_int_equal(p.info[id2].off % 16, 0);
    assert_true(p.info[id2].off >= p.info[id1].n);
    assert_int_equal(cv_nn_params_find(&p, "enc.conv1.b"), (long)id2);
    assert_int_equal(cv_nn_params_find(&p, "nope"), -1);
    assert_true((uintptr_t)cv_nn_params_data(&p, id2) % 64 == 0);
    assert_true(cv_nn_params_grad(&p, id2) - p.grad == cv_nn_params_data(&p, id2) - p.data);
    assert_null(p.m);
    CvRng rng;
    cv_rng_init(&rng, 3);
    cv_nn_params_fill_uniform(&p, id1, &rng, 0.1f);
    cv_nn_params_fill(&p, id2, 1.0f);
    for (size_t i = 0; i < p.info[id1].n; i++)
        assert_true(fabsf(cv_nn_params_data(&p, id1)[i]) <= 0.1f);
    assert_true(cv_nn_params_data(&p, id2)[8] == 1.0f);
    cv_nn_params_free(&p);
    cv_nn_params_free(&p); /* safe twice */
    GruConfig bad = {5, 4, 3, 0, 0, 2, 2, 0};
    Gru g;
    assert_int_equal(cv_gru_init(&g, &bad, &err), CV_ERR_INVALID);
    cv_gru_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_fast_vs_naive),
        cmocka_unit_test(test_conv1d_fast_vs_naive),
        cmocka_unit_test(test_gru_fast_vs_naive),
        cmocka_unit_test(test_gru_saturation_and_nan),
        cmocka_unit_test(test_gru_inference_matches_forward),
        cmocka_unit_test(test_gru_inference_rows_and_swaps),
        cmocka_unit_test(test_gemm_packed_matches_loop),
        cmocka_unit_test(test_batchnorm_running_and_eval),
        cmocka_unit_test(test_adam_reference_and_clipping),
        cmocka_unit_test(test_adam_minimizes_quadratic),
        cmocka_unit_test(test_params_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
