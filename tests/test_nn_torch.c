/* test_nn_torch.c — the C GRU (dense and token input, multi-layer), conv1d and batchnorm
 * against PyTorch: forward outputs and every gradient from tests/fixtures/torch_nn.txt
 * (written by tests/gen_torch_fixtures.py with Debian's python3-torch), to 1e-4.
 * Fast and naive paths are both compared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/nn/batchnorm.h"
#include "chemvae/nn/conv1d.h"
#include "chemvae/core/fileio.h"
#include "chemvae/nn/gru.h"
#include "support/gradcheck.h"

#define FIXTURE "tests/fixtures/torch_nn.txt"
#define TOL 1e-4f

typedef struct {
    char name[64];
    size_t n;
    float *v;
} Rec;

typedef struct {
    Rec *recs;
    size_t count;
} Fixture;

static Fixture fx;

static int load_fixture(void **state) {
    (void)state;
    char *text = NULL;
    size_t len = 0;
    CvError err;
    if (cv_read_file(FIXTURE, &text, &len, &err) != CV_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    size_t cap = 128;
    fx.recs = calloc(cap, sizeof(Rec));
    char *p = text;
    int used;
    Rec r;
    while (sscanf(p, " %63s %zu%n", r.name, &r.n, &used) == 2) {
        p += used;
        r.v = malloc((r.n ? r.n : 1) * sizeof(float));
        for (size_t i = 0; i < r.n; i++) {
            char *end;
            r.v[i] = strtof(p, &end);
            if (end == p) {
                fprintf(stderr, "%s: bad number in %s\n", FIXTURE, r.name);
                free(text);
                return -1;
            }
            p = end;
        }
        if (fx.count == cap) {
            cap *= 2;
            fx.recs = realloc(fx.recs, cap * sizeof(Rec));
        }
        fx.recs[fx.count++] = r;
    }
    free(text);
    return fx.count > 0 ? 0 : -1;
}

static int free_fixture(void **state) {
    (void)state;
    for (size_t i = 0; i < fx.count; i++) free(fx.recs[i].v);
    free(fx.recs);
    return 0;
}

/* The record `name`, which must have n values (n = 0: any). */
static const float *get(const char *name, size_t n) {
    for (size_t i = 0; i < fx.count; i++)
        if (strcmp(fx.recs[i].name, name) == 0) {
            if (n && fx.recs[i].n != n)
                fail_msg("%s: %zu values, expected %zu", name, fx.recs[i].n, n);
            return fx.recs[i].v;
        }
    fail_msg("fixture record %s missing", name);
    return NULL;
}

static float worst_seen;

static void expect_match(const char *what, const float *c, const char *name, size_t n) {
    float d = gc_max_abs_diff(c, get(name, n), n);
    fprintf(stderr, "   %-24s max |C − torch| = %.2e\n", what, d);
    if (!(d <= worst_seen)) worst_seen = d;
    assert_true(d <= TOL);
}

/* ---- GRU --------------------------------------------------------------------------- */

static const char *const WNAMES[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};

static void load_gru(const char *pre, NnParams *p, const GruConfig *cfg, GruWeights *w,
                     GruWeights *dw) {
    size_t first;
    cv_nn_params_init(p);
    assert_int_equal(cv_gru_params_add(p, "gru", cfg, &first, NULL), CV_OK);
    assert_int_equal(cv_nn_params_alloc(p, NN_PARAMS_GRAD, NULL), CV_OK);
    for (size_t l = 0; l < cfg->layers; l++)
        for (int k = 0; k < 4; k++) {
            char name[64];
            snprintf(name, sizeof name, "%s.%s_l%zu", pre, WNAMES[k], l);
            size_t id = first + 4 * l + (size_t)k;
            memcpy(cv_nn_params_data(p, id), get(name, p->info[id].n),
                   p->info[id].n * sizeof(float));
        }
    cv_gru_params_bind(w, dw, p, first, cfg->layers);
}

static void expect_weight_grads(const char *pre, const NnParams *p, size_t layers) {
    for (size_t l = 0; l < layers; l++)
        for (int k = 0; k < 4; k++) {
            char name[64];
            snprintf(name, sizeof name, "%s.d%s_l%zu", pre, WNAMES[k], l);
            size_t id = 4 * l + (size_t)k;
            expect_match(name, cv_nn_params_grad(p, id), name, p->info[id].n);
        }
}

static void test_torch_gru_dense(void **state) {
    (void)state;
    const float *dims = get("gru.dims", 5);
    size_t L = (size_t)dims[0], T = (size_t)dims[1], B = (size_t)dims[2], In = (size_t)dims[3],
           H = (size_t)dims[4];
    GruConfig cfg = {L, In, H, 0, 0, B, T, 0};
    for (int naive = 0; naive < 2; naive++) {
        fprintf(stderr, "gru dense (%s)\n", naive ? "naive" : "fast");
        NnParams p;
        GruWeights w, dw;
        Gru g;
        load_gru("gru", &p, &cfg, &w, &dw);
        assert_int_equal(cv_gru_init(&g, &cfg, NULL), CV_OK);
        const float *x = get("gru.x", T * B * In), *h0 = get("gru.h0", L * B * H);
        const float *r = get("gru.r", T * B * H);
        float *dx = calloc(T * B * In, sizeof(float)), *dh0 = calloc(L * B * H, sizeof(float));
        (naive ? cv_gru_forward_naive : cv_gru_forward)(&g, &w, x, h0, B, T);
        expect_match("y", cv_gru_output(&g), "gru.y", T * B * H);
        (naive ? cv_gru_backward_naive : cv_gru_backward)(&g, &w, &dw, x, r, dx, dh0);
        expect_match("dx", dx, "gru.dx", T * B * In);
        expect_match("dh0", dh0, "gru.dh0", L * B * H);
        expect_weight_grads("gru", &p, L);
        free(dx), free(dh0);
        cv_gru_free(&g);
        cv_nn_params_free(&p);
    }
}

static void test_torch_gru_tokens(void **state) {
    (void)state;
    const float *dims = get("grutok.dims", 6);
    size_t L = (size_t)dims[0], T = (size_t)dims[1], B = (size_t)dims[2], D = (size_t)dims[3],
           V = (size_t)dims[4], H = (size_t)dims[5];
    GruConfig cfg = {L, D + V, H, D, V, B, T, 0};
    const float *tokf = get("grutok.tok", T * B);
    int32_t *tok = malloc(T * B * sizeof(int32_t));
    for (size_t i = 0; i < T * B; i++) tok[i] = (int32_t)tokf[i];
    for (int naive = 0; naive < 2; naive++) {
        fprintf(stderr, "gru tokens (%s)\n", naive ? "naive" : "fast");
        NnParams p;
        GruWeights w, dw;
        Gru g;
        load_gru("grutok", &p, &cfg, &w, &dw);
        assert_int_equal(cv_gru_init(&g, &cfg, NULL), CV_OK);
        const float *c = get("grutok.c", B * D), *r = get("grutok.r", T * B * H);
        float *dc = calloc(B * D, sizeof(float));
        (naive ? cv_gru_forward_tokens_naive : cv_gru_forward_tokens)(&g, &w, c, tok, NULL, B, T);
        expect_match("y", cv_gru_output(&g), "grutok.y", T * B * H);
        (naive ? cv_gru_backward_tokens_naive : cv_gru_backward_tokens)(&g, &w, &dw, c, tok, r, dc,
                                                                        NULL);
        expect_match("dc", dc, "grutok.dc", B * D);
        expect_weight_grads("grutok", &p, L);
        free(dc);
        cv_gru_free(&g);
        cv_nn_params_free(&p);
    }
    free(tok);
}

/* ---- conv1d and batchnorm ------------------------------------------------------------- */

static void test_torch_conv1d(void **state) {
    (void)state;
    const float *dims = get("conv.dims", 5);
    size_t B = (size_t)dims[0], L = (size_t)dims[1], Cin = (size_t)dims[2], Cout = (size_t)dims[3],
           K = (size_t)dims[4], Lo = L - K + 1;
    size_t nx = B * L * Cin, nw = Cout * Cin * K, ny = B * Lo * Cout;
    const float *x = get("conv.x", nx), *w = get("conv.w", nw), *b = get("conv.b", Cout);
    const float *r = get("conv.r", ny);
    float *col = malloc(cv_conv1d_col_len(B, L, Cin, K) * sizeof(float));
    float *scr = malloc(cv_conv1d_scratch_len(B, L, Cin, Cout, K) * sizeof(float));
    float *y = malloc(ny * sizeof(float));
    for (int naive = 0; naive < 2; naive++) {
        fprintf(stderr, "conv1d (%s)\n", naive ? "naive" : "fast");
        float *dx = calloc(nx, sizeof(float)), *dw = calloc(nw, sizeof(float));
        float *db = calloc(Cout, sizeof(float));
        if (naive) {
            cv_conv1d_forward_naive(y, x, w, b, B, L, Cin, Cout, K);
            cv_conv1d_backward_naive(dx, dw, db, r, x, w, B, L, Cin, Cout, K);
        } else {
            cv_conv1d_forward(y, col, scr, x, w, b, B, L, Cin, Cout, K);
            cv_conv1d_backward(dx, dw, db, scr, r, col, w, B, L, Cin, Cout, K);
        }
        expect_match("y", y, "conv.y", ny);
        expect_match("dx", dx, "conv.dx", nx);
        expect_match("dw", dw, "conv.dw", nw);
        expect_match("db", db, "conv.db", Cout);
        free(dx), free(dw), free(db);
    }
    free(col), free(scr), free(y);
}

static void test_torch_batchnorm(void **state) {
    (void)state;
    const float *dims = get("bn.dims", 3);
    size_t N = (size_t)dims[0] * (size_t)dims[1], C = (size_t)dims[2];
    fprintf(stderr, "batchnorm (train, conv features)\n");
    float *y = malloc(N * C * sizeof(float)), *xhat = malloc(N * C * sizeof(float));
    float *dx = calloc(N * C, sizeof(float)), rstd[16], rm[16], rv[16], dg[16] = {0}, dbt[16] = {0};
    memcpy(rm, get("bn.run_mean0", C), C * sizeof(float));
    memcpy(rv, get("bn.run_var0", C), C * sizeof(float));
    const float *gamma = get("bn.gamma", C);
    cv_batchnorm_forward_train(y, xhat, NULL, rstd, rm, rv, get("bn.x", N * C), gamma,
                               get("bn.beta", C), N, C, 0.1f, 1e-5f);
    cv_batchnorm_backward(dx, dg, dbt, get("bn.r", N * C), xhat, rstd, gamma, N, C);
    expect_match("y", y, "bn.y", N * C);
    expect_match("dx", dx, "bn.dx", N * C);
    expect_match("dgamma", dg, "bn.dgamma", C);
    expect_match("dbeta", dbt, "bn.dbeta", C);
    expect_match("running mean", rm, "bn.run_mean1", C);
    expect_match("running var", rv, "bn.run_var1", C);
    free(y), free(xhat), free(dx);
}

static void test_torch_summary(void **state) {
    (void)state;
    fprintf(stderr, "== max |C − torch| over all fixture comparisons: %.2e (tolerance %.0e)\n",
            worst_seen, TOL);
    assert_true(worst_seen > 0.0f && worst_seen <= TOL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_torch_gru_dense), cmocka_unit_test(test_torch_gru_tokens),
        cmocka_unit_test(test_torch_conv1d),    cmocka_unit_test(test_torch_batchnorm),
        cmocka_unit_test(test_torch_summary),
    };
    return cmocka_run_group_tests(tests, load_fixture, free_fixture);
}
