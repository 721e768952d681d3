/* gru.c — multi-layer GRU (PyTorch equations, gate order r, z, n), time-major.
 *
 * Forward, per layer l with input sequence in (T·B, I_l):
 *   gates[l] (T·B, 3H) = in · W_ihᵀ + b_ih            one sgemm for all T
 *   for t: gh (B, 3H) = h_{t−1} · W_hhᵀ + b_hh         one sgemm per step
 *          r, z, n, h_t from gates[l][t] and gh        fused element-wise pass
 * gates[l] is overwritten in place with the activated r, z, n; hn[l] keeps
 * W_hn h_{t−1} + b_hn, the only pre-activation the backward pass needs besides r, z, n.
 * Token mode (layer 0 input [c ; onehot(tok)]): cproj (B, 3H) = c · W_cᵀ + b_ih in one
 * sgemm, wtok (V, 3H) = the one-hot block of W_ih transposed so that the gather
 * gates[t, b] = cproj[b] + wtok[tok[t, b]] reads contiguous rows.
 *
 * Backward, per layer from the top down, with dseq (T·B, H) = ∂loss/∂(layer outputs):
 *   for t = T−1 .. 0: dh_t = dseq[t] + dh; gate derivatives into dgx[t] (∂ wrt
 *          W_ih x + b_ih) and dgh[t] (∂ wrt W_hh h + b_hh; equal to dgx except the
 *          n block, which is multiplied by r); dh = dh_t ⊙ z + dgh[t] · W_hh (one sgemm)
 *   after the loop: dW_ih += dgxᵀ · in, dW_hh += dghᵀ · h[l][0..T) (one sgemm each),
 *          bias gradients are column sums, and the input gradient dgx · W_ih (one sgemm)
 *          becomes dseq of the layer below (or dx). Token mode instead sums dgx over t
 *          (dsum) for dW_c += dsumᵀ c and dc += dsum W_c, and scatter-adds dgx rows into
 *          dwtok[tok] for the one-hot columns.
 * All buffers come from gru_init (sized for max_B, max_T); nothing is allocated after it.
 * Why dgh is a full (T, B, 3H) copy rather than the n block alone: it makes dW_hh one
 * sgemm over contiguous memory; the memory (max_T·max_B·3H floats) is affordable. */
#include "chemvae/gru.h"

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

CvStatus gru_init(Gru *g, const GruConfig *cfg, CvError *err) {
    memset(g, 0, sizeof *g);
    if (cfg->layers < 1 || cfg->layers > GRU_MAX_LAYERS || cfg->hidden == 0 ||
        cfg->input == 0 || cfg->max_B == 0 || cfg->max_T == 0)
        return cv_error_set(err, CV_ERR_INVALID,
                            "gru_init: bad config (layers %zu, input %zu, hidden %zu, "
                            "max_B %zu, max_T %zu)",
                            cfg->layers, cfg->input, cfg->hidden, cfg->max_B, cfg->max_T);
    if (cfg->vocab > 0 && cfg->input != cfg->const_dim + cfg->vocab)
        return cv_error_set(err, CV_ERR_INVALID,
                            "gru_init: token mode needs input %zu == const_dim %zu + vocab %zu",
                            cfg->input, cfg->const_dim, cfg->vocab);
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
    g->cproj = zalloc(B * 3 * H);
    g->dgx = zalloc(T * B * 3 * H);
    g->dgh = zalloc(T * B * 3 * H);
    g->dseq = zalloc(T * B * H);
    g->dh = zalloc(B * H);
    g->dsum = zalloc(B * 3 * H);
    g->state = zalloc(L * B * H);
    g->sx = zalloc(B * 3 * H);
    g->sh = zalloc(B * 3 * H);
    if (!g->wtok || !g->dwtok || !g->cproj || !g->dgx || !g->dgh || !g->dseq || !g->dh ||
        !g->dsum || !g->state || !g->sx || !g->sh)
        goto fail;
    return CV_OK;
fail:
    gru_free(g);
    return cv_error_set(err, CV_ERR_NOMEM, "gru_init: out of memory (B %zu, T %zu, H %zu)", B,
                        T, H);
}

void gru_free(Gru *g) {
    for (size_t l = 0; l < GRU_MAX_LAYERS; l++) {
        free(g->h[l]);
        free(g->gates[l]);
        free(g->hn[l]);
    }
    free(g->wtok);
    free(g->dwtok);
    free(g->cproj);
    free(g->dgx);
    free(g->dgh);
    free(g->dseq);
    free(g->dh);
    free(g->dsum);
    free(g->state);
    free(g->sx);
    free(g->sh);
    memset(g, 0, sizeof *g);
}

CvStatus gru_params_add(NnParams *p, const char *prefix, const GruConfig *cfg,
                        size_t *first_id, CvError *err) {
    size_t H = cfg->hidden;
    for (size_t l = 0; l < cfg->layers; l++) {
        size_t In = l == 0 ? cfg->input : H;
        static const char *names[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
        size_t shapes[4][2] = {{3 * H, In}, {3 * H, H}, {3 * H, 0}, {3 * H, 0}};
        for (int k = 0; k < 4; k++) {
            char name[NN_PARAM_NAME_MAX];
            int len = snprintf(name, sizeof name, "%s.%s_l%zu", prefix, names[k], l);
            if (len < 0 || (size_t)len >= sizeof name)
                return cv_error_set(err, CV_ERR_INVALID, "gru_params_add: prefix too long: %s",
                                    prefix);
            size_t id;
            CvStatus st = nn_params_add(p, name, k < 2 ? 2 : 1, shapes[k], &id, err);
            if (st) return st;
            if (l == 0 && k == 0 && first_id) *first_id = id;
        }
    }
    return CV_OK;
}

void gru_params_bind(GruWeights *w, GruWeights *dw, const NnParams *p, size_t first_id,
                     size_t layers) {
    if (w) memset(w, 0, sizeof *w);
    if (dw) memset(dw, 0, sizeof *dw);
    for (size_t l = 0; l < layers; l++) {
        size_t id = first_id + 4 * l;
        if (w) {
            w->w_ih[l] = nn_params_data(p, id);
            w->w_hh[l] = nn_params_data(p, id + 1);
            w->b_ih[l] = nn_params_data(p, id + 2);
            w->b_hh[l] = nn_params_data(p, id + 3);
        }
        if (dw) {
            dw->w_ih[l] = nn_params_grad(p, id);
            dw->w_hh[l] = nn_params_grad(p, id + 1);
            dw->b_ih[l] = nn_params_grad(p, id + 2);
            dw->b_hh[l] = nn_params_grad(p, id + 3);
        }
    }
}

const float *gru_output(const Gru *g) {
    return g->h[g->cfg.layers - 1] + g->B * g->cfg.hidden;
}

const float *gru_infer_state(const Gru *g) { return g->state; }

static inline float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* ---- shared pieces --------------------------------------------------------------- */

/* One GRU cell for B rows. gx (B, 3H) = W_ih x + b_ih, gh (B, 3H) = W_hh h + b_hh.
 * Writes h_new (B, H) (may alias h_prev) and, when not NULL, the activated r, z, n over
 * gx (gates_inplace != 0) and W_hn h + b_hn into hn (B, H). */
static void cell_forward(float *h_new, float *gx, float *hn, const float *gh,
                         const float *h_prev, size_t B, size_t H, int gates_inplace) {
    for (size_t b = 0; b < B; b++) {
        float *x = gx + b * 3 * H;
        const float *hh = gh + b * 3 * H;
        const float *hp = h_prev + b * H;
        float *ho = h_new + b * H;
        for (size_t j = 0; j < H; j++) {
            float r = sigmoidf(x[j] + hh[j]);
            float z = sigmoidf(x[H + j] + hh[H + j]);
            float hnj = hh[2 * H + j];
            float n = tanhf(x[2 * H + j] + r * hnj);
            float h = (1.0f - z) * n + z * hp[j];
            if (gates_inplace) {
                x[j] = r;
                x[H + j] = z;
                x[2 * H + j] = n;
            }
            if (hn) hn[b * H + j] = hnj;
            ho[j] = h;
        }
    }
}

/* Backward of one cell for B rows: dht (B, H) = total ∂ wrt h_t (read), gates (B, 3H)
 * r, z, n; hn (B, H); h_prev (B, H). Writes dgx, dgh (B, 3H) and dh_out (B, H) =
 * dht ⊙ z (the direct path; the caller adds dgh · W_hh). dh_out may alias dht. */
static void cell_backward(float *dgx, float *dgh, float *dh_out, const float *dht,
                          const float *gates, const float *hn, const float *h_prev, size_t B,
                          size_t H) {
    for (size_t b = 0; b < B; b++) {
        const float *gt = gates + b * 3 * H;
        float *dx = dgx + b * 3 * H, *dhh = dgh + b * 3 * H;
        for (size_t j = 0; j < H; j++) {
            size_t i = b * H + j;
            float r = gt[j], z = gt[H + j], n = gt[2 * H + j];
            float d = dht[i];
            float dn = d * (1.0f - z) * (1.0f - n * n);
            float dz = d * (h_prev[i] - n) * z * (1.0f - z);
            float dr = dn * hn[i] * r * (1.0f - r);
            dx[j] = dr;
            dx[H + j] = dz;
            dx[2 * H + j] = dn;
            dhh[j] = dr;
            dhh[H + j] = dz;
            dhh[2 * H + j] = dn * r;
            dh_out[i] = d * z;
        }
    }
}

/* y (rows, n) = broadcast v (n). */
static void fill_rows(float *y, const float *v, size_t rows, size_t n) {
    for (size_t r = 0; r < rows; r++) memcpy(y + r * n, v, n * sizeof(float));
}

/* acc (n) += Σ_rows y (rows, n). */
static void add_col_sums(float *acc, const float *y, size_t rows, size_t n) {
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < n; j++) acc[j] += y[r * n + j];
}

/* Sets h[l][0] from h0 (L, B, H) or zeros, and records B, T. */
static void set_initial_state(Gru *g, const float *h0, size_t B, size_t T) {
    size_t H = g->cfg.hidden;
    g->B = B;
    g->T = T;
    for (size_t l = 0; l < g->cfg.layers; l++) {
        if (h0)
            memcpy(g->h[l], h0 + l * B * H, B * H * sizeof(float));
        else
            memset(g->h[l], 0, B * H * sizeof(float));
    }
}

/* wtok (V, 3H) = columns D.. of W_ih[0] (3H, D + V), transposed. */
static void build_wtok(Gru *g, const GruWeights *w) {
    size_t H3 = 3 * g->cfg.hidden, D = g->cfg.const_dim, V = g->cfg.vocab, In = g->cfg.input;
    const float *wi = w->w_ih[0];
    for (size_t j = 0; j < H3; j++)
        for (size_t v = 0; v < V; v++) g->wtok[v * H3 + j] = wi[j * In + D + v];
}

/* cproj (B, 3H) = c (B, D) · W_c ᵀ + b_ih[0], W_c = first D columns of W_ih[0]. */
static void build_cproj(Gru *g, const GruWeights *w, const float *c, size_t B) {
    size_t H3 = 3 * g->cfg.hidden, D = g->cfg.const_dim, In = g->cfg.input;
    fill_rows(g->cproj, w->b_ih[0], B, H3);
    if (D > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)H3, (int)D, 1.0f, c,
                    (int)D, w->w_ih[0], (int)In, 1.0f, g->cproj, (int)H3);
}

/* ---- fast forward ------------------------------------------------------------------ */

/* Layers from `l0` on, given gates[l0] already holding the input projection of layer l0. */
static void forward_layers(Gru *g, const GruWeights *w, size_t l0) {
    size_t B = g->B, T = g->T, H = g->cfg.hidden, H3 = 3 * H;
    float *gh = g->sh;
    for (size_t l = l0; l < g->cfg.layers; l++) {
        if (l > l0) {
            fill_rows(g->gates[l], w->b_ih[l], T * B, H3);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(T * B), (int)H3, (int)H,
                        1.0f, g->h[l - 1] + B * H, (int)H, w->w_ih[l], (int)H, 1.0f,
                        g->gates[l], (int)H3);
        }
        for (size_t t = 0; t < T; t++) {
            float *hp = g->h[l] + t * B * H;
            fill_rows(gh, w->b_hh[l], B, H3);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)H3, (int)H, 1.0f,
                        hp, (int)H, w->w_hh[l], (int)H, 1.0f, gh, (int)H3);
            cell_forward(hp + B * H, g->gates[l] + t * B * H3, g->hn[l] + t * B * H, gh, hp, B,
                         H, 1);
        }
    }
}

void gru_forward(Gru *g, const GruWeights *w, const float *x, const float *h0, size_t B,
                 size_t T) {
    size_t H3 = 3 * g->cfg.hidden, In = g->cfg.input;
    set_initial_state(g, h0, B, T);
    fill_rows(g->gates[0], w->b_ih[0], T * B, H3);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(T * B), (int)H3, (int)In, 1.0f, x,
                (int)In, w->w_ih[0], (int)In, 1.0f, g->gates[0], (int)H3);
    forward_layers(g, w, 0);
}

void gru_forward_tokens(Gru *g, const GruWeights *w, const float *c, const int32_t *tok,
                        const float *h0, size_t B, size_t T) {
    size_t H3 = 3 * g->cfg.hidden;
    set_initial_state(g, h0, B, T);
    build_wtok(g, w);
    build_cproj(g, w, c, B);
    for (size_t t = 0; t < T; t++)
        for (size_t b = 0; b < B; b++) {
            float *dst = g->gates[0] + (t * B + b) * H3;
            const float *cp = g->cproj + b * H3, *wt = g->wtok + (size_t)tok[t * B + b] * H3;
            for (size_t j = 0; j < H3; j++) dst[j] = cp[j] + wt[j];
        }
    forward_layers(g, w, 0);
}

/* ---- fast backward ----------------------------------------------------------------- */

/* Time loop + recurrent weight gradients of layer l; leaves dgx filled for the caller's
 * input-side products. dseq (T·B, H) is the gradient arriving at the layer's outputs. */
static void backward_layer(Gru *g, const GruWeights *w, GruWeights *dw, size_t l,
                           const float *dseq, float *dh0) {
    size_t B = g->B, T = g->T, H = g->cfg.hidden, H3 = 3 * H;
    float *dh = g->dh;
    memset(dh, 0, B * H * sizeof(float));
    for (size_t t = T; t-- > 0;) {
        const float *ds = dseq + t * B * H;
        for (size_t i = 0; i < B * H; i++) dh[i] += ds[i];
        float *dgx = g->dgx + t * B * H3, *dgh = g->dgh + t * B * H3;
        cell_backward(dgx, dgh, dh, dh, g->gates[l] + t * B * H3, g->hn[l] + t * B * H,
                      g->h[l] + t * B * H, B, H);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)H, (int)H3, 1.0f,
                    dgh, (int)H3, w->w_hh[l], (int)H, 1.0f, dh, (int)H);
    }
    if (dh0)
        for (size_t i = 0; i < B * H; i++) dh0[l * B * H + i] += dh[i];
    if (dw && dw->w_hh[l])
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)H3, (int)H, (int)(T * B), 1.0f,
                    g->dgh, (int)H3, g->h[l], (int)H, 1.0f, dw->w_hh[l], (int)H);
    if (dw && dw->b_hh[l]) add_col_sums(dw->b_hh[l], g->dgh, T * B, H3);
    if (dw && dw->b_ih[l]) add_col_sums(dw->b_ih[l], g->dgx, T * B, H3);
}

/* Layers L−1 .. 1 (each hands dseq to the one below), then layer 0's time loop. */
static void backward_upper(Gru *g, const GruWeights *w, GruWeights *dw, const float *dout,
                           float *dh0) {
    size_t B = g->B, T = g->T, H = g->cfg.hidden, H3 = 3 * H;
    const float *dseq = dout;
    for (size_t l = g->cfg.layers; l-- > 1;) {
        backward_layer(g, w, dw, l, dseq, dh0);
        if (dw && dw->w_ih[l])
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)H3, (int)H, (int)(T * B),
                        1.0f, g->dgx, (int)H3, g->h[l - 1] + B * H, (int)H, 1.0f, dw->w_ih[l],
                        (int)H);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(T * B), (int)H, (int)H3,
                    1.0f, g->dgx, (int)H3, w->w_ih[l], (int)H, 0.0f, g->dseq, (int)H);
        dseq = g->dseq;
    }
    backward_layer(g, w, dw, 0, dseq, dh0);
}

void gru_backward(Gru *g, const GruWeights *w, GruWeights *dw, const float *x,
                  const float *dout, float *dx, float *dh0) {
    size_t B = g->B, T = g->T, H3 = 3 * g->cfg.hidden, In = g->cfg.input;
    backward_upper(g, w, dw, dout, dh0);
    if (dw && dw->w_ih[0])
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)H3, (int)In, (int)(T * B), 1.0f,
                    g->dgx, (int)H3, x, (int)In, 1.0f, dw->w_ih[0], (int)In);
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(T * B), (int)In, (int)H3,
                    1.0f, g->dgx, (int)H3, w->w_ih[0], (int)In, 1.0f, dx, (int)In);
}

void gru_backward_tokens(Gru *g, const GruWeights *w, GruWeights *dw, const float *c,
                         const int32_t *tok, const float *dout, float *dc, float *dh0) {
    size_t B = g->B, T = g->T, H3 = 3 * g->cfg.hidden, In = g->cfg.input;
    size_t D = g->cfg.const_dim, V = g->cfg.vocab;
    backward_upper(g, w, dw, dout, dh0);
    int want_wc = dw && dw->w_ih[0] && D > 0, want_dc = dc && D > 0;
    if (want_wc || want_dc) {
        memcpy(g->dsum, g->dgx, B * H3 * sizeof(float));
        for (size_t t = 1; t < T; t++) {
            const float *src = g->dgx + t * B * H3;
            for (size_t i = 0; i < B * H3; i++) g->dsum[i] += src[i];
        }
        if (want_wc)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)H3, (int)D, (int)B, 1.0f,
                        g->dsum, (int)H3, c, (int)D, 1.0f, dw->w_ih[0], (int)In);
        if (want_dc)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)D, (int)H3, 1.0f,
                        g->dsum, (int)H3, w->w_ih[0], (int)In, 1.0f, dc, (int)D);
    }
    if (dw && dw->w_ih[0]) {
        memset(g->dwtok, 0, V * H3 * sizeof(float));
        for (size_t r = 0; r < T * B; r++) {
            float *dst = g->dwtok + (size_t)tok[r] * H3;
            const float *src = g->dgx + r * H3;
            for (size_t j = 0; j < H3; j++) dst[j] += src[j];
        }
        for (size_t j = 0; j < H3; j++)
            for (size_t v = 0; v < V; v++) dw->w_ih[0][j * In + D + v] += g->dwtok[v * H3 + j];
    }
}

/* ---- naive twins ------------------------------------------------------------------- */

/* Layer-0 input element i of row (t, b): dense x, or [c ; onehot(tok)]. */
static float input_at(const Gru *g, const float *x, const float *c, const int32_t *tok,
                      size_t t, size_t b, size_t i) {
    size_t B = g->B, In = g->cfg.input, D = g->cfg.const_dim;
    if (x) return x[(t * B + b) * In + i];
    if (i < D) return c[b * D + i];
    return (size_t)tok[t * B + b] == i - D ? 1.0f : 0.0f;
}

static float layer_input(const Gru *g, size_t l, const float *x, const float *c,
                         const int32_t *tok, size_t t, size_t b, size_t i) {
    if (l == 0) return input_at(g, x, c, tok, t, b, i);
    size_t B = g->B, H = g->cfg.hidden;
    return g->h[l - 1][((t + 1) * B + b) * H + i];
}

static void forward_naive(Gru *g, const GruWeights *w, const float *x, const float *c,
                          const int32_t *tok, const float *h0, size_t B, size_t T) {
    size_t H = g->cfg.hidden, H3 = 3 * H;
    set_initial_state(g, h0, B, T);
    for (size_t l = 0; l < g->cfg.layers; l++) {
        size_t In = l == 0 ? g->cfg.input : H;
        for (size_t t = 0; t < T; t++) {
            const float *hp = g->h[l] + t * B * H;
            for (size_t b = 0; b < B; b++)
                for (size_t j = 0; j < H3; j++) {
                    double sx = w->b_ih[l][j], sh = w->b_hh[l][j];
                    for (size_t i = 0; i < In; i++)
                        sx += (double)w->w_ih[l][j * In + i] * layer_input(g, l, x, c, tok, t, b, i);
                    for (size_t k = 0; k < H; k++) sh += (double)w->w_hh[l][j * H + k] * hp[b * H + k];
                    g->gates[l][(t * B + b) * H3 + j] = (float)sx;
                    g->sh[b * H3 + j] = (float)sh;
                }
            cell_forward(g->h[l] + (t + 1) * B * H, g->gates[l] + t * B * H3,
                         g->hn[l] + t * B * H, g->sh, hp, B, H, 1);
        }
    }
}

static void backward_naive(Gru *g, const GruWeights *w, GruWeights *dw, const float *x,
                           const float *c, const int32_t *tok, const float *dout, float *dx,
                           float *dc, float *dh0) {
    size_t B = g->B, T = g->T, H = g->cfg.hidden, H3 = 3 * H, D = g->cfg.const_dim;
    for (size_t l = g->cfg.layers; l-- > 0;) {
        size_t In = l == 0 ? g->cfg.input : H;
        const float *dseq = l == g->cfg.layers - 1 ? dout : g->dseq;
        float *dh = g->dh;
        memset(dh, 0, B * H * sizeof(float));
        for (size_t t = T; t-- > 0;) {
            for (size_t i = 0; i < B * H; i++) dh[i] += dseq[t * B * H + i];
            float *dgx = g->dgx + t * B * H3, *dgh = g->dgh + t * B * H3;
            const float *hp = g->h[l] + t * B * H;
            cell_backward(dgx, dgh, dh, dh, g->gates[l] + t * B * H3, g->hn[l] + t * B * H, hp,
                          B, H);
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
        /* gradient of this layer's input: dseq of the layer below, or dx / dc */
        if (l > 0) memset(g->dseq, 0, T * B * H * sizeof(float));
        for (size_t t = 0; t < T; t++)
            for (size_t b = 0; b < B; b++)
                for (size_t j = 0; j < H3; j++) {
                    float gx = g->dgx[(t * B + b) * H3 + j];
                    for (size_t i = 0; i < In; i++) {
                        float wv = w->w_ih[l][j * In + i];
                        if (l > 0)
                            g->dseq[(t * B + b) * H + i] += gx * wv;
                        else if (x && dx)
                            dx[(t * B + b) * In + i] += gx * wv;
                        else if (!x && dc && i < D)
                            dc[b * D + i] += gx * wv;
                    }
                }
    }
}

void gru_forward_naive(Gru *g, const GruWeights *w, const float *x, const float *h0,
                       size_t B, size_t T) {
    forward_naive(g, w, x, NULL, NULL, h0, B, T);
}

void gru_forward_tokens_naive(Gru *g, const GruWeights *w, const float *c,
                              const int32_t *tok, const float *h0, size_t B, size_t T) {
    forward_naive(g, w, NULL, c, tok, h0, B, T);
}

void gru_backward_naive(Gru *g, const GruWeights *w, GruWeights *dw, const float *x,
                        const float *dout, float *dx, float *dh0) {
    backward_naive(g, w, dw, x, NULL, NULL, dout, dx, NULL, dh0);
}

void gru_backward_tokens_naive(Gru *g, const GruWeights *w, GruWeights *dw, const float *c,
                               const int32_t *tok, const float *dout, float *dc,
                               float *dh0) {
    backward_naive(g, w, dw, NULL, c, tok, dout, NULL, dc, dh0);
}

/* ---- batched inference ------------------------------------------------------------- */

void gru_infer_begin(Gru *g, const GruWeights *w, const float *c, const float *h0, size_t B) {
    size_t H = g->cfg.hidden, L = g->cfg.layers;
    g->infer_B = B;
    if (h0)
        memcpy(g->state, h0, L * B * H * sizeof(float));
    else
        memset(g->state, 0, L * B * H * sizeof(float));
    if (g->cfg.vocab > 0) {
        build_wtok(g, w);
        build_cproj(g, w, c, B);
    }
}

/* Layers from 0 with g->sx already holding layer 0's input projection (+ b_ih). */
static const float *infer_layers(Gru *g, const GruWeights *w) {
    size_t B = g->infer_B, H = g->cfg.hidden, H3 = 3 * H;
    for (size_t l = 0; l < g->cfg.layers; l++) {
        float *st = g->state + l * B * H;
        if (l > 0) {
            fill_rows(g->sx, w->b_ih[l], B, H3);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)H3, (int)H, 1.0f,
                        st - B * H, (int)H, w->w_ih[l], (int)H, 1.0f, g->sx, (int)H3);
        }
        fill_rows(g->sh, w->b_hh[l], B, H3);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)H3, (int)H, 1.0f, st,
                    (int)H, w->w_hh[l], (int)H, 1.0f, g->sh, (int)H3);
        cell_forward(st, g->sx, NULL, g->sh, st, B, H, 0);
    }
    return g->state + (g->cfg.layers - 1) * B * H;
}

const float *gru_infer_step(Gru *g, const GruWeights *w, const float *x) {
    size_t B = g->infer_B, H3 = 3 * g->cfg.hidden, In = g->cfg.input;
    fill_rows(g->sx, w->b_ih[0], B, H3);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)H3, (int)In, 1.0f, x,
                (int)In, w->w_ih[0], (int)In, 1.0f, g->sx, (int)H3);
    return infer_layers(g, w);
}

const float *gru_infer_step_tokens(Gru *g, const GruWeights *w, const int32_t *tok) {
    size_t B = g->infer_B, H3 = 3 * g->cfg.hidden;
    for (size_t b = 0; b < B; b++) {
        const float *cp = g->cproj + b * H3, *wt = g->wtok + (size_t)tok[b] * H3;
        for (size_t j = 0; j < H3; j++) g->sx[b * H3 + j] = cp[j] + wt[j];
    }
    return infer_layers(g, w);
}
