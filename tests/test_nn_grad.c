/* test_nn_grad.c — finite-difference gradient checks of every nn op, every input and
 * parameter, at tiny shapes (loss = Σ r ⊙ y, central differences, ε = 1e-2, float32,
 * max relative error < 1e-2), fast and naive paths; plus a deliberately wrong derivative
 * that the checker must reject. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/nn/activation.h"
#include "chemvae/nn/batchnorm.h"
#include "chemvae/nn/conv1d.h"
#include "chemvae/nn/dense.h"
#include "chemvae/nn/dropout.h"
#include "chemvae/nn/gru.h"
#include "chemvae/nn/loss.h"
#include "support/gradcheck.h"

#define TOL 1e-2
static const GcOptions OPT = {1e-2f, 1e-2f, 1};

/* Runs the checker and asserts the tolerance; prints the op's maximum. */
static void expect_grads_ok(const char *op, GcForwardFn fwd, void *ctx, size_t ny, const float *r,
                            const GcInput *in, size_t nin) {
    float *y = malloc(ny * sizeof(float));
    double e = gradcheck(fwd, ctx, y, ny, r, in, nin, &OPT);
    fprintf(stderr, "== %s: max relative error %.3e\n", op, e);
    free(y);
    assert_true(e < TOL);
}

static float *fvec(size_t n, float a, unsigned long long seed) {
    float *x = malloc(n * sizeof(float));
    gc_fill_uniform(x, n, a, seed);
    return x;
}

static float *zvec(size_t n) {
    return calloc(n, sizeof(float));
}

/* ---- dense ------------------------------------------------------------------------- */

typedef struct {
    float *x, *w, *b;
    size_t N, In, O;
    int naive;
} DenseCtx;

static void dense_fwd(void *p, float *y) {
    DenseCtx *c = p;
    (c->naive ? cv_dense_forward_naive : cv_dense_forward)(y, c->x, c->w, c->b, c->N, c->In, c->O);
}

static void check_dense(int naive) {
    DenseCtx c = {fvec(12, 1, 1), fvec(20, 1, 2), fvec(5, 1, 3), 3, 4, 5, naive};
    float *r = fvec(15, 1, 4), *dx = zvec(12), *dw = zvec(20), *db = zvec(5);
    (naive ? cv_dense_backward_naive : cv_dense_backward)(dx, dw, db, r, c.x, c.w, 3, 4, 5);
    GcInput in[] = {{"x", c.x, dx, 12}, {"W", c.w, dw, 20}, {"b", c.b, db, 5}};
    expect_grads_ok(naive ? "dense_naive" : "dense", dense_fwd, &c, 15, r, in, 3);
    free(c.x), free(c.w), free(c.b), free(r), free(dx), free(dw), free(db);
}

static void test_grad_dense(void **state) {
    (void)state;
    check_dense(0);
    check_dense(1);
}

/* ---- conv1d ------------------------------------------------------------------------ */

typedef struct {
    float *x, *w, *b, *col, *scratch;
    size_t B, L, Cin, Cout, K;
    int naive;
} ConvCtx;

static void conv_fwd(void *p, float *y) {
    ConvCtx *c = p;
    if (c->naive) cv_conv1d_forward_naive(y, c->x, c->w, c->b, c->B, c->L, c->Cin, c->Cout, c->K);
    else
        cv_conv1d_forward(y, c->col, c->scratch, c->x, c->w, c->b, c->B, c->L, c->Cin, c->Cout,
                          c->K);
}

static void check_conv(int naive) {
    size_t B = 2, L = 7, Cin = 3, Cout = 2, K = 3, Lo = L - K + 1;
    size_t nx = B * L * Cin, nw = Cout * Cin * K, ny = B * Lo * Cout;
    ConvCtx c = {fvec(nx, 1, 5),
                 fvec(nw, 1, 6),
                 fvec(Cout, 1, 7),
                 zvec(cv_conv1d_col_len(B, L, Cin, K)),
                 zvec(cv_conv1d_scratch_len(B, L, Cin, Cout, K)),
                 B,
                 L,
                 Cin,
                 Cout,
                 K,
                 naive};
    float *r = fvec(ny, 1, 8), *dx = zvec(nx), *dw = zvec(nw), *db = zvec(Cout);
    float *y = zvec(ny);
    conv_fwd(&c, y);
    if (naive) cv_conv1d_backward_naive(dx, dw, db, r, c.x, c.w, B, L, Cin, Cout, K);
    else cv_conv1d_backward(dx, dw, db, c.scratch, r, c.col, c.w, B, L, Cin, Cout, K);
    GcInput in[] = {{"x", c.x, dx, nx}, {"W", c.w, dw, nw}, {"b", c.b, db, Cout}};
    expect_grads_ok(naive ? "conv1d_naive" : "conv1d", conv_fwd, &c, ny, r, in, 3);
    free(c.x), free(c.w), free(c.b), free(c.col), free(c.scratch);
    free(r), free(dx), free(dw), free(db), free(y);
}

static void test_grad_conv1d(void **state) {
    (void)state;
    check_conv(0);
    check_conv(1);
}

/* ---- batchnorm ----------------------------------------------------------------------- */

typedef struct {
    float *x, *gamma, *beta, *xhat, *rstd;
    size_t N, C;
} BnCtx;

static void bn_fwd(void *p, float *y) {
    BnCtx *c = p;
    cv_batchnorm_forward_train(y, c->xhat, NULL, c->rstd, NULL, NULL, c->x, c->gamma, c->beta, c->N,
                               c->C, 0.1f, 1e-5f);
}

static void test_grad_batchnorm(void **state) {
    (void)state;
    /* dense features (B, C) = (6, 3) and conv features (B, L, C) = (2, 4, 3) as N = 8 */
    size_t shapes[2][2] = {{6, 3}, {8, 3}};
    for (int s = 0; s < 2; s++) {
        size_t N = shapes[s][0], C = shapes[s][1];
        BnCtx c = {
            fvec(N * C, 2, 9 + s), fvec(C, 1, 11), fvec(C, 1, 12), zvec(N * C), zvec(C), N, C};
        for (size_t i = 0; i < C; i++) c.gamma[i] += 1.5f;
        float *r = fvec(N * C, 1, 13), *y = zvec(N * C), *dx = zvec(N * C);
        float *dg = zvec(C), *dbt = zvec(C);
        bn_fwd(&c, y);
        cv_batchnorm_backward(dx, dg, dbt, r, c.xhat, c.rstd, c.gamma, N, C);
        GcInput in[] = {{"x", c.x, dx, N * C}, {"gamma", c.gamma, dg, C}, {"beta", c.beta, dbt, C}};
        expect_grads_ok("batchnorm_train", bn_fwd, &c, N * C, r, in, 3);
        free(c.x), free(c.gamma), free(c.beta), free(c.xhat), free(c.rstd);
        free(r), free(y), free(dx), free(dg), free(dbt);
    }
}

typedef struct {
    BnCtx bn;
    float *run_mean, *run_var;
} BnFrozenCtx;

static void bn_frozen_fwd(void *p, float *y) {
    BnFrozenCtx *c = p;
    cv_batchnorm_forward_frozen(y, c->bn.xhat, c->bn.rstd, c->bn.x, c->bn.gamma, c->bn.beta,
                                c->run_mean, c->run_var, c->bn.N, c->bn.C, 1e-5f);
}

/* Frozen mode (training on length buckets): gradients through the running statistics. */
static void test_grad_batchnorm_frozen(void **state) {
    (void)state;
    size_t N = 8, C = 3;
    BnFrozenCtx c = {
        {fvec(N * C, 2, 21), fvec(C, 1, 22), fvec(C, 1, 23), zvec(N * C), zvec(C), N, C},
        fvec(C, 1, 24),
        fvec(C, 1, 25)};
    for (size_t i = 0; i < C; i++)
        c.bn.gamma[i] += 1.5f, c.run_var[i] = 0.5f + c.run_var[i] * c.run_var[i];
    float *r = fvec(N * C, 1, 26), *y = zvec(N * C), *dx = zvec(N * C), *dg = zvec(C),
          *dbt = zvec(C);
    bn_frozen_fwd(&c, y);
    cv_batchnorm_backward_frozen(dx, dg, dbt, r, c.bn.xhat, c.bn.rstd, c.bn.gamma, N, C);
    GcInput in[] = {
        {"x", c.bn.x, dx, N * C}, {"gamma", c.bn.gamma, dg, C}, {"beta", c.bn.beta, dbt, C}};
    expect_grads_ok("batchnorm_frozen", bn_frozen_fwd, &c, N * C, r, in, 3);
    /* frozen forward = eval forward */
    float *ye = zvec(N * C);
    cv_batchnorm_forward_eval(ye, c.bn.x, c.bn.gamma, c.bn.beta, c.run_mean, c.run_var, N, C,
                              1e-5f);
    for (size_t i = 0; i < N * C; i++) assert_float_equal(ye[i], y[i], 1e-6);
    free(c.bn.x), free(c.bn.gamma), free(c.bn.beta), free(c.bn.xhat), free(c.bn.rstd);
    free(c.run_mean), free(c.run_var), free(r), free(y), free(ye), free(dx), free(dg), free(dbt);
}

/* ---- activations, with a deliberately wrong derivative -------------------------------- */

typedef struct {
    float *x;
    size_t n;
    int sigmoid;
} ActCtx;

static void act_fwd(void *p, float *y) {
    ActCtx *c = p;
    (c->sigmoid ? cv_act_sigmoid_forward : cv_act_tanh_forward)(y, c->x, c->n);
}

static void test_grad_activations(void **state) {
    (void)state;
    size_t n = 16;
    for (int s = 0; s < 2; s++) {
        ActCtx c = {fvec(n, 2.5f, 14), n, s};
        float *r = fvec(n, 1, 15), *y = zvec(n), *dx = zvec(n);
        act_fwd(&c, y);
        (s ? cv_act_sigmoid_backward : cv_act_tanh_backward)(dx, r, y, n);
        GcInput in[] = {{"x", c.x, dx, n}};
        expect_grads_ok(s ? "sigmoid" : "tanh", act_fwd, &c, n, r, in, 1);
        free(c.x), free(r), free(y), free(dx);
    }
}

static void test_gradcheck_catches_wrong_derivative(void **state) {
    (void)state;
    size_t n = 16;
    ActCtx c = {fvec(n, 2.5f, 14), n, 0};
    float *r = fvec(n, 1, 15), *y = zvec(n), *dx = zvec(n), *yy = zvec(n);
    act_fwd(&c, y);
    for (size_t i = 0; i < n; i++) dx[i] = r[i] * (1.0f - y[i]); /* wrong: tanh' = 1 − y² */
    GcInput in[] = {{"x (broken)", c.x, dx, n}};
    double e = gradcheck(act_fwd, &c, yy, n, r, in, 1, &OPT);
    fprintf(stderr, "== broken tanh derivative: max relative error %.3e (must be > 1e-2)\n", e);
    assert_true(e > TOL);
    /* a subtler bug: the right formula scaled by 1.05 */
    memset(dx, 0, n * sizeof(float));
    cv_act_tanh_backward(dx, r, y, n);
    for (size_t i = 0; i < n; i++) dx[i] *= 1.05f;
    e = gradcheck(act_fwd, &c, yy, n, r, in, 1, &OPT);
    fprintf(stderr, "== tanh derivative off by 5%%: max relative error %.3e\n", e);
    assert_true(e > TOL);
    free(c.x), free(r), free(y), free(dx), free(yy);
}

/* ---- GRU (dense and token mode, fast and naive) -------------------------------------- */

typedef struct {
    Gru g;
    NnParams p;
    GruWeights w, dw;
    size_t first;
    float *x, *c, *h0;
    int32_t *tok;
    size_t B, T;
    int naive, tokens;
} GruCtx;

static void gru_fwd(void *p, float *y) {
    GruCtx *c = p;
    if (c->tokens)
        (c->naive ? cv_gru_forward_tokens_naive : cv_gru_forward_tokens)(&c->g, &c->w, c->c, c->tok,
                                                                         c->h0, c->B, c->T);
    else (c->naive ? cv_gru_forward_naive : cv_gru_forward)(&c->g, &c->w, c->x, c->h0, c->B, c->T);
    memcpy(y, cv_gru_output(&c->g), c->T * c->B * c->g.cfg.hidden * sizeof(float));
}

/* tokens: 0 dense, 1 token mode, 2 token mode with c in every layer (3 layers, so a middle
 * layer is checked too). */
static void check_gru(int naive, int tokens) {
    size_t L = tokens == 2 ? 3 : 2, B = 2, T = 3, H = 3, D = 2, V = 3, In = tokens ? D + V : 3;
    GruConfig cfg = {L, In, H, tokens ? D : 0, tokens ? V : 0, B, T, tokens == 2};
    GruCtx c;
    memset(&c, 0, sizeof c);
    c.B = B, c.T = T, c.naive = naive, c.tokens = tokens;
    assert_int_equal(cv_gru_init(&c.g, &cfg, NULL), CV_OK);
    assert_int_equal(cv_gru_params_add(&c.p, "gru", &cfg, &c.first, NULL), CV_OK);
    assert_int_equal(cv_nn_params_alloc(&c.p, NN_PARAMS_GRAD, NULL), CV_OK);
    gc_fill_uniform(c.p.data, c.p.total, 0.8f, 16);
    cv_gru_params_bind(&c.w, &c.dw, &c.p, c.first, L);
    c.x = fvec(T * B * In, 1, 17);
    c.c = fvec(B * D, 1, 18);
    c.h0 = fvec(L * B * H, 0.8f, 19);
    c.tok = malloc(T * B * sizeof(int32_t));
    for (size_t i = 0; i < T * B; i++) c.tok[i] = (int32_t)((i * 7 + 1) % V);
    size_t ny = T * B * H;
    float *r = fvec(ny, 1, 20), *y = zvec(ny), *dx = zvec(T * B * In), *dc = zvec(B * D);
    float *dh0 = zvec(L * B * H);
    gru_fwd(&c, y);
    if (tokens)
        (naive ? cv_gru_backward_tokens_naive : cv_gru_backward_tokens)(&c.g, &c.w, &c.dw, c.c,
                                                                        c.tok, r, dc, dh0);
    else (naive ? cv_gru_backward_naive : cv_gru_backward)(&c.g, &c.w, &c.dw, c.x, r, dx, dh0);
    GcInput in[2 + 4 * GRU_MAX_LAYERS];
    size_t nin = 0;
    if (tokens) in[nin++] = (GcInput){"c", c.c, dc, B * D};
    else in[nin++] = (GcInput){"x", c.x, dx, T * B * In};
    in[nin++] = (GcInput){"h0", c.h0, dh0, L * B * H};
    for (size_t i = 0; i < 4 * L; i++) {
        size_t id = c.first + i;
        in[nin++] = (GcInput){c.p.info[id].name, cv_nn_params_data(&c.p, id),
                              cv_nn_params_grad(&c.p, id), c.p.info[id].n};
    }
    char op[64];
    snprintf(op, sizeof op, "gru%s%s",
             tokens == 2 ? "_tokens_c_all"
             : tokens    ? "_tokens"
                         : "",
             naive ? "_naive" : "");
    expect_grads_ok(op, gru_fwd, &c, ny, r, in, nin);
    cv_gru_free(&c.g);
    cv_nn_params_free(&c.p);
    free(c.x), free(c.c), free(c.h0), free(c.tok);
    free(r), free(y), free(dx), free(dc), free(dh0);
}

static void test_grad_gru(void **state) {
    (void)state;
    for (int naive = 0; naive < 2; naive++)
        for (int tokens = 0; tokens < 3; tokens++) check_gru(naive, tokens);
}

/* ---- losses ------------------------------------------------------------------------ */

typedef struct {
    float *a, *b, *probs, *mask;
    int32_t *target;
    size_t n, V;
    int kind; /* 0 CE, 1 KL, 2 MSE */
} LossCtx;

static void loss_fwd(void *p, float *y) {
    LossCtx *c = p;
    if (c->kind == 0)
        y[0] = (float)cv_loss_ce_forward(c->probs, NULL, c->a, c->target, c->mask, c->n, c->V);
    else if (c->kind == 1) y[0] = (float)cv_loss_kl_forward(c->a, c->b, c->n);
    else y[0] = (float)cv_loss_mse_forward(c->a, c->b, c->mask, c->n);
}

static void test_grad_losses(void **state) {
    (void)state;
    size_t N = 4, V = 5;
    float r[1] = {0.7f}, y[1];
    int32_t target[4] = {1, 4, 0, 2};
    float mask[5] = {1, 1, 0, 1, 0.5f};
    LossCtx ce = {fvec(N * V, 3, 21), NULL, zvec(N * V), mask, target, N, V, 0};
    float *dl = zvec(N * V);
    loss_fwd(&ce, y);
    cv_loss_ce_backward(dl, ce.probs, target, mask, N, V, r[0]);
    GcInput in_ce[] = {{"logits", ce.a, dl, N * V}};
    expect_grads_ok("cross_entropy", loss_fwd, &ce, 1, r, in_ce, 1);

    size_t n = 5;
    LossCtx kl = {fvec(n, 1.5f, 22), fvec(n, 1.5f, 23), NULL, NULL, NULL, n, 0, 1};
    float *dmu = zvec(n), *dlv = zvec(n);
    cv_loss_kl_backward(dmu, dlv, kl.a, kl.b, n, r[0]);
    GcInput in_kl[] = {{"mu", kl.a, dmu, n}, {"logvar", kl.b, dlv, n}};
    expect_grads_ok("kl", loss_fwd, &kl, 1, r, in_kl, 2);

    LossCtx mse = {fvec(n, 1, 24), fvec(n, 1, 25), NULL, mask, NULL, n, 0, 2};
    float *dp = zvec(n);
    cv_loss_mse_backward(dp, mse.a, mse.b, mask, n, r[0]);
    GcInput in_mse[] = {{"pred", mse.a, dp, n}};
    expect_grads_ok("mse", loss_fwd, &mse, 1, r, in_mse, 1);

    free(ce.a), free(ce.probs), free(dl), free(kl.a), free(kl.b), free(dmu), free(dlv);
    free(mse.a), free(mse.b), free(dp);
}

static void test_ce_values(void **state) {
    (void)state;
    /* uniform logits: −log(1/V) per row; a masked row adds nothing; huge logits stay finite */
    float logits[3 * 4] = {0, 0, 0, 0, 5, 5, 5, 5, 1000, -1000, 0, 0};
    float probs[12], row[3], mask[3] = {1, 0, 1};
    int32_t target[3] = {2, 1, 1};
    double s = cv_loss_ce_forward(probs, row, logits, target, mask, 3, 4);
    assert_true(fabs(row[0] - log(4.0)) < 1e-6);
    assert_true(fabs(row[1] - log(4.0)) < 1e-6);
    assert_true(fabs(row[2] - 2000.0) < 1e-3);
    assert_true(fabs(s - (log(4.0) + 2000.0)) < 1e-3);
    for (int i = 0; i < 12; i++) assert_true(isfinite(probs[i]));
}

/* ---- dropout (randomness frozen: the mask is drawn once, then fixed) ---------------- */

typedef struct {
    float *x, *mask;
    size_t n;
} DropCtx;

static void drop_fwd(void *p, float *y) {
    DropCtx *c = p;
    cv_dropout_apply(y, c->mask, c->x, c->n);
}

static void test_grad_dropout(void **state) {
    (void)state;
    size_t n = 64;
    DropCtx c = {fvec(n, 1, 26), zvec(n), n};
    float *r = fvec(n, 1, 27), *y = zvec(n), *dx = zvec(n);
    CvRng rng;
    cv_rng_init(&rng, 5);
    cv_dropout_forward(y, c.mask, c.x, n, 0.25f, &rng);
    size_t zeros = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(c.mask[i] == 0.0f || fabsf(c.mask[i] - 1.0f / 0.75f) < 1e-6f);
        zeros += c.mask[i] == 0.0f;
    }
    assert_true(zeros > 4 && zeros < 32);
    cv_dropout_backward(dx, r, c.mask, n);
    GcInput in[] = {{"x", c.x, dx, n}};
    expect_grads_ok("dropout", drop_fwd, &c, n, r, in, 1);
    /* same seed, same mask; p = 0 is the identity */
    float *m2 = zvec(n);
    cv_rng_init(&rng, 5);
    cv_dropout_forward(y, m2, c.x, n, 0.25f, &rng);
    assert_memory_equal(m2, c.mask, n * sizeof(float));
    cv_dropout_forward(y, m2, c.x, n, 0.0f, &rng);
    assert_memory_equal(y, c.x, n * sizeof(float));
    free(c.x), free(c.mask), free(r), free(y), free(dx), free(m2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_dense),
        cmocka_unit_test(test_grad_conv1d),
        cmocka_unit_test(test_grad_batchnorm),
        cmocka_unit_test(test_grad_batchnorm_frozen),
        cmocka_unit_test(test_grad_activations),
        cmocka_unit_test(test_gradcheck_catches_wrong_derivative),
        cmocka_unit_test(test_grad_gru),
        cmocka_unit_test(test_grad_losses),
        cmocka_unit_test(test_ce_values),
        cmocka_unit_test(test_grad_dropout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
