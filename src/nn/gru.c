/* gru.c — multi-layer GRU (PyTorch equations, gate order r, z, n), time-major.
 *
 * Forward, per layer l with input sequence in (T·B, I_l):
 *   gates[l] (T·B, 3H) = in · W_ihᵀ                     one sgemm for all T
 *   for t: gh (B, 3H) = h_{t−1} · W_hhᵀ                 one sgemm per step
 *          r, z, n, h_t from gates[l][t], gh, b_ih, b_hh  fused element-wise pass
 * Biases are added inside the fused pass (it reads every gate anyway), so no pass is
 * spent broadcasting them. gates[l] is overwritten in place with the activated r, z, n;
 * hn[l] keeps W_hn h_{t−1} + b_hn, the only pre-activation backward needs besides r, z, n.
 * Token mode (layer 0 input [c ; onehot(tok)]): cproj (B, 3H) = c · W_cᵀ in one sgemm and
 * wtok (V, 3H) = the one-hot block of W_ih transposed, so that the gather
 * gates[t, b] = cproj[b] + wtok[tok[t, b]] reads contiguous rows. With const_all every layer
 * has its own cproj (c enters every layer) and the gather happens at the last layer; a
 * layer's input projection is then the sgemm of its h-columns plus those two terms.
 *
 * Backward, per layer from the top down, with dseq (T·B, H) = ∂loss/∂(layer outputs):
 *   for t = T−1 .. 0: with d = dh + dseq[t], gate derivatives into dgx[t] (∂ wrt
 *          W_ih x + b_ih) and dgh[t] (∂ wrt W_hh h + b_hh: equal to dgx except the n
 *          block, which is multiplied by r); dh = d ⊙ z + dgh[t] · W_hh (one sgemm)
 *   after the loop: dW_ih += dgxᵀ · in and dW_hh += dghᵀ · h[l][0..T) (one sgemm each),
 *          bias gradients are column sums (sgemv against a ones vector), and the input
 *          gradient dgx · W_ih (one sgemm) becomes dseq of the layer below (or dx).
 *          Token mode instead sums dgx over t (dsum) for dW_c += dsumᵀ c and
 *          dc += dsum W_c, and scatter-adds dgx rows into dwtok[tok] for the one-hot columns.
 *
 * The fused element-wise passes are the only non-BLAS work in the time loop, so they are
 * written on 16-float GCC/Clang vectors with a polynomial exp (Cephes expf, ~1 ulp) and
 * tanh (odd polynomial below 0.625, 1 − 2/(e^{2x}+1) above), compiled for AVX-512, AVX2
 * and baseline x86-64 with target_clones and picked at load time. No -ffast-math: NaN in
 * gives NaN out, and the _naive twins keep libm's expf/tanhf, so the fast-vs-naive tests
 * also check the approximations.
 * All buffers come from cv_gru_init (sized for max_B, max_T); nothing is allocated after it.
 * Why dgh is a full (T, B, 3H) copy rather than its n block alone: it makes dW_hh one
 * sgemm over contiguous memory; the memory (max_T·max_B·3H floats) is affordable. */
#include "chemvae/nn/gru.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *zalloc(size_t n) {
    size_t bytes = ((n ? n : 1) * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

/* Which parts make layer l's input (token mode): c, the one-hot token. */
static int has_c(const GruConfig *c, size_t l) {
    return c->vocab > 0 && (l == 0 || c->const_all);
}
static int has_tok(const GruConfig *c, size_t l) {
    return c->vocab > 0 && (c->const_all ? l + 1 == c->layers : l == 0);
}
/* First column of the c-part and of the one-hot part in W_ih[l] ([h ; c ; onehot]). */
static size_t col_c(const GruConfig *c, size_t l) {
    return l > 0 ? c->hidden : 0;
}
static size_t col_tok(const GruConfig *c, size_t l) {
    return col_c(c, l) + (has_c(c, l) ? c->const_dim : 0);
}

size_t cv_gru_layer_input(const GruConfig *c, size_t l) {
    if (c->vocab == 0) return l == 0 ? c->input : c->hidden;
    return col_tok(c, l) + (has_tok(c, l) ? c->vocab : 0);
}

CvStatus cv_gru_init(Gru *g, const GruConfig *cfg, CvError *err) {
    memset(g, 0, sizeof *g);
    if (cfg->layers < 1 || cfg->layers > GRU_MAX_LAYERS || cfg->hidden == 0 || cfg->input == 0 ||
        cfg->max_B == 0 || cfg->max_T == 0)
        return cv_error_set(err, CV_ERR_INVALID,
                            "cv_gru_init: bad config (layers %zu, input %zu, hidden %zu, "
                            "max_B %zu, max_T %zu)",
                            cfg->layers, cfg->input, cfg->hidden, cfg->max_B, cfg->max_T);
    if (cfg->vocab > 0 && cfg->input != cfg->const_dim + cfg->vocab)
        return cv_error_set(err, CV_ERR_INVALID,
                            "cv_gru_init: token mode needs input %zu == const_dim %zu + vocab %zu",
                            cfg->input, cfg->const_dim, cfg->vocab);
    if (cfg->const_all && cfg->vocab == 0)
        return cv_error_set(err, CV_ERR_INVALID, "cv_gru_init: const_all needs token mode");
    g->cfg = *cfg;
    size_t B = cfg->max_B, T = cfg->max_T, H = cfg->hidden, L = cfg->layers;
    size_t V = cfg->vocab ? cfg->vocab : 1;
    for (size_t l = 0; l < L; l++) {
        g->h[l] = zalloc((T + 1) * B * H);
        g->gates[l] = zalloc(T * B * 3 * H);
        g->hn[l] = zalloc(T * B * H);
        if (!g->h[l] || !g->gates[l] || !g->hn[l]) goto fail;
    }
    g->wtok = zalloc(V * 3 * H);
    g->dwtok = zalloc(V * 3 * H);
    g->cproj = zalloc(L * B * 3 * H);
    g->ones = zalloc(T * B);
    g->whh_t = zalloc(L * H * 3 * H);
    size_t widest = H;
    for (size_t l = 0; l < L; l++)
        if (cv_gru_layer_input(cfg, l) > widest) widest = cv_gru_layer_input(cfg, l);
    g->wih_t = zalloc(widest * 3 * H);
    g->dgx = zalloc(T * B * 3 * H);
    g->dgh = zalloc(T * B * 3 * H);
    g->dseq = zalloc(T * B * H);
    g->dh = zalloc(B * H);
    g->dsum = zalloc(B * 3 * H);
    g->state = zalloc(L * B * H);
    g->sx = zalloc(B * 3 * H);
    g->sh = zalloc(B * 3 * H);
    g->packed_store = zalloc(2 * L * cv_nn_packed_floats(3 * H, H));
    if (!g->wtok || !g->dwtok || !g->cproj || !g->ones || !g->whh_t || !g->wih_t || !g->dgx ||
        !g->dgh || !g->dseq || !g->dh || !g->dsum || !g->state || !g->sx || !g->sh ||
        !g->packed_store)
        goto fail;
    for (size_t i = 0; i < T * B; i++) g->ones[i] = 1.0f;
    return CV_OK;
fail:
    cv_gru_free(g);
    return cv_error_set(err, CV_ERR_NOMEM, "cv_gru_init: out of memory (B %zu, T %zu, H %zu)", B, T,
                        H);
}

void cv_gru_free(Gru *g) {
    for (size_t l = 0; l < GRU_MAX_LAYERS; l++) {
        free(g->h[l]);
        free(g->gates[l]);
        free(g->hn[l]);
    }
    float *bufs[] = {g->wtok,  g->dwtok, g->cproj, g->ones, g->whh_t,
                     g->wih_t, g->dgx,   g->dgh,   g->dseq, g->dh,
                     g->dsum,  g->state, g->sx,    g->sh,   g->packed_store};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    memset(g, 0, sizeof *g);
}

CvStatus cv_gru_params_add(NnParams *p, const char *prefix, const GruConfig *cfg, size_t *first_id,
                           CvError *err) {
    size_t H = cfg->hidden;
    for (size_t l = 0; l < cfg->layers; l++) {
        size_t In = cv_gru_layer_input(cfg, l);
        static const char *names[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
        size_t shapes[4][2] = {{3 * H, In}, {3 * H, H}, {3 * H, 0}, {3 * H, 0}};
        for (int k = 0; k < 4; k++) {
            char name[NN_PARAM_NAME_MAX];
            int len = snprintf(name, sizeof name, "%s.%s_l%zu", prefix, names[k], l);
            if (len < 0 || (size_t)len >= sizeof name)
                return cv_error_set(err, CV_ERR_INVALID, "cv_gru_params_add: prefix too long: %s",
                                    prefix);
            size_t id;
            CvStatus st = cv_nn_params_add(p, name, k < 2 ? 2 : 1, shapes[k], &id, err);
            if (st) return st;
            if (l == 0 && k == 0 && first_id) *first_id = id;
        }
    }
    return CV_OK;
}

void cv_gru_params_bind(GruWeights *w, GruWeights *dw, const NnParams *p, size_t first_id,
                        size_t layers) {
    if (w) memset(w, 0, sizeof *w);
    if (dw) memset(dw, 0, sizeof *dw);
    for (size_t l = 0; l < layers; l++) {
        size_t id = first_id + 4 * l;
        if (w) {
            w->w_ih[l] = cv_nn_params_data(p, id);
            w->w_hh[l] = cv_nn_params_data(p, id + 1);
            w->b_ih[l] = cv_nn_params_data(p, id + 2);
            w->b_hh[l] = cv_nn_params_data(p, id + 3);
        }
        if (dw) {
            dw->w_ih[l] = cv_nn_params_grad(p, id);
            dw->w_hh[l] = cv_nn_params_grad(p, id + 1);
            dw->b_ih[l] = cv_nn_params_grad(p, id + 2);
            dw->b_hh[l] = cv_nn_params_grad(p, id + 3);
        }
    }
}

const float *cv_gru_output(const Gru *g) {
    return g->h[g->cfg.layers - 1] + g->B * g->cfg.hidden;
}

const float *cv_gru_infer_state(const Gru *g) {
    return g->state;
}

/* ---- vector math ------------------------------------------------------------------- */

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* Clang rejects 64-byte vector helpers inside its narrower clones: it gets one baseline
 * build (fuzz/sanitizer builds only; the shipped build uses GCC). */
#define GRU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GRU_CLONES
#endif
#define INLINE static inline __attribute__((always_inline))
#if defined(__GNUC__) /* GCC and Clang */
/* The vector helpers are always inlined, so the vector-argument ABI note does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

enum { VW = 16 };
typedef float vf __attribute__((vector_size(VW * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(VW * sizeof(int32_t))));

/* Loads / stores m <= VW floats (m == VW after inlining in the main loops). */
INLINE vf vload(const float *p, size_t m) {
    vf v = {0};
    memcpy(&v, p, m * sizeof(float));
    return v;
}
INLINE void vstore(float *p, vf v, size_t m) {
    memcpy(p, &v, m * sizeof(float));
}
INLINE vf vsplat(float c) {
    return (vf){0} + c;
}
INLINE vf vselect(vi mask, vf a, vf b) {
    return (vf)(((vi)a & mask) | ((vi)b & ~mask));
}

/* e^x, Cephes expf: x = n ln2 + r, |r| <= ln2/2, degree-7 polynomial, 2^n by exponent
 * arithmetic. Clamped to the normal range; NaN propagates. */
INLINE vf vexp(vf x) {
    vf xc = vselect(x > 88.3762626647949f, vsplat(88.3762626647949f), x);
    xc = vselect(xc < -87.3365447505531f, vsplat(-87.3365447505531f), xc);
    vf t = xc * 1.44269504088896341f + 12582912.0f; /* round to nearest via 1.5·2^23 */
    vi n = (vi)t - 0x4B400000;
    vf fn = t - 12582912.0f;
    vf r = xc - fn * 0.693359375f - fn * -2.12194440e-4f;
    vf p = vsplat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    vf y = p * (vf)((n + 127) << 23);
    return vselect(x == x, y, x);
}

INLINE vf vsigmoid(vf x) {
    return 1.0f / (1.0f + vexp(-x));
}

/* tanh: Cephes tanhf's odd polynomial for |x| < 0.625, else 1 − 2/(e^{2|x|} + 1) with
 * the sign of x restored. */
INLINE vf vtanh(vf x) {
    vf ax = (vf)((vi)x & 0x7fffffff);
    vf z = x * x;
    vf p = vsplat(-5.70498872745e-3f);
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    vf small = p * z * x + x;
    vf big = 1.0f - 2.0f / (vexp(ax + ax) + 1.0f);
    big = (vf)((vi)big | ((vi)x & (int32_t)0x80000000));
    return vselect(ax < 0.625f, small, big);
}

/* ---- fused cell kernels -------------------------------------------------------------- */

/* Forward of columns [j, j+m) of one row. x = W_ih x row (3H), hh = W_hh h row (3H),
 * biases bi, bh (3H); writes h_new, and if gates_out != NULL r, z, n there, and if hn
 * != NULL W_hn h + b_hn. */
INLINE void fwd_block(float *h_new, float *gates_out, float *hn, const float *x, const float *hh,
                      const float *hp, const float *bi, const float *bh, size_t H, size_t j,
                      size_t m) {
    vf r = vsigmoid(vload(x + j, m) + vload(bi + j, m) + vload(hh + j, m) + vload(bh + j, m));
    vf z = vsigmoid(vload(x + H + j, m) + vload(bi + H + j, m) + vload(hh + H + j, m) +
                    vload(bh + H + j, m));
    vf hnv = vload(hh + 2 * H + j, m) + vload(bh + 2 * H + j, m);
    vf n = vtanh(vload(x + 2 * H + j, m) + vload(bi + 2 * H + j, m) + r * hnv);
    vf h = (1.0f - z) * n + z * vload(hp + j, m);
    if (gates_out) {
        vstore(gates_out + j, r, m);
        vstore(gates_out + H + j, z, m);
        vstore(gates_out + 2 * H + j, n, m);
    }
    if (hn) vstore(hn + j, hnv, m);
    vstore(h_new + j, h, m);
}

/* One GRU step for B rows: gx (B, 3H) = W_ih x (no bias), gh (B, 3H) = W_hh h (no bias).
 * Writes h_new (B, H) (may alias h_prev); when gates_inplace, the activated r, z, n over
 * gx; when hn != NULL, W_hn h + b_hn into hn (B, H). */
GRU_CLONES
static void cell_forward(float *h_new, float *gx, float *hn, const float *gh, const float *h_prev,
                         const float *b_ih, const float *b_hh, size_t B, size_t H,
                         int gates_inplace) {
    for (size_t b = 0; b < B; b++) {
        float *x = gx + b * 3 * H, *go = gates_inplace ? x : NULL, *hnb = hn ? hn + b * H : NULL;
        const float *hh = gh + b * 3 * H, *hp = h_prev + b * H;
        float *ho = h_new + b * H;
        size_t j = 0;
        for (; j + VW <= H; j += VW) fwd_block(ho, go, hnb, x, hh, hp, b_ih, b_hh, H, j, VW);
        if (j < H) fwd_block(ho, go, hnb, x, hh, hp, b_ih, b_hh, H, j, H - j);
    }
}

INLINE void bwd_block(float *dx, float *dhh, float *dh_out, const float *dh_in, const float *ds,
                      const float *gt, const float *hn, const float *hp, size_t H, size_t j,
                      size_t m) {
    vf r = vload(gt + j, m), z = vload(gt + H + j, m), n = vload(gt + 2 * H + j, m);
    vf d = vload(dh_in + j, m) + vload(ds + j, m);
    vf dn = d * (1.0f - z) * (1.0f - n * n);
    vf dz = d * (vload(hp + j, m) - n) * z * (1.0f - z);
    vf dr = dn * vload(hn + j, m) * r * (1.0f - r);
    vstore(dx + j, dr, m);
    vstore(dx + H + j, dz, m);
    vstore(dx + 2 * H + j, dn, m);
    vstore(dhh + j, dr, m);
    vstore(dhh + H + j, dz, m);
    vstore(dhh + 2 * H + j, dn * r, m);
    vstore(dh_out + j, d * z, m);
}

/* Backward of one step for B rows: d = dh_in + ds (B, H) is the total ∂ wrt h_t; gates
 * (B, 3H) r, z, n; hn (B, H); h_prev (B, H). Writes dgx, dgh (B, 3H) and dh_out (B, H) =
 * d ⊙ z (the direct path; the caller adds dgh · W_hh). dh_out may alias dh_in. */
GRU_CLONES
static void cell_backward(float *dgx, float *dgh, float *dh_out, const float *dh_in,
                          const float *ds, const float *gates, const float *hn, const float *h_prev,
                          size_t B, size_t H) {
    for (size_t b = 0; b < B; b++) {
        size_t o = b * H;
        float *dx = dgx + 3 * o, *dhh = dgh + 3 * o;
        const float *gt = gates + 3 * o;
        size_t j = 0;
        for (; j + VW <= H; j += VW)
            bwd_block(dx, dhh, dh_out + o, dh_in + o, ds + o, gt, hn + o, h_prev + o, H, j, VW);
        if (j < H)
            bwd_block(dx, dhh, dh_out + o, dh_in + o, ds + o, gt, hn + o, h_prev + o, H, j, H - j);
    }
}

/* y (n) = a (n) + b (n); y may alias a. */
GRU_CLONES
static void vec_add(float *y, const float *a, const float *b, size_t n) {
    size_t i = 0;
    for (; i + VW <= n; i += VW) vstore(y + i, vload(a + i, VW) + vload(b + i, VW), VW);
    if (i < n) vstore(y + i, vload(a + i, n - i) + vload(b + i, n - i), n - i);
}

/* ---- shared pieces --------------------------------------------------------------- */

/* acc (n) += Σ_rows y (rows, n), as one sgemv against the ones vector. */
static void add_col_sums(const Gru *g, float *acc, const float *y, size_t rows, size_t n) {
    cblas_sgemv(CblasRowMajor, CblasTrans, (int)rows, (int)n, 1.0f, y, (int)n, g->ones, 1, 1.0f,
                acc, 1);
}

/* C (M, N) = A (M, K) · B(N, K)ᵀ (row-major, beta 0), with lda/ldb given. */
static void gemm_nt(float *c, const float *a, size_t lda, const float *b, size_t ldb, size_t M,
                    size_t N, size_t K) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)N, (int)K, 1.0f, a, (int)lda,
                b, (int)ldb, 0.0f, c, (int)N);
}

/* C (M, N) = A (M, K) · B (K, N) (row-major, beta 0). With B a transposed weight this is
 * measurably faster in OpenBLAS than the NT form on the per-step shapes (B×3H×H): the
 * packing of B reads contiguous rows. */
static void gemm_nn(float *c, const float *a, size_t lda, const float *b, size_t M, size_t N,
                    size_t K) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N, (int)K, 1.0f, a,
                (int)lda, b, (int)N, 0.0f, c, (int)N);
}

/* dst (cols, rows) = src (rows, cols)ᵀ, src with leading dimension lds; 32×32 tiles. */
static void transpose(float *dst, const float *src, size_t rows, size_t cols, size_t lds) {
    for (size_t i0 = 0; i0 < rows; i0 += 32)
        for (size_t j0 = 0; j0 < cols; j0 += 32) {
            size_t i1 = i0 + 32 < rows ? i0 + 32 : rows, j1 = j0 + 32 < cols ? j0 + 32 : cols;
            for (size_t i = i0; i < i1; i++)
                for (size_t j = j0; j < j1; j++) dst[j * rows + i] = src[i * lds + j];
        }
}

/* whh_t[l] = W_hh[l]ᵀ for every layer. */
static void transpose_recurrent(Gru *g, const GruWeights *w) {
    size_t H = g->cfg.hidden, H3 = 3 * H;
    for (size_t l = 0; l < g->cfg.layers; l++)
        transpose(g->whh_t + l * H * H3, w->w_hh[l], H3, H, H);
}

/* gates (rows, 3H) = in (rows, K) · (the first K columns of W_ih (3H, ldw))ᵀ, through the
 * transposed copy wih_t. */
static void project_input(Gru *g, float *gates, const float *in, const float *w_ih, size_t ldw,
                          size_t rows, size_t K) {
    size_t H3 = 3 * g->cfg.hidden;
    transpose(g->wih_t, w_ih, H3, K, ldw);
    gemm_nn(gates, in, K, g->wih_t, rows, H3, K);
}

/* Sets h[l][0] from h0 (L, B, H) or zeros, and records B, T. */
static void set_initial_state(Gru *g, const float *h0, size_t B, size_t T) {
    size_t H = g->cfg.hidden;
    g->B = B;
    g->T = T;
    for (size_t l = 0; l < g->cfg.layers; l++) {
        if (h0) memcpy(g->h[l], h0 + l * B * H, B * H * sizeof(float));
        else memset(g->h[l], 0, B * H * sizeof(float));
    }
}

/* Token mode set-up: wtok (V, 3H) = the one-hot columns of the token layer's W_ih
 * transposed, and for every layer l that c enters, cproj[l] (B, 3H) = c (B, D) · W_cᵀ with
 * W_c the c-columns of W_ih[l]. */
static void token_setup(Gru *g, const GruWeights *w, const float *c, size_t B) {
    const GruConfig *cf = &g->cfg;
    size_t H3 = 3 * cf->hidden, D = cf->const_dim, V = cf->vocab;
    for (size_t l = 0; l < cf->layers; l++) {
        size_t In = cv_gru_layer_input(cf, l);
        if (has_tok(cf, l)) {
            const float *wi = w->w_ih[l] + col_tok(cf, l);
            for (size_t j = 0; j < H3; j++)
                for (size_t v = 0; v < V; v++) g->wtok[v * H3 + j] = wi[j * In + v];
        }
        if (!has_c(cf, l)) continue;
        float *cp = g->cproj + l * B * H3;
        if (D > 0) gemm_nt(cp, c, D, w->w_ih[l] + col_c(cf, l), In, B, H3, D);
        else memset(cp, 0, B * H3 * sizeof(float));
    }
}

/* Adds layer l's constant and token terms (token mode) to the input projections of rows
 * [b0, b1) of one step: x (rows, 3H), row b at x + (b − b0)·3H; `set` = the rows hold
 * nothing yet (layer 0, which has no h-columns). */
static void add_token_terms(const Gru *g, size_t l, float *x, const int32_t *tok, size_t B,
                            size_t b0, size_t b1, int set) {
    size_t H3 = 3 * g->cfg.hidden;
    int hc = has_c(&g->cfg, l), ht = has_tok(&g->cfg, l);
    if (!hc && !ht) return; /* a plain upper layer: nothing to add */
    for (size_t b = b0; b < b1; b++) {
        float *row = x + (b - b0) * H3;
        const float *cp = hc ? g->cproj + (l * B + b) * H3 : NULL;
        const float *tp = ht ? g->wtok + (size_t)tok[b] * H3 : NULL;
        if (set && cp && tp) vec_add(row, cp, tp, H3);
        else if (set) memcpy(row, cp ? cp : tp, H3 * sizeof(float));
        else {
            if (cp) vec_add(row, row, cp, H3);
            if (tp) vec_add(row, row, tp, H3);
        }
    }
}

/* ---- fast forward ------------------------------------------------------------------ */

/* All layers. Dense mode (tok NULL): gates[0] already holds layer 0's input projection
 * W_ih x (no bias). Token mode: every layer's projection is made here. */
static void forward_layers(Gru *g, const GruWeights *w, const int32_t *tok) {
    size_t B = g->B, T = g->T, H = g->cfg.hidden, H3 = 3 * H;
    float *gh = g->sh;
    transpose_recurrent(g, w);
    for (size_t l = 0; l < g->cfg.layers; l++) {
        if (l > 0) /* the h-columns come first in W_ih[l] */
            project_input(g, g->gates[l], g->h[l - 1] + B * H, w->w_ih[l],
                          cv_gru_layer_input(&g->cfg, l), T * B, H);
        if (tok && (has_c(&g->cfg, l) || has_tok(&g->cfg, l)))
            for (size_t t = 0; t < T; t++)
                add_token_terms(g, l, g->gates[l] + t * B * H3, tok + t * B, B, 0, B, l == 0);
        for (size_t t = 0; t < T; t++) {
            float *hp = g->h[l] + t * B * H;
            gemm_nn(gh, hp, H, g->whh_t + l * H * H3, B, H3, H);
            cell_forward(hp + B * H, g->gates[l] + t * B * H3, g->hn[l] + t * B * H, gh, hp,
                         w->b_ih[l], w->b_hh[l], B, H, 1);
        }
    }
}

void cv_gru_forward(Gru *g, const GruWeights *w, const float *x, const float *h0, size_t B,
                    size_t T) {
    size_t In = g->cfg.input;
    set_initial_state(g, h0, B, T);
    project_input(g, g->gates[0], x, w->w_ih[0], In, T * B, In);
    forward_layers(g, w, NULL);
}

void cv_gru_forward_tokens(Gru *g, const GruWeights *w, const float *c, const int32_t *tok,
                           const float *h0, size_t B, size_t T) {
    set_initial_state(g, h0, B, T);
    token_setup(g, w, c, B);
    forward_layers(g, w, tok);
}

/* ---- fast backward ----------------------------------------------------------------- */

/* Time loop + recurrent and bias gradients of layer l; leaves dgx filled for the caller's
 * input-side products. dseq (T·B, H) is the gradient arriving at the layer's outputs. */
static void backward_layer(Gru *g, const GruWeights *w, GruWeights *dw, size_t l, const float *dseq,
                           float *dh0) {
    size_t B = g->B, T = g->T, H = g->cfg.hidden, H3 = 3 * H;
    float *dh = g->dh;
    memset(dh, 0, B * H * sizeof(float));
    for (size_t t = T; t-- > 0;) {
        float *dgx = g->dgx + t * B * H3, *dgh = g->dgh + t * B * H3;
        cell_backward(dgx, dgh, dh, dh, dseq + t * B * H, g->gates[l] + t * B * H3,
                      g->hn[l] + t * B * H, g->h[l] + t * B * H, B, H);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)H, (int)H3, 1.0f, dgh,
                    (int)H3, w->w_hh[l], (int)H, 1.0f, dh, (int)H);
    }
    if (dh0) vec_add(dh0 + l * B * H, dh0 + l * B * H, dh, B * H);
    if (dw && dw->w_hh[l])
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)H3, (int)H, (int)(T * B), 1.0f,
                    g->dgh, (int)H3, g->h[l], (int)H, 1.0f, dw->w_hh[l], (int)H);
    if (dw && dw->b_hh[l]) add_col_sums(g, dw->b_hh[l], g->dgh, T * B, H3);
    if (dw && dw->b_ih[l]) add_col_sums(g, dw->b_ih[l], g->dgx, T * B, H3);
}

/* Token mode, with g->dgx holding layer l's ∂ wrt W_ih x + b_ih: the gradients of its
 * c-columns and c (through dsum = Σ_t dgx) and of its one-hot columns (scatter-add of dgx
 * rows by token into dwtok). */
static void token_input_grads(Gru *g, const GruWeights *w, GruWeights *dw, size_t l, const float *c,
                              const int32_t *tok, float *dc) {
    const GruConfig *cf = &g->cfg;
    size_t B = g->B, T = g->T, H3 = 3 * cf->hidden, D = cf->const_dim, V = cf->vocab;
    size_t In = cv_gru_layer_input(cf, l), cc = col_c(cf, l), ct = col_tok(cf, l);
    int want_wc = has_c(cf, l) && dw && dw->w_ih[l] && D > 0, want_dc = has_c(cf, l) && dc && D > 0;
    if (want_wc || want_dc) {
        memcpy(g->dsum, g->dgx, B * H3 * sizeof(float));
        for (size_t t = 1; t < T; t++) vec_add(g->dsum, g->dsum, g->dgx + t * B * H3, B * H3);
        if (want_wc)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)H3, (int)D, (int)B, 1.0f,
                        g->dsum, (int)H3, c, (int)D, 1.0f, dw->w_ih[l] + cc, (int)In);
        if (want_dc)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)D, (int)H3, 1.0f,
                        g->dsum, (int)H3, w->w_ih[l] + cc, (int)In, 1.0f, dc, (int)D);
    }
    if (has_tok(cf, l) && dw && dw->w_ih[l]) {
        memset(g->dwtok, 0, V * H3 * sizeof(float));
        for (size_t r = 0; r < T * B; r++) {
            float *dst = g->dwtok + (size_t)tok[r] * H3;
            vec_add(dst, dst, g->dgx + r * H3, H3);
        }
        for (size_t j = 0; j < H3; j++)
            for (size_t v = 0; v < V; v++) dw->w_ih[l][j * In + ct + v] += g->dwtok[v * H3 + j];
    }
}

/* Layers L−1 .. 1 (each hands dseq to the one below, and in token mode takes its c and
 * token gradients), then layer 0's time loop. */
static void backward_upper(Gru *g, const GruWeights *w, GruWeights *dw, const float *dout,
                           float *dh0, const float *c, const int32_t *tok, float *dc) {
    size_t B = g->B, T = g->T, H = g->cfg.hidden, H3 = 3 * H;
    const float *dseq = dout;
    for (size_t l = g->cfg.layers; l-- > 1;) {
        size_t In = cv_gru_layer_input(&g->cfg, l);
        backward_layer(g, w, dw, l, dseq, dh0);
        if (dw && dw->w_ih[l])
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)H3, (int)H, (int)(T * B),
                        1.0f, g->dgx, (int)H3, g->h[l - 1] + B * H, (int)H, 1.0f, dw->w_ih[l],
                        (int)In);
        if (tok) token_input_grads(g, w, dw, l, c, tok, dc);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(T * B), (int)H, (int)H3, 1.0f,
                    g->dgx, (int)H3, w->w_ih[l], (int)In, 0.0f, g->dseq, (int)H);
        dseq = g->dseq;
    }
    backward_layer(g, w, dw, 0, dseq, dh0);
}

void cv_gru_backward(Gru *g, const GruWeights *w, GruWeights *dw, const float *x, const float *dout,
                     float *dx, float *dh0) {
    size_t B = g->B, T = g->T, H3 = 3 * g->cfg.hidden, In = g->cfg.input;
    backward_upper(g, w, dw, dout, dh0, NULL, NULL, NULL);
    if (dw && dw->w_ih[0])
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)H3, (int)In, (int)(T * B), 1.0f,
                    g->dgx, (int)H3, x, (int)In, 1.0f, dw->w_ih[0], (int)In);
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(T * B), (int)In, (int)H3, 1.0f,
                    g->dgx, (int)H3, w->w_ih[0], (int)In, 1.0f, dx, (int)In);
}

void cv_gru_backward_tokens(Gru *g, const GruWeights *w, GruWeights *dw, const float *c,
                            const int32_t *tok, const float *dout, float *dc, float *dh0) {
    backward_upper(g, w, dw, dout, dh0, c, tok, dc);
    token_input_grads(g, w, dw, 0, c, tok, dc);
}

/* ---- naive twins: plain loops, libm nonlinearities, same caches -------------------- */

static float sigmoid_ref(float x) {
    return 1.0f / (1.0f + expf(-x));
}

/* Input element i of layer l at row (t, b): dense x (layer 0), h of the layer below, or in
 * token mode the parts [h ; c ; onehot(tok)] the layer has. */
static float layer_input(const Gru *g, size_t l, const float *x, const float *c, const int32_t *tok,
                         size_t t, size_t b, size_t i) {
    size_t B = g->B, H = g->cfg.hidden, D = g->cfg.const_dim;
    if (l == 0 && x) return x[(t * B + b) * g->cfg.input + i];
    if (l > 0 && i < H) return g->h[l - 1][((t + 1) * B + b) * H + i];
    i -= col_c(&g->cfg, l);
    if (has_c(&g->cfg, l)) {
        if (i < D) return c[b * D + i];
        i -= D;
    }
    return (size_t)tok[t * B + b] == i ? 1.0f : 0.0f;
}

static void forward_naive(Gru *g, const GruWeights *w, const float *x, const float *c,
                          const int32_t *tok, const float *h0, size_t B, size_t T) {
    size_t H = g->cfg.hidden, H3 = 3 * H;
    set_initial_state(g, h0, B, T);
    for (size_t l = 0; l < g->cfg.layers; l++) {
        size_t In = cv_gru_layer_input(&g->cfg, l);
        const float *wi = w->w_ih[l], *wh = w->w_hh[l], *bi = w->b_ih[l], *bh = w->b_hh[l];
        for (size_t t = 0; t < T; t++) {
            const float *hp = g->h[l] + t * B * H;
            float *gt = g->gates[l] + t * B * H3, *hn = g->hn[l] + t * B * H;
            float *ho = g->h[l] + (t + 1) * B * H;
            for (size_t b = 0; b < B; b++) {
                float *sx = g->sx, *sh = g->sh; /* one row: W_ih x + b_ih, W_hh h + b_hh */
                for (size_t j = 0; j < H3; j++) {
                    double ax = bi[j], ah = bh[j];
                    for (size_t i = 0; i < In; i++)
                        ax += (double)wi[j * In + i] * layer_input(g, l, x, c, tok, t, b, i);
                    for (size_t k = 0; k < H; k++) ah += (double)wh[j * H + k] * hp[b * H + k];
                    sx[j] = (float)ax;
                    sh[j] = (float)ah;
                }
                for (size_t j = 0; j < H; j++) {
                    float r = sigmoid_ref(sx[j] + sh[j]);
                    float z = sigmoid_ref(sx[H + j] + sh[H + j]);
                    float n = tanhf(sx[2 * H + j] + r * sh[2 * H + j]);
                    gt[b * H3 + j] = r;
                    gt[b * H3 + H + j] = z;
                    gt[b * H3 + 2 * H + j] = n;
                    hn[b * H + j] = sh[2 * H + j];
                    ho[b * H + j] = (1.0f - z) * n + z * hp[b * H + j];
                }
            }
        }
    }
}

static void backward_naive(Gru *g, const GruWeights *w, GruWeights *dw, const float *x,
                           const float *c, const int32_t *tok, const float *dout, float *dx,
                           float *dc, float *dh0) {
    size_t B = g->B, T = g->T, H = g->cfg.hidden, H3 = 3 * H, D = g->cfg.const_dim;
    for (size_t l = g->cfg.layers; l-- > 0;) {
        size_t In = cv_gru_layer_input(&g->cfg, l), cc = col_c(&g->cfg, l);
        const float *dseq = l == g->cfg.layers - 1 ? dout : g->dseq;
        float *dh = g->dh;
        memset(dh, 0, B * H * sizeof(float));
        for (size_t t = T; t-- > 0;) {
            float *dgx = g->dgx + t * B * H3, *dgh = g->dgh + t * B * H3;
            const float *hp = g->h[l] + t * B * H, *gt = g->gates[l] + t * B * H3;
            const float *hn = g->hn[l] + t * B * H;
            for (size_t b = 0; b < B; b++)
                for (size_t j = 0; j < H; j++) {
                    size_t i = b * H + j, q = b * H3 + j;
                    float r = gt[q], z = gt[q + H], n = gt[q + 2 * H];
                    float d = dh[i] + dseq[t * B * H + i];
                    float dn = d * (1.0f - z) * (1.0f - n * n);
                    float dz = d * (hp[i] - n) * z * (1.0f - z);
                    float dr = dn * hn[i] * r * (1.0f - r);
                    dgx[q] = dgh[q] = dr;
                    dgx[q + H] = dgh[q + H] = dz;
                    dgx[q + 2 * H] = dn;
                    dgh[q + 2 * H] = dn * r;
                    dh[i] = d * z;
                }
            for (size_t b = 0; b < B; b++)
                for (size_t j = 0; j < H3; j++) {
                    float gx = dgx[b * H3 + j], gh = dgh[b * H3 + j];
                    for (size_t k = 0; k < H; k++) {
                        dh[b * H + k] += gh * w->w_hh[l][j * H + k];
                        if (dw && dw->w_hh[l]) dw->w_hh[l][j * H + k] += gh * hp[b * H + k];
                    }
                    if (dw && dw->b_hh[l]) dw->b_hh[l][j] += gh;
                    if (dw && dw->b_ih[l]) dw->b_ih[l][j] += gx;
                    if (dw && dw->w_ih[l])
                        for (size_t i = 0; i < In; i++)
                            dw->w_ih[l][j * In + i] += gx * layer_input(g, l, x, c, tok, t, b, i);
                }
        }
        if (dh0)
            for (size_t i = 0; i < B * H; i++) dh0[l * B * H + i] += dh[i];
        /* gradient of this layer's input: dseq of the layer below (its h-columns), dx, or
         * dc (its c-columns, in every layer c enters) */
        if (l > 0) memset(g->dseq, 0, T * B * H * sizeof(float));
        for (size_t t = 0; t < T; t++)
            for (size_t b = 0; b < B; b++)
                for (size_t j = 0; j < H3; j++) {
                    float gx = g->dgx[(t * B + b) * H3 + j];
                    for (size_t i = 0; i < In; i++) {
                        float wv = w->w_ih[l][j * In + i];
                        if (l > 0 && i < H) g->dseq[(t * B + b) * H + i] += gx * wv;
                        else if (x && dx) dx[(t * B + b) * In + i] += gx * wv;
                        else if (!x && dc && has_c(&g->cfg, l) && i >= cc && i < cc + D)
                            dc[b * D + i - cc] += gx * wv;
                    }
                }
    }
}

void cv_gru_forward_naive(Gru *g, const GruWeights *w, const float *x, const float *h0, size_t B,
                          size_t T) {
    forward_naive(g, w, x, NULL, NULL, h0, B, T);
}

void cv_gru_forward_tokens_naive(Gru *g, const GruWeights *w, const float *c, const int32_t *tok,
                                 const float *h0, size_t B, size_t T) {
    forward_naive(g, w, NULL, c, tok, h0, B, T);
}

void cv_gru_backward_naive(Gru *g, const GruWeights *w, GruWeights *dw, const float *x,
                           const float *dout, float *dx, float *dh0) {
    backward_naive(g, w, dw, x, NULL, NULL, dout, dx, NULL, dh0);
}

void cv_gru_backward_tokens_naive(Gru *g, const GruWeights *w, GruWeights *dw, const float *c,
                                  const int32_t *tok, const float *dout, float *dc, float *dh0) {
    backward_naive(g, w, dw, NULL, c, tok, dout, NULL, dc, dh0);
}

/* ---- batched inference ------------------------------------------------------------- */

void cv_gru_infer_begin(Gru *g, const GruWeights *w, const float *c, const float *h0, size_t B) {
    size_t H = g->cfg.hidden, L = g->cfg.layers, P = cv_nn_packed_floats(3 * H, H);
    g->infer_B = B;
    if (h0) memcpy(g->state, h0, L * B * H * sizeof(float));
    else memset(g->state, 0, L * B * H * sizeof(float));
    if (g->cfg.vocab > 0) token_setup(g, w, c, B);
    for (size_t l = 0; l < L; l++) {
        cv_nn_pack_weights(&g->whh_p[l], g->packed_store + 2 * l * P, w->w_hh[l], H, 3 * H, H,
                           g->pack_kind);
        if (l > 0) /* the h-columns of W_ih[l] (the first H of its I_l) */
            cv_nn_pack_weights(&g->wih_p[l], g->packed_store + (2 * l + 1) * P, w->w_ih[l],
                               cv_gru_layer_input(&g->cfg, l), 3 * H, H, g->pack_kind);
    }
}

/* Rows [b0, b1) of all layers, with those rows of g->sx holding layer 0's input
 * projection W_ih x (no bias); in token mode (tok non-NULL, indexed by row) the upper
 * layers add their c and token terms. Touches only rows [b0, b1) of sx, sh and the state,
 * so disjoint row ranges may run concurrently (each with a single-threaded BLAS). */
static const float *infer_layers(Gru *g, const GruWeights *w, size_t b0, size_t b1,
                                 const int32_t *tok) {
    size_t B = g->infer_B, H = g->cfg.hidden, H3 = 3 * H, n = b1 - b0;
    float *sx = g->sx + b0 * H3, *sh = g->sh + b0 * H3;
    for (size_t l = 0; l < g->cfg.layers; l++) {
        float *st = g->state + l * B * H + b0 * H;
        if (l > 0) cv_nn_gemm_packed(sx, H3, st - B * H, H, &g->wih_p[l], n);
        if (l > 0 && tok) add_token_terms(g, l, sx, tok, B, b0, b1, 0);
        cv_nn_gemm_packed(sh, H3, st, H, &g->whh_p[l], n);
        cell_forward(st, sx, NULL, sh, st, w->b_ih[l], w->b_hh[l], n, H, 0);
    }
    return g->state + (g->cfg.layers - 1) * B * H + b0 * H;
}

const float *cv_gru_infer_step(Gru *g, const GruWeights *w, const float *x) {
    size_t In = g->cfg.input;
    gemm_nt(g->sx, x, In, w->w_ih[0], In, g->infer_B, 3 * g->cfg.hidden, In);
    return infer_layers(g, w, 0, g->infer_B, NULL);
}

const float *cv_gru_infer_step_tokens_rows(Gru *g, const GruWeights *w, const int32_t *tok,
                                           size_t b0, size_t b1) {
    add_token_terms(g, 0, g->sx + b0 * 3 * g->cfg.hidden, tok, g->infer_B, b0, b1, 1);
    return infer_layers(g, w, b0, b1, tok);
}

const float *cv_gru_infer_step_tokens(Gru *g, const GruWeights *w, const int32_t *tok) {
    return cv_gru_infer_step_tokens_rows(g, w, tok, 0, g->infer_B);
}

static void swap_floats(float *a, float *b, size_t n) {
    for (size_t k = 0; k < n; k++) {
        float t = a[k];
        a[k] = b[k];
        b[k] = t;
    }
}

void cv_gru_infer_gather_rows(Gru *g, const int32_t *src, size_t n, float *scratch) {
    size_t B = g->infer_B, H = g->cfg.hidden, L = g->cfg.layers;
    for (size_t l = 0; l < L; l++) {
        float *st = g->state + l * B * H;
        memcpy(scratch, st, n * H * sizeof(float));
        for (size_t i = 0; i < n; i++)
            if ((size_t)src[i] != i)
                memcpy(st + i * H, scratch + (size_t)src[i] * H, H * sizeof(float));
    }
}

void cv_gru_infer_swap_rows(Gru *g, size_t i, size_t j) {
    size_t B = g->infer_B, H = g->cfg.hidden;
    if (i == j) return;
    for (size_t l = 0; l < g->cfg.layers; l++) {
        swap_floats(g->state + (l * B + i) * H, g->state + (l * B + j) * H, H);
        if (has_c(&g->cfg, l))
            swap_floats(g->cproj + (l * B + i) * 3 * H, g->cproj + (l * B + j) * 3 * H, 3 * H);
    }
}
