/* vae.c — the VAE of src/model/README.md "Architecture" assembled from src/nn ops (contract
 * in include/chemvae/model/vae.h).
 *
 * Layout: every trainable tensor is registered in one NnParams table (so Adam, zero-grad,
 * checkpoints and the gradient check see one flat array); batchnorm running statistics
 * live in a second table without gradients. Activations are plain buffers sized for
 * max_B and T, allocated once in cv_vae_init; a training step allocates nothing.
 *
 * Why the decoder runs only `steps` = max(lengths) of each batch: the GRU is causal and
 * the positions after a molecule's <end> are masked out of the loss, so the result is
 * identical to running all T steps, at a fraction of the cost (ZINC molecules average
 * ~45 tokens of a T of 120).
 *
 * The encoder's one-hot input keeps all T positions (padding is one-hot <pad>) because the
 * flatten + dense layer needs a fixed length.
 *
 * Why batchnorm comes BEFORE tanh in the encoder (chemical_vae puts it after): a unit whose
 * tanh saturates on almost every training molecule gets a running variance near 1e-6, and
 * in eval mode one molecule where it does not saturate is scaled by ~300 — measured: mu and
 * logvar of ~20 on validation molecules, validation KL of 1e8 after two epochs. With
 * BN -> tanh every encoder activation stays in [-1, 1] whatever the statistics. */
#include "chemvae/model/vae.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/nn/activation.h"
#include "chemvae/nn/batchnorm.h"
#include "chemvae/nn/conv1d.h"
#include "chemvae/nn/dense.h"
#include "chemvae/nn/loss.h"
#include "chemvae/nn/rowpar.h"

#define BN_MOMENTUM 0.05f
#define BN_EPS 1e-5f

/* ---- configuration ---------------------------------------------------------------- */

/* The presets: "paper" (chemical_vae's ZINC sizes), "small" (a CPU budget model: wider
 * convolutions, a smaller recurrent core), "tiny" (tests: every code path at a few thousand
 * parameters). */
static const struct {
    const char *name;
    int n_conv, conv_ch[3], conv_k[3];
    int enc_dense, Z, dec_dense, gru_layers, H, n_prop, prop_hidden[3];
} PRESETS[] = {
    // clang-format off
    /* name     convs  channels      kernels     enc   Z    dec  L  H    prop hidden */
    {"paper",   3, {9, 9, 10},   {9, 9, 11}, 196, 196, 196, 3, 488, 3, {67, 66, 65}},
    {"small",   3, {16, 16, 16}, {9, 9, 11}, 256, 64,  128, 3, 256, 3, {64, 64, 64}},
    {"tiny",    2, {4, 5},       {3, 3},     12,  6,   8,   2, 16,  2, {8, 7}},
    // clang-format on
};

CvStatus cv_vae_config_preset(const char *preset, int T, int V, int P, VaeConfig *cfg,
                              CvError *err) {
    memset(cfg, 0, sizeof *cfg);
    cfg->T = T;
    cfg->V = V;
    cfg->P = P;
    for (size_t i = 0; i < sizeof PRESETS / sizeof *PRESETS; i++) {
        if (strcmp(preset, PRESETS[i].name) != 0) continue;
        cfg->n_conv = PRESETS[i].n_conv;
        memcpy(cfg->conv_ch, PRESETS[i].conv_ch, sizeof PRESETS[i].conv_ch);
        memcpy(cfg->conv_k, PRESETS[i].conv_k, sizeof PRESETS[i].conv_k);
        cfg->enc_dense = PRESETS[i].enc_dense;
        cfg->Z = PRESETS[i].Z;
        cfg->dec_dense = PRESETS[i].dec_dense;
        cfg->gru_layers = PRESETS[i].gru_layers;
        cfg->H = PRESETS[i].H;
        cfg->n_prop = PRESETS[i].n_prop;
        memcpy(cfg->prop_hidden, PRESETS[i].prop_hidden, sizeof PRESETS[i].prop_hidden);
        return cv_vae_config_validate(cfg, err);
    }
    return cv_error_set(err, CV_ERR_INVALID,
                        "unknown model preset '%s' (expected paper, small or tiny)", preset);
}

/* The decoder GRU of config c: token mode, h_z as its constant input (see GruConfig). */
static GruConfig decoder_gru(const VaeConfig *c, size_t max_B, size_t max_T) {
    return (GruConfig){.layers = (size_t)c->gru_layers,
                       .input = (size_t)(c->dec_dense + c->V),
                       .hidden = (size_t)c->H,
                       .const_dim = (size_t)c->dec_dense,
                       .vocab = (size_t)c->V,
                       .max_B = max_B,
                       .max_T = max_T,
                       .const_all = c->dec_z_all != 0};
}

double cv_vae_config_param_count(const VaeConfig *c) {
    double n = 0, in = c->V, L = c->T;
    for (int i = 0; i < c->n_conv; i++) {
        n += (double)c->conv_ch[i] * in * c->conv_k[i] + 3.0 * c->conv_ch[i]; /* w, b, BN */
        in = c->conv_ch[i];
        L -= c->conv_k[i] - 1;
    }
    double D = c->enc_dense, Z = c->Z, E = c->dec_dense, H = c->H, V = c->V;
    n += L * in * D + 3 * D + 2 * (D * Z + Z) + Z * E + E;
    GruConfig gc = decoder_gru(c, 0, 0);
    for (int l = 0; l < c->gru_layers; l++)
        n += 3 * H * ((double)cv_gru_layer_input(&gc, (size_t)l) + H + 2);
    n += H * V + V;
    double prev = Z;
    for (int i = 0; i < c->n_prop; i++)
        n += prev * c->prop_hidden[i] + c->prop_hidden[i], prev = c->prop_hidden[i];
    return n + prev * c->P + c->P;
}

CvStatus cv_vae_config_validate(const VaeConfig *c, CvError *err) {
    struct {
        const char *name;
        int v;
    } pos[] = {{"T", c->T},
               {"V", c->V},
               {"Z", c->Z},
               {"enc_dense", c->enc_dense},
               {"dec_dense", c->dec_dense},
               {"gru_layers", c->gru_layers},
               {"H", c->H}};
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++)
        if (pos[i].v <= 0)
            return cv_error_set(err, CV_ERR_INVALID, "model config: %s must be positive, got %d",
                                pos[i].name, pos[i].v);
    if (c->V < 4) return cv_error_set(err, CV_ERR_INVALID, "model config: V=%d < 4", c->V);
    if (c->T > VAE_MAX_T || c->V > VAE_MAX_V)
        return cv_error_set(err, CV_ERR_INVALID, "model config: T=%d, V=%d (at most %d, %d)", c->T,
                            c->V, VAE_MAX_T, VAE_MAX_V);
    int widths[] = {c->Z, c->enc_dense, c->dec_dense, c->H, c->P};
    const char *wname[] = {"Z", "enc_dense", "dec_dense", "H", "P"};
    for (int i = 0; i < 5; i++)
        if (widths[i] > VAE_MAX_WIDTH)
            return cv_error_set(err, CV_ERR_INVALID, "model config: %s=%d is more than %d",
                                wname[i], widths[i], VAE_MAX_WIDTH);
    if (c->P < 0) return cv_error_set(err, CV_ERR_INVALID, "model config: P=%d", c->P);
    if (c->n_conv < 1 || c->n_conv > VAE_MAX_CONV)
        return cv_error_set(err, CV_ERR_INVALID, "model config: n_conv=%d not in 1..%d", c->n_conv,
                            VAE_MAX_CONV);
    if (c->n_prop < 0 || c->n_prop > VAE_MAX_PROP)
        return cv_error_set(err, CV_ERR_INVALID, "model config: n_prop=%d not in 0..%d", c->n_prop,
                            VAE_MAX_PROP);
    if (c->gru_layers > GRU_MAX_LAYERS)
        return cv_error_set(err, CV_ERR_INVALID, "model config: gru_layers=%d > %d", c->gru_layers,
                            GRU_MAX_LAYERS);
    int L = c->T;
    for (int i = 0; i < c->n_conv; i++) {
        if (c->conv_ch[i] <= 0 || c->conv_k[i] <= 0)
            return cv_error_set(err, CV_ERR_INVALID,
                                "model config: conv%d has %d channels, kernel %d", i, c->conv_ch[i],
                                c->conv_k[i]);
        L -= c->conv_k[i] - 1;
        if (L < 1)
            return cv_error_set(
                err, CV_ERR_INVALID,
                "model config: T=%d too short for the conv stack (kernels sum too large)", c->T);
    }
    for (int i = 0; i < c->n_conv; i++)
        if (c->conv_ch[i] > VAE_MAX_WIDTH)
            return cv_error_set(err, CV_ERR_INVALID,
                                "model config: conv%d has %d channels (at most %d)", i,
                                c->conv_ch[i], VAE_MAX_WIDTH);
    for (int i = 0; i < c->n_prop; i++)
        if (c->prop_hidden[i] <= 0 || c->prop_hidden[i] > VAE_MAX_WIDTH)
            return cv_error_set(err, CV_ERR_INVALID, "model config: prop_hidden[%d]=%d", i,
                                c->prop_hidden[i]);
    double np = cv_vae_config_param_count(c);
    if (np > (double)VAE_MAX_PARAMS)
        return cv_error_set(err, CV_ERR_INVALID,
                            "model config: %.0f M parameters (at most %ld M): refused before "
                            "allocating (H=%d, Z=%d, enc_dense=%d, dec_dense=%d)",
                            np / 1e6, VAE_MAX_PARAMS / 1000000, c->H, c->Z, c->enc_dense,
                            c->dec_dense);
    return CV_OK;
}

void cv_vae_config_describe(const VaeConfig *c, char *buf, size_t cap) {
    size_t n = 0;
#define PUT(...)                                                                                   \
    n += (size_t)snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0, __VA_ARGS__)
    PUT("T=%d V=%d P=%d conv=", c->T, c->V, c->P);
    for (int i = 0; i < c->n_conv; i++) PUT("%s%dk%d", i ? "," : "", c->conv_ch[i], c->conv_k[i]);
    PUT(" enc_dense=%d Z=%d dec_dense=%d gru=%dx%d prop=", c->enc_dense, c->Z, c->dec_dense,
        c->gru_layers, c->H);
    for (int i = 0; i < c->n_prop; i++) PUT("%s%d", i ? "," : "", c->prop_hidden[i]);
    if (c->dec_z_all) PUT(" decoder=z-every-layer");
#undef PUT
}

/* ---- construction ----------------------------------------------------------------- */

static CvStatus add(NnParams *p, const char *name, size_t a, size_t b, size_t c, size_t *id,
                    CvError *err) {
    size_t shape[3] = {a, b, c};
    int ndim = c ? 3 : (b ? 2 : 1);
    return cv_nn_params_add(p, name, ndim, shape, id, err);
}

/* A layer's weight "<prefix>.w" of shape (out, in[, k]) and bias "<prefix>.b" (out). */
static CvStatus add_layer(Vae *v, const char *prefix, size_t out, size_t in, size_t k, size_t *w,
                          size_t *b, CvError *err) {
    char name[NN_PARAM_NAME_MAX];
    snprintf(name, sizeof name, "%s.w", prefix);
    CvStatus st = add(&v->params, name, out, in, k, w, err);
    if (st) return st;
    snprintf(name, sizeof name, "%s.b", prefix);
    return add(&v->params, name, out, 0, 0, b, err);
}

/* A batchnorm over n channels: "<prefix>.gamma" and ".beta" trained (v->params),
 * ".running_mean" and ".running_var" statistics (v->stats). ids: gamma, beta, mean, var. */
static CvStatus add_batchnorm(Vae *v, const char *prefix, size_t n, size_t *const ids[4],
                              CvError *err) {
    static const char *const SUFFIX[4] = {"gamma", "beta", "running_mean", "running_var"};
    char name[NN_PARAM_NAME_MAX];
    for (int k = 0; k < 4; k++) {
        snprintf(name, sizeof name, "%s.%s", prefix, SUFFIX[k]);
        CvStatus st = add(k < 2 ? &v->params : &v->stats, name, n, 0, 0, ids[k], err);
        if (st) return st;
    }
    return CV_OK;
}

static CvStatus register_params(Vae *v, CvError *err) {
    const VaeConfig *c = &v->cfg;
    char name[NN_PARAM_NAME_MAX];
    CvStatus st;
    int cin = c->V;
    for (int i = 0; i < c->n_conv; i++) {
        size_t ch = (size_t)c->conv_ch[i];
        size_t *const bn[4] = {&v->id_conv_g[i], &v->id_conv_beta[i], &v->id_conv_rm[i],
                               &v->id_conv_rv[i]};
        snprintf(name, sizeof name, "enc.conv%d", i);
        if ((st = add_layer(v, name, ch, (size_t)cin, (size_t)c->conv_k[i], &v->id_conv_w[i],
                            &v->id_conv_b[i], err)))
            return st;
        snprintf(name, sizeof name, "enc.bn%d", i);
        if ((st = add_batchnorm(v, name, ch, bn, err))) return st;
        cin = c->conv_ch[i];
    }
    size_t flat = (size_t)v->conv_len[c->n_conv] * (size_t)cin, D = (size_t)c->enc_dense;
    size_t Z = (size_t)c->Z, E = (size_t)c->dec_dense;
    size_t *const bnfc[4] = {&v->id_enc_g, &v->id_enc_beta, &v->id_enc_rm, &v->id_enc_rv};
    if ((st = add_layer(v, "enc.fc", D, flat, 0, &v->id_enc_w, &v->id_enc_b, err)) ||
        (st = add_batchnorm(v, "enc.bnfc", D, bnfc, err)) ||
        (st = add_layer(v, "enc.mu", Z, D, 0, &v->id_mu_w, &v->id_mu_b, err)) ||
        (st = add_layer(v, "enc.logvar", Z, D, 0, &v->id_lv_w, &v->id_lv_b, err)) ||
        (st = add_layer(v, "dec.fc", E, Z, 0, &v->id_dec_w, &v->id_dec_b, err)))
        return st;
    GruConfig gc = decoder_gru(c, v->max_B, v->training ? (size_t)c->T : 1);
    if ((st = cv_gru_params_add(&v->params, "dec.gru", &gc, &v->id_gru0, err)) ||
        (st = add_layer(v, "dec.out", (size_t)c->V, (size_t)c->H, 0, &v->id_out_w, &v->id_out_b,
                        err)))
        return st;
    size_t in = Z;
    for (int i = 0; i <= c->n_prop; i++) {
        size_t out = i < c->n_prop ? (size_t)c->prop_hidden[i] : (size_t)c->P;
        if (out == 0) break; /* P = 0: no property head */
        snprintf(name, sizeof name, "prop.fc%d", i);
        if ((st = add_layer(v, name, out, in, 0, &v->id_prop_w[i], &v->id_prop_b[i], err)))
            return st;
        in = out;
    }
    return cv_gru_init(&v->gru, &gc, err);
}

static void init_values(Vae *v, CvRng *rng) {
    NnParams *p = &v->params;
    for (size_t i = 0; i < p->count; i++) {
        const NnParamInfo *in = &p->info[i];
        const char *nm = in->name;
        size_t len = strlen(nm);
        int is_gamma = len > 6 && !strcmp(nm + len - 6, ".gamma");
        int is_beta = len > 5 && !strcmp(nm + len - 5, ".beta");
        if (is_gamma || is_beta) {
            cv_nn_params_fill(p, i, is_gamma ? 1.0f : 0.0f);
            continue;
        }
        /* PyTorch: Linear/Conv bound 1/sqrt(fan_in) for weight and bias; GRU 1/sqrt(H). */
        float bound;
        if (!strncmp(nm, "dec.gru.", 8)) {
            bound = 1.0f / sqrtf((float)v->cfg.H);
        } else {
            const NnParamInfo *w = in;
            if (in->ndim == 1 && i > 0) w = &p->info[i - 1]; /* bias follows its weight */
            size_t fan_in = w->n / w->shape[0];
            bound = 1.0f / sqrtf((float)fan_in);
        }
        cv_nn_params_fill_uniform(p, i, rng, bound);
    }
    for (int i = 0; i < v->cfg.n_conv; i++) cv_nn_params_fill(&v->stats, v->id_conv_rv[i], 1.0f);
    cv_nn_params_fill(&v->stats, v->id_enc_rv, 1.0f);
}

static float *falloc(size_t n, int *fail) {
    float *p = calloc(n ? n : 1, sizeof(float));
    if (!p) *fail = 1;
    return p;
}

/* The buffers of a batch-normalized layer with `rows` positions of `ch` channels: its
 * activations, normalized values, per-channel 1/std, outputs and the two gradients. */
static void alloc_bn_layer(size_t rows, size_t ch, float **act, float **xhat, float **rstd,
                           float **out, float **dout, float **dpre, int *fail) {
    *act = falloc(rows * ch, fail);
    *xhat = falloc(rows * ch, fail);
    *rstd = falloc(ch, fail);
    *out = falloc(rows * ch, fail);
    *dout = falloc(rows * ch, fail);
    *dpre = falloc(rows * ch, fail);
}

/* Both builds: `training` adds Adam moments, the GRU's per-step caches and the decoder's
 * (T, B, ·) loss buffers — over 90% of the memory at the default sizes. */
static CvStatus vae_build(Vae *v, const VaeConfig *cfg, size_t max_B, int training, CvRng *rng,
                          CvError *err) {
    memset(v, 0, sizeof *v);
    CvStatus st = cv_vae_config_validate(cfg, err);
    if (st) return st;
    if (max_B == 0) return cv_error_set(err, CV_ERR_INVALID, "batch size must be positive");
    v->cfg = *cfg;
    v->max_B = max_B;
    v->training = training;
    const VaeConfig *c = cfg;
    v->conv_len[0] = c->T;
    for (int i = 0; i < c->n_conv; i++) v->conv_len[i + 1] = v->conv_len[i] - c->conv_k[i] + 1;
    cv_nn_params_init(&v->params);
    cv_nn_params_init(&v->stats);
    if ((st = register_params(v, err))) return st;
    if ((st =
             cv_nn_params_alloc(&v->params, NN_PARAMS_GRAD | (training ? NN_PARAMS_ADAM : 0), err)))
        return st;
    if ((st = cv_nn_params_alloc(&v->stats, 0, err))) return st;
    cv_gru_params_bind(&v->gw, &v->gdw, &v->params, v->id_gru0, (size_t)c->gru_layers);
    init_values(v, rng);

    size_t B = max_B, T = (size_t)c->T, V = (size_t)c->V, Z = (size_t)c->Z;
    size_t D = (size_t)c->enc_dense, E = (size_t)c->dec_dense, H = (size_t)c->H;
    size_t P = (size_t)c->P;
    int fail = 0;
    v->x = falloc(B * T * V, &fail);
    size_t scratch = 0;
    int cin = c->V;
    for (int i = 0; i < c->n_conv; i++) {
        size_t L = (size_t)v->conv_len[i], Lo = (size_t)v->conv_len[i + 1];
        size_t Co = (size_t)c->conv_ch[i], K = (size_t)c->conv_k[i];
        v->conv_col[i] = falloc(cv_conv1d_col_len(B, L, (size_t)cin, K), &fail);
        size_t s = cv_conv1d_scratch_len(B, L, (size_t)cin, Co, K);
        if (s > scratch) scratch = s;
        alloc_bn_layer(B * Lo, Co, &v->conv_act[i], &v->conv_xhat[i], &v->conv_rstd[i],
                       &v->conv_out[i], &v->conv_dout[i], &v->conv_dpre[i], &fail);
        cin = c->conv_ch[i];
    }
    v->conv_scratch = falloc(scratch, &fail);
    alloc_bn_layer(B, D, &v->enc_act, &v->enc_xhat, &v->enc_rstd, &v->enc_out, &v->enc_dout,
                   &v->enc_dpre, &fail);
    v->mu = falloc(B * Z, &fail);
    v->logvar = falloc(B * Z, &fail);
    v->z = falloc(B * Z, &fail);
    v->eps = falloc(B * Z, &fail);
    v->dmu = falloc(B * Z, &fail);
    v->dlogvar = falloc(B * Z, &fail);
    v->dz = falloc(B * Z, &fail);
    v->hz = falloc(B * E, &fail);
    v->dhz = falloc(B * E, &fail);
    v->tok = calloc((training ? T : 1) * B, sizeof(int32_t)); /* decoding uses B of them */
    if (!v->tok) fail = 1;
    if (training) {
        v->target = calloc(T * B, sizeof(int32_t));
        if (!v->target) fail = 1;
        v->mask = falloc(T * B, &fail);
        v->logits = falloc(T * B * V, &fail);
        v->probs = falloc(T * B * V, &fail);
        v->dlogits = falloc(T * B * V, &fail);
        v->dgru_out = falloc(T * B * H, &fail);
    }
    for (int i = 0; i <= c->n_prop; i++) {
        size_t w = i < c->n_prop ? (size_t)c->prop_hidden[i] : P;
        v->prop_act[i] = falloc(B * w, &fail);
        v->prop_dact[i] = falloc(B * w, &fail);
    }
    v->prop_target = falloc(B * (P ? P : 1), &fail);
    v->prop_weight = falloc(B * (P ? P : 1), &fail);
    v->logit_row = falloc(B * V, &fail);
    v->row_of = calloc(B, sizeof *v->row_of);
    v->row_rng = calloc(B, sizeof *v->row_rng);
    v->kl_dim = calloc(Z, sizeof *v->kl_dim);
    size_t widest = (size_t)c->enc_dense;
    for (int i = 0; i < c->n_conv; i++)
        if ((size_t)c->conv_ch[i] > widest) widest = (size_t)c->conv_ch[i];
    v->bn_work = calloc(2 * widest + 2, sizeof *v->bn_work);
    if (!v->row_of || !v->row_rng || !v->kl_dim || !v->bn_work) fail = 1;
    if (fail)
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory allocating the model (batch %zu)",
                            max_B);
    return CV_OK;
}

CvStatus cv_vae_init(Vae *v, const VaeConfig *cfg, size_t max_B, CvRng *rng, CvError *err) {
    return vae_build(v, cfg, max_B, 1, rng, err);
}

CvStatus cv_vae_init_inference(Vae *v, const VaeConfig *cfg, size_t max_B, CvRng *rng,
                               CvError *err) {
    return vae_build(v, cfg, max_B, 0, rng, err);
}

void cv_vae_free(Vae *v) {
    if (!v) return;
    cv_nn_params_free(&v->params);
    cv_nn_params_free(&v->stats);
    cv_gru_free(&v->gru);
    free(v->x);
    for (int i = 0; i < VAE_MAX_CONV; i++) {
        free(v->conv_col[i]);
        free(v->conv_act[i]);
        free(v->conv_xhat[i]);
        free(v->conv_rstd[i]);
        free(v->conv_out[i]);
        free(v->conv_dout[i]);
        free(v->conv_dpre[i]);
    }
    free(v->conv_scratch);
    float *fs[] = {v->enc_act,     v->enc_xhat,    v->enc_rstd, v->enc_out, v->enc_dout,
                   v->enc_dpre,    v->mu,          v->logvar,   v->z,       v->eps,
                   v->dmu,         v->dlogvar,     v->dz,       v->hz,      v->dhz,
                   v->mask,        v->logits,      v->probs,    v->dlogits, v->dgru_out,
                   v->prop_target, v->prop_weight, v->logit_row};
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) free(fs[i]);
    for (int i = 0; i <= VAE_MAX_PROP; i++) {
        free(v->prop_act[i]);
        free(v->prop_dact[i]);
    }
    free(v->tok);
    free(v->target);
    free(v->row_of);
    free(v->row_rng);
    free(v->kl_dim);
    free(v->bn_work);
    free(v->row_state);
    free(v->row_allowed);
    free(v->row_work);
    memset(v, 0, sizeof *v);
}

/* ---- forward pieces --------------------------------------------------------------- */

#define PD(v, id) cv_nn_params_data(&(v)->params, (id))
#define PG(v, id) cv_nn_params_grad(&(v)->params, (id))
#define SD(v, id) cv_nn_params_data(&(v)->stats, (id))

static void fill_onehot(Vae *v, const int32_t *ids, size_t B) {
    size_t T = (size_t)v->cfg.T, V = (size_t)v->cfg.V;
    memset(v->x, 0, B * T * V * sizeof(float));
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) v->x[(b * T + t) * V + (size_t)ids[b * T + t]] = 1.0f;
}

enum { BN_EVAL, BN_TRAIN, BN_FROZEN };

/* Encoder up to mu/logvar. BN_TRAIN: batch statistics (+ running update); BN_FROZEN:
 * running statistics with the caches a backward needs; BN_EVAL: running statistics. */
static void encoder_forward(Vae *v, const int32_t *ids, size_t B, int train, const CvDist *d) {
    const VaeConfig *c = &v->cfg;
    fill_onehot(v, ids, B);
    const float *in = v->x;
    size_t cin = (size_t)c->V;
    for (int i = 0; i < c->n_conv; i++) {
        size_t L = (size_t)v->conv_len[i], Lo = (size_t)v->conv_len[i + 1];
        size_t Co = (size_t)c->conv_ch[i], K = (size_t)c->conv_k[i], n = B * Lo * Co;
        cv_conv1d_forward(v->conv_act[i], v->conv_col[i], v->conv_scratch, in,
                          PD(v, v->id_conv_w[i]), PD(v, v->id_conv_b[i]), B, L, cin, Co, K);
        if (train == BN_FROZEN)
            cv_batchnorm_forward_frozen(v->conv_out[i], v->conv_xhat[i], v->conv_rstd[i],
                                        v->conv_act[i], PD(v, v->id_conv_g[i]),
                                        PD(v, v->id_conv_beta[i]), SD(v, v->id_conv_rm[i]),
                                        SD(v, v->id_conv_rv[i]), B * Lo, Co, BN_EPS);
        else if (train)
            cv_batchnorm_forward_train_dist(
                v->conv_out[i], v->conv_xhat[i], v->conv_rstd[i], SD(v, v->id_conv_rm[i]),
                SD(v, v->id_conv_rv[i]), v->conv_act[i], PD(v, v->id_conv_g[i]),
                PD(v, v->id_conv_beta[i]), B * Lo, Co, BN_MOMENTUM, BN_EPS, d, v->bn_work);
        else
            cv_batchnorm_forward_eval(v->conv_out[i], v->conv_act[i], PD(v, v->id_conv_g[i]),
                                      PD(v, v->id_conv_beta[i]), SD(v, v->id_conv_rm[i]),
                                      SD(v, v->id_conv_rv[i]), B * Lo, Co, BN_EPS);
        cv_act_tanh_forward(v->conv_out[i], v->conv_out[i], n);
        in = v->conv_out[i];
        cin = Co;
    }
    size_t flat = (size_t)v->conv_len[c->n_conv] * cin, D = (size_t)c->enc_dense, Z = (size_t)c->Z;
    cv_dense_forward(v->enc_act, in, PD(v, v->id_enc_w), PD(v, v->id_enc_b), B, flat, D);
    if (train == BN_FROZEN)
        cv_batchnorm_forward_frozen(v->enc_out, v->enc_xhat, v->enc_rstd, v->enc_act,
                                    PD(v, v->id_enc_g), PD(v, v->id_enc_beta), SD(v, v->id_enc_rm),
                                    SD(v, v->id_enc_rv), B, D, BN_EPS);
    else if (train)
        cv_batchnorm_forward_train_dist(v->enc_out, v->enc_xhat, v->enc_rstd, SD(v, v->id_enc_rm),
                                        SD(v, v->id_enc_rv), v->enc_act, PD(v, v->id_enc_g),
                                        PD(v, v->id_enc_beta), B, D, BN_MOMENTUM, BN_EPS, d,
                                        v->bn_work);
    else
        cv_batchnorm_forward_eval(v->enc_out, v->enc_act, PD(v, v->id_enc_g), PD(v, v->id_enc_beta),
                                  SD(v, v->id_enc_rm), SD(v, v->id_enc_rv), B, D, BN_EPS);
    cv_act_tanh_forward(v->enc_out, v->enc_out, B * D);
    cv_dense_forward(v->mu, v->enc_out, PD(v, v->id_mu_w), PD(v, v->id_mu_b), B, D, Z);
    cv_dense_forward(v->logvar, v->enc_out, PD(v, v->id_lv_w), PD(v, v->id_lv_b), B, D, Z);
}

void cv_vae_prop_forward(Vae *v, const float *z, size_t B, float *pred) {
    const VaeConfig *c = &v->cfg;
    if (c->P == 0) return;
    const float *in = z;
    size_t nin = (size_t)c->Z;
    for (int i = 0; i <= c->n_prop; i++) {
        size_t out = i < c->n_prop ? (size_t)c->prop_hidden[i] : (size_t)c->P;
        cv_dense_forward(v->prop_act[i], in, PD(v, v->id_prop_w[i]), PD(v, v->id_prop_b[i]), B, nin,
                         out);
        if (i < c->n_prop) cv_act_tanh_forward(v->prop_act[i], v->prop_act[i], B * out);
        in = v->prop_act[i];
        nin = out;
    }
    if (pred) memcpy(pred, v->prop_act[c->n_prop], B * (size_t)c->P * sizeof(float));
}

/* Backward through the property head from dpred (B, P); weight grads when `grads`. */
static void prop_backward(Vae *v, const float *z, const float *dpred, size_t B, float *dz,
                          int grads) {
    const VaeConfig *c = &v->cfg;
    int n = c->n_prop;
    if (dpred != v->prop_dact[n]) memcpy(v->prop_dact[n], dpred, B * (size_t)c->P * sizeof(float));
    for (int i = n; i >= 0; i--) {
        size_t out = i < n ? (size_t)c->prop_hidden[i] : (size_t)c->P;
        size_t nin = i > 0 ? (size_t)c->prop_hidden[i - 1] : (size_t)c->Z;
        const float *in = i > 0 ? v->prop_act[i - 1] : z;
        float *din = i > 0 ? v->prop_dact[i - 1] : dz;
        if (i > 0) {
            /* prop_dact[i-1] is wrt the tanh output; turn it into wrt pre-activation below */
            memset(din, 0, B * nin * sizeof(float));
        }
        cv_dense_backward(din, grads ? PG(v, v->id_prop_w[i]) : NULL,
                          grads ? PG(v, v->id_prop_b[i]) : NULL, v->prop_dact[i], in,
                          PD(v, v->id_prop_w[i]), B, nin, out);
        if (i > 0) {
            /* in-place tanh backward: d_pre = d_post ⊙ (1 − y²) */
            float *d = v->prop_dact[i - 1];
            const float *y = v->prop_act[i - 1];
            for (size_t k = 0; k < B * nin; k++) d[k] *= 1.0f - y[k] * y[k];
        }
    }
}

double cv_vae_prop_train_step(Vae *v, const float *z, const float *target, const float *mask,
                              size_t B) {
    const VaeConfig *c = &v->cfg;
    size_t P = (size_t)c->P;
    if (P == 0) return 0.0;
    for (int i = 0; i <= c->n_prop; i++) {
        const NnParamInfo *w = &v->params.info[v->id_prop_w[i]],
                          *b = &v->params.info[v->id_prop_b[i]];
        memset(PG(v, v->id_prop_w[i]), 0, w->n * sizeof(float));
        memset(PG(v, v->id_prop_b[i]), 0, b->n * sizeof(float));
    }
    memcpy(v->prop_target, target, B * P * sizeof(float));
    for (size_t i = 0; i < B * P; i++) v->prop_weight[i] = mask ? mask[i] : 1.0f;
    cv_vae_prop_forward(v, z, B, NULL);
    double loss =
        cv_loss_mse_forward(v->prop_act[c->n_prop], v->prop_target, v->prop_weight, B * P) /
        (double)(P * B);
    float *dpred = v->prop_dact[c->n_prop];
    memset(dpred, 0, B * P * sizeof(float));
    cv_loss_mse_backward(dpred, v->prop_act[c->n_prop], v->prop_target, v->prop_weight, B * P,
                         1.0f / (float)(P * B));
    memset(v->dz, 0, B * (size_t)c->Z * sizeof(float));
    prop_backward(v, z, dpred, B, v->dz, 1);
    return loss;
}

void cv_vae_prop_backward(Vae *v, const float *z, const float *dpred, size_t B, float *dz) {
    if (v->cfg.P == 0) return;
    prop_backward(v, z, dpred, B, dz, 0);
}

/* The word-dropout draw of input t of batch row `row`: uniform in [0, 1), a hash of
 * (seed, row, t) (splitmix64's finalizer), so a row draws the same numbers whichever
 * process holds it and however long the batch's longest molecule is. */
static float dropout_draw(uint64_t seed, size_t row, size_t t) {
    uint64_t x = seed ^ ((uint64_t)(row + 1) * 0x9e3779b97f4a7c15ULL) ^
                 ((uint64_t)t * 0xd1b54a32d192ed03ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return (float)(x >> 40) * (1.0f / 16777216.0f);
}

/* Decoder teacher-forced forward; returns CE sum and fills accuracy counters. With
 * word_dropout > 0 each input after <start> becomes <pad> with that probability (draws
 * by dropout_draw; the batch's rows are rows row0.. of the whole batch). */
static double decoder_forward(Vae *v, const float *z, const int32_t *ids, const int32_t *lengths,
                              size_t B, float word_dropout, uint64_t dropout_seed, size_t row0,
                              int full_length, VaeLoss *out) {
    const VaeConfig *c = &v->cfg;
    size_t T = (size_t)c->T, V = (size_t)c->V, E = (size_t)c->dec_dense, H = (size_t)c->H;
    size_t steps = full_length ? T : 1;
    for (size_t b = 0; b < B; b++)
        if ((size_t)lengths[b] > steps) steps = (size_t)lengths[b];
    if (steps > T) steps = T;
    v->steps = steps;
    for (size_t t = 0; t < steps; t++)
        for (size_t b = 0; b < B; b++) {
            v->tok[t * B + b] = t == 0 ? VAE_TOK_START : ids[b * T + t - 1];
            v->target[t * B + b] = ids[b * T + t];
            v->mask[t * B + b] = (int32_t)t < lengths[b] ? 1.0f : 0.0f;
        }
    if (word_dropout > 0.0f)
        for (size_t t = 1; t < steps; t++)
            for (size_t b = 0; b < B; b++)
                if (dropout_draw(dropout_seed, row0 + b, t) < word_dropout)
                    v->tok[t * B + b] = VAE_TOK_PAD;
    cv_dense_forward(v->hz, z, PD(v, v->id_dec_w), PD(v, v->id_dec_b), B, (size_t)c->Z, E);
    cv_act_tanh_forward(v->hz, v->hz, B * E);
    cv_gru_forward_tokens(&v->gru, &v->gw, v->hz, v->tok, NULL, B, steps);
    size_t N = steps * B;
    cv_dense_forward(v->logits, cv_gru_output(&v->gru), PD(v, v->id_out_w), PD(v, v->id_out_b), N,
                     H, V);
    double ce = cv_loss_ce_forward(v->probs, NULL, v->logits, v->target, v->mask, N, V);
    /* accuracy: argmax == target at unmasked positions; exact when all hit */
    size_t tokens = 0, correct = 0, exact = 0;
    for (size_t b = 0; b < B; b++) {
        int all = 1;
        for (size_t t = 0; t < (size_t)lengths[b] && t < steps; t++) {
            const float *row = v->logits + (t * B + b) * V;
            size_t best = 0;
            for (size_t k = 1; k < V; k++)
                if (row[k] > row[best]) best = k;
            tokens++;
            if ((int32_t)best == v->target[t * B + b]) correct++;
            else all = 0;
        }
        exact += (size_t)all;
    }
    out->tokens = tokens;
    out->correct = correct;
    out->exact = exact;
    return ce;
}

static double prop_loss_forward(Vae *v, const float *props, const float *prop_mask, size_t B) {
    size_t P = (size_t)v->cfg.P;
    if (P == 0 || !props) return 0.0;
    memcpy(v->prop_target, props, B * P * sizeof(float));
    for (size_t i = 0; i < B * P; i++) v->prop_weight[i] = prop_mask ? prop_mask[i] : 1.0f;
    cv_vae_prop_forward(v, v->mu, B, NULL);
    return cv_loss_mse_forward(v->prop_act[v->cfg.n_prop], v->prop_target, v->prop_weight, B * P) /
           (double)P;
}

/* ---- public training / evaluation ------------------------------------------------- */

void cv_vae_forward_backward(Vae *v, const int32_t *ids, const int32_t *lengths, const float *props,
                             const float *prop_mask, const float *eps, size_t B, float beta,
                             float prop_weight, VaeLoss *out) {
    VaeStepOptions so = {.beta = beta, .prop_weight = prop_weight};
    cv_vae_train_step(v, ids, lengths, props, prop_mask, eps, B, &so, out);
}

/* Batch-mean KL of each latent dimension into v->kl_dim (summed over the group d, whose
 * batch has Btot rows); returns their sum, floored per dimension at free_bits (the loss
 * term), and the plain sum in *kl_total. */
static double kl_per_dim(Vae *v, size_t B, size_t Btot, const CvDist *grp, float free_bits,
                         double *kl_total) {
    size_t Z = (size_t)v->cfg.Z;
    double floored = 0.0, total = 0.0;
    for (size_t d = 0; d < Z; d++) v->kl_dim[d] = 0.0;
    for (size_t b = 0; b < B; b++)
        for (size_t d = 0; d < Z; d++) {
            double mu = v->mu[b * Z + d], lv = v->logvar[b * Z + d];
            v->kl_dim[d] += -0.5 * (1.0 + lv - mu * mu - exp(lv));
        }
    cv_dist_sum_d(grp, v->kl_dim, Z);
    for (size_t d = 0; d < Z; d++) {
        v->kl_dim[d] /= (double)Btot;
        total += v->kl_dim[d];
        floored += v->kl_dim[d] > free_bits ? v->kl_dim[d] : (double)free_bits;
    }
    *kl_total = total;
    return floored;
}

/* The loss terms and counters of the group's rows summed (recon and prop are already
 * divided by the whole batch's size; kl is the group's already). */
static void loss_sum_group(VaeLoss *out, const CvDist *grp) {
    if (cv_dist_size(grp) < 2) return;
    double s[5] = {out->recon, out->prop, (double)out->tokens, (double)out->correct,
                   (double)out->exact};
    cv_dist_sum_d(grp, s, 5);
    out->recon = s[0], out->prop = s[1];
    out->tokens = (size_t)s[2], out->correct = (size_t)s[3], out->exact = (size_t)s[4];
}

/* Backward of an encoder batchnorm (gamma, beta: tensor ids) of the training forward:
 * through the running statistics when frozen, else through the group's batch statistics. */
static void bn_backward(Vae *v, const VaeStepOptions *so, float *dx, size_t id_g, size_t id_b,
                        const float *dy, const float *xhat, const float *rstd, size_t N, size_t C) {
    if (so->bn_frozen)
        cv_batchnorm_backward_frozen(dx, PG(v, id_g), PG(v, id_b), dy, xhat, rstd, PD(v, id_g), N,
                                     C);
    else
        cv_batchnorm_backward_dist(dx, PG(v, id_g), PG(v, id_b), dy, xhat, rstd, PD(v, id_g), N, C,
                                   so->dist, v->bn_work);
}

void cv_vae_train_step(Vae *v, const int32_t *ids, const int32_t *lengths, const float *props,
                       const float *prop_mask, const float *eps, size_t B, const VaeStepOptions *so,
                       VaeLoss *out) {
    assert(v->training && "cv_vae_train_step needs a model from cv_vae_init");
    float beta = so->beta, prop_weight = so->prop_weight;
    const VaeConfig *c = &v->cfg;
    size_t Z = (size_t)c->Z, V = (size_t)c->V, H = (size_t)c->H, E = (size_t)c->dec_dense;
    size_t D = (size_t)c->enc_dense, P = (size_t)c->P;
    const CvDist *grp = so->dist;
    size_t Btot = so->batch_total > B ? so->batch_total : B;
    float invB = 1.0f / (float)Btot;
    v->B = B;
    cv_nn_params_zero_grad(&v->params);
    memset(out, 0, sizeof *out);

    encoder_forward(v, so->enc_ids ? so->enc_ids : ids, B, so->bn_frozen ? BN_FROZEN : BN_TRAIN,
                    grp);
    for (size_t i = 0; i < B * Z; i++) {
        v->eps[i] = eps ? eps[i] : 0.0f;
        v->z[i] = v->mu[i] + expf(0.5f * v->logvar[i]) * v->eps[i];
    }
    double ce = decoder_forward(v, v->z, ids, lengths, B, so->word_dropout, so->dropout_seed,
                                so->row0, so->full_length, out);
    double kl_mean;
    double kl_floored = kl_per_dim(v, B, Btot, grp, so->free_bits, &kl_mean);
    int use_prop = P > 0 && props && prop_weight != 0.0f;
    double mse = use_prop ? prop_loss_forward(v, props, prop_mask, B) : 0.0;
    out->recon = ce / (double)Btot;
    out->kl = kl_mean;
    out->prop = mse / (double)Btot;
    loss_sum_group(out, grp);
    out->loss = out->recon + beta * kl_floored + prop_weight * out->prop;

    /* decoder backward */
    size_t N = v->steps * B;
    memset(v->dlogits, 0, N * V * sizeof(float));
    cv_loss_ce_backward(v->dlogits, v->probs, v->target, v->mask, N, V, invB);
    memset(v->dgru_out, 0, N * H * sizeof(float));
    cv_dense_backward(v->dgru_out, PG(v, v->id_out_w), PG(v, v->id_out_b), v->dlogits,
                      cv_gru_output(&v->gru), PD(v, v->id_out_w), N, H, V);
    memset(v->dhz, 0, B * E * sizeof(float));
    cv_gru_backward_tokens(&v->gru, &v->gw, &v->gdw, v->hz, v->tok, v->dgru_out, v->dhz, NULL);
    for (size_t i = 0; i < B * E; i++) v->dhz[i] *= 1.0f - v->hz[i] * v->hz[i];
    memset(v->dz, 0, B * Z * sizeof(float));
    cv_dense_backward(v->dz, PG(v, v->id_dec_w), PG(v, v->id_dec_b), v->dhz, v->z,
                      PD(v, v->id_dec_w), B, Z, E);
    /* reparameterization: z = mu + exp(lv/2) eps */
    for (size_t i = 0; i < B * Z; i++) {
        v->dmu[i] = v->dz[i];
        v->dlogvar[i] = v->dz[i] * v->eps[i] * 0.5f * expf(0.5f * v->logvar[i]);
    }
    if (so->free_bits > 0.0f) {
        for (size_t b = 0; b < B; b++)
            for (size_t d = 0; d < Z; d++)
                if (v->kl_dim[d] > so->free_bits)
                    cv_loss_kl_backward(v->dmu + b * Z + d, v->dlogvar + b * Z + d,
                                        v->mu + b * Z + d, v->logvar + b * Z + d, 1, beta * invB);
    } else {
        cv_loss_kl_backward(v->dmu, v->dlogvar, v->mu, v->logvar, B * Z, beta * invB);
    }
    if (use_prop) {
        float *dpred = v->prop_dact[c->n_prop];
        memset(dpred, 0, B * P * sizeof(float));
        cv_loss_mse_backward(dpred, v->prop_act[c->n_prop], v->prop_target, v->prop_weight, B * P,
                             prop_weight * invB / (float)P);
        prop_backward(v, v->mu, dpred, B, v->dmu, 1);
    }
    /* encoder backward */
    memset(v->enc_dout, 0, B * D * sizeof(float));
    cv_dense_backward(v->enc_dout, PG(v, v->id_mu_w), PG(v, v->id_mu_b), v->dmu, v->enc_out,
                      PD(v, v->id_mu_w), B, D, Z);
    cv_dense_backward(v->enc_dout, PG(v, v->id_lv_w), PG(v, v->id_lv_b), v->dlogvar, v->enc_out,
                      PD(v, v->id_lv_w), B, D, Z);
    for (size_t i = 0; i < B * D; i++) v->enc_dout[i] *= 1.0f - v->enc_out[i] * v->enc_out[i];
    memset(v->enc_dpre, 0, B * D * sizeof(float));
    bn_backward(v, so, v->enc_dpre, v->id_enc_g, v->id_enc_beta, v->enc_dout, v->enc_xhat,
                v->enc_rstd, B, D);
    int n = c->n_conv;
    size_t cin_last = (size_t)c->conv_ch[n - 1];
    size_t flat = (size_t)v->conv_len[n] * cin_last;
    memset(v->conv_dout[n - 1], 0, B * flat * sizeof(float));
    cv_dense_backward(v->conv_dout[n - 1], PG(v, v->id_enc_w), PG(v, v->id_enc_b), v->enc_dpre,
                      v->conv_out[n - 1], PD(v, v->id_enc_w), B, flat, D);
    for (int i = n - 1; i >= 0; i--) {
        size_t L = (size_t)v->conv_len[i], Lo = (size_t)v->conv_len[i + 1];
        size_t Co = (size_t)c->conv_ch[i], K = (size_t)c->conv_k[i];
        size_t cin = i > 0 ? (size_t)c->conv_ch[i - 1] : V, cnt = B * Lo * Co;
        for (size_t k = 0; k < cnt; k++)
            v->conv_dout[i][k] *= 1.0f - v->conv_out[i][k] * v->conv_out[i][k];
        memset(v->conv_dpre[i], 0, cnt * sizeof(float));
        bn_backward(v, so, v->conv_dpre[i], v->id_conv_g[i], v->id_conv_beta[i], v->conv_dout[i],
                    v->conv_xhat[i], v->conv_rstd[i], B * Lo, Co);
        float *dx = NULL;
        if (i > 0) {
            dx = v->conv_dout[i - 1];
            memset(dx, 0, B * L * cin * sizeof(float));
        }
        cv_conv1d_backward(dx, PG(v, v->id_conv_w[i]), PG(v, v->id_conv_b[i]), v->conv_scratch,
                           v->conv_dpre[i], v->conv_col[i], PD(v, v->id_conv_w[i]), B, L, cin, Co,
                           K);
    }
}

void cv_vae_forward_eval(Vae *v, const int32_t *ids, const int32_t *lengths, const float *props,
                         const float *prop_mask, size_t B, float beta, float prop_weight,
                         VaeLoss *out) {
    assert(v->training && "cv_vae_forward_eval needs a model from cv_vae_init");
    memset(out, 0, sizeof *out);
    v->B = B;
    encoder_forward(v, ids, B, BN_EVAL, NULL);
    double ce = decoder_forward(v, v->mu, ids, lengths, B, 0.0f, 0, 0, 0, out);
    double kl;
    kl_per_dim(v, B, B, NULL, 0.0f, &kl);
    double mse = v->cfg.P > 0 && props ? prop_loss_forward(v, props, prop_mask, B) : 0.0;
    out->recon = ce / B;
    out->kl = kl;
    out->prop = mse / B;
    out->loss = out->recon + beta * out->kl + prop_weight * out->prop;
}

void cv_vae_encode(Vae *v, const int32_t *ids, size_t B, float *mu, float *logvar) {
    size_t Z = (size_t)v->cfg.Z;
    encoder_forward(v, ids, B, BN_EVAL, NULL);
    if (mu) memcpy(mu, v->mu, B * Z * sizeof(float));
    if (logvar) memcpy(logvar, v->logvar, B * Z * sizeof(float));
}

/* ---- decoding --------------------------------------------------------------------- */

static int32_t pick_token(const float *logits, size_t V, float temperature, CvRng *rng) {
    size_t best = 0;
    for (size_t k = 1; k < V; k++)
        if (logits[k] > logits[best]) best = k;
    if (temperature <= 0.0f || !rng) return (int32_t)best;
    double total = 0.0;
    for (size_t k = 0; k < V; k++) total += exp((double)(logits[k] - logits[best]) / temperature);
    double u = cv_rng_uniform(rng) * total, acc = 0.0;
    for (size_t k = 0; k < V; k++) {
        acc += exp((double)(logits[k] - logits[best]) / temperature);
        if (u < acc) return (int32_t)k;
    }
    return (int32_t)best;
}

CvStatus cv_vae_set_constraint(Vae *v, const SmilesGrammar *g, int mode, CvError *err) {
    if (!g || mode == SMILES_NONE) {
        v->grammar = g; /* kept for failure classes */
        v->constrain = SMILES_NONE;
        return CV_OK;
    }
    if (mode != SMILES_SYNTAX && mode != SMILES_VALENCE)
        return cv_error_set(err, CV_ERR_INVALID, "decoding constraint mode %d (expected 0, 1 or 2)",
                            mode);
    if (v->cfg.T > SMILES_MAX_ATOMS)
        return cv_error_set(
            err, CV_ERR_INVALID,
            "the decoding constraint handles up to %d tokens per molecule, the model has T=%d",
            SMILES_MAX_ATOMS, v->cfg.T);
    if (g->V != v->cfg.V)
        return cv_error_set(err, CV_ERR_MISMATCH, "SMILES grammar of %d tokens for a model of %d",
                            g->V, v->cfg.V);
    if (!v->row_state) {
        v->row_state = calloc(v->max_B, sizeof *v->row_state);
        v->row_allowed = calloc(v->max_B * (size_t)v->cfg.V, 1);
        v->row_work = calloc(v->max_B * (size_t)v->cfg.V, sizeof *v->row_work);
        if (!v->row_state || !v->row_allowed || !v->row_work) {
            free(v->row_state);
            free(v->row_allowed);
            free(v->row_work);
            v->row_state = NULL;
            v->row_allowed = NULL;
            v->row_work = NULL;
            return cv_error_set(err, CV_ERR_NOMEM, "out of memory (decoding constraint)");
        }
    }
    v->grammar = g;
    v->constrain = mode;
    return CV_OK;
}

/* The next token of a constrained row: drawn from the logits as pick_token does, but a
 * token the row's prefix does not allow (cv_smiles_state_allows) is struck out and the draw
 * repeated. Greedy: the best allowed token; sampling: rejection sampling, i.e. a draw from
 * the softmax renormalized over the allowed tokens — the distribution of masking all
 * logits first, at the cost of checking only the tokens drawn (usually one). When the
 * valence rules allow nothing the syntax rules are tried, then no mask. */
static int32_t pick_constrained(Vae *v, int32_t row, size_t t, const float *logits,
                                float temperature, CvRng *rng) {
    size_t V = (size_t)v->cfg.V;
    int steps_left = v->cfg.T - (int)t;
    SmilesState *st = &v->row_state[row];
    float *work = v->row_work + (size_t)row * V;
    for (int mode = v->constrain; mode >= SMILES_SYNTAX; mode--) {
        memcpy(work, logits, V * sizeof *work);
        for (size_t tries = 0; tries < V; tries++) {
            int32_t k = pick_token(work, V, temperature, rng);
            if (work[k] == -INFINITY) break; /* everything struck out */
            if (cv_smiles_state_allows(v->grammar, st, mode, steps_left, k)) return k;
            work[k] = -INFINITY;
        }
    }
    return pick_token(logits, V, temperature, rng);
}

/* What every decode worker shares; each owns rows [b0, b1) of tok, row_of, logit_row,
 * the GRU's inference state and the outputs of the rows it holds. */
typedef struct {
    Vae *v;
    float temperature; /* > 0 samples with v->row_rng (seeded per row), else greedy */
    int32_t *out, *out_len;
} DecodeJob;

/* Decodes rows [b0, b1). Unfinished rows are kept in the prefix [b0, end) of the range:
 * when a row emits <end> it is swapped behind the prefix (row_of maps a position to its
 * row), so later steps run only on rows still decoding. */
static void decode_rows(void *ctx, size_t b0, size_t b1, int worker) {
    (void)worker;
    DecodeJob *job = ctx;
    Vae *v = job->v;
    size_t T = (size_t)v->cfg.T, V = (size_t)v->cfg.V, H = (size_t)v->cfg.H;
    int32_t *tok = v->tok, *row_of = v->row_of;
    int constrained = v->grammar && v->constrain != SMILES_NONE && v->row_state;
    for (size_t p = b0; p < b1; p++) {
        tok[p] = VAE_TOK_START;
        row_of[p] = (int32_t)p;
        if (constrained) cv_smiles_state_reset(&v->row_state[p]);
    }
    size_t end = b1;
    for (size_t t = 0; t < T && end > b0; t++) {
        const float *h = cv_gru_infer_step_tokens_rows(&v->gru, &v->gw, tok, b0, end);
        float *logits = v->logit_row + b0 * V;
        cv_dense_forward(logits, h, PD(v, v->id_out_w), PD(v, v->id_out_b), end - b0, H, V);
        for (size_t p = b0; p < end; p++) {
            int32_t row = row_of[p];
            CvRng *rng = job->temperature > 0.0f ? &v->row_rng[row] : NULL;
            int32_t k = constrained ? pick_constrained(v, row, t, logits + (p - b0) * V,
                                                       job->temperature, rng)
                                    : pick_token(logits + (p - b0) * V, V, job->temperature, rng);
            if (constrained) cv_smiles_state_push(v->grammar, &v->row_state[row], k);
            job->out[(size_t)row * T + t] = k;
            tok[p] = k;
            if (k == VAE_TOK_END) job->out_len[row] = (int32_t)t;
        }
        for (size_t p = b0; p < end;) {
            if (job->out_len[row_of[p]] < 0) {
                p++;
                continue;
            }
            end--;
            int32_t tk = tok[p], rw = row_of[p];
            tok[p] = tok[end], row_of[p] = row_of[end];
            tok[end] = tk, row_of[end] = rw;
            cv_gru_infer_swap_rows(&v->gru, p, end);
        }
    }
}

void cv_vae_decode(Vae *v, const float *z, size_t B, float temperature, CvRng *rng, int32_t *out,
                   int32_t *out_len) {
    const VaeConfig *c = &v->cfg;
    size_t T = (size_t)c->T, E = (size_t)c->dec_dense;
    /* With parallel workers the set-up below runs on single-threaded BLAS too: waking
     * OpenBLAS's pool here would leave its threads spinning on the workers' cores. */
    int workers = cv_nn_row_workers(B, VAE_DECODE_MIN_ROWS);
    int blas_threads = workers > 1 ? cv_nn_blas_threads_set(1) : 0;
    cv_dense_forward(v->hz, z, PD(v, v->id_dec_w), PD(v, v->id_dec_b), B, (size_t)c->Z, E);
    cv_act_tanh_forward(v->hz, v->hz, B * E);
    cv_gru_infer_begin(&v->gru, &v->gw, v->hz, NULL, B);
    if (!rng) temperature = 0.0f;
    for (size_t b = 0; b < B; b++) {
        out_len[b] = -1;
        if (temperature > 0.0f) cv_rng_init(&v->row_rng[b], cv_rng_u64(rng));
    }
    for (size_t i = 0; i < B * T; i++) out[i] = VAE_TOK_PAD;
    DecodeJob job = {v, temperature, out, out_len};
    cv_nn_parallel_rows(B, workers, decode_rows, &job);
    if (workers > 1) cv_nn_blas_threads_set(blas_threads);
    for (size_t b = 0; b < B; b++)
        if (out_len[b] < 0) out_len[b] = (int32_t)T;
}
