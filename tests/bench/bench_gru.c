/* bench_gru.c — GRU forward/backward GFLOP/s at the paper sizes next to this machine's
 * sgemm rate measured in the same process.
 *
 * Usage: bench_gru [--B n] [--T n] [--H n] [--layers n] [--input n] [--tokens D V]
 *                  [--reps n]
 * Dense mode (default, input 231 like the PyTorch reference) or token mode
 * (--tokens D V: the decoder's [c ; onehot] input, In = D + V). FLOPs counted are the
 * multiply-adds actually performed by the products (2 per MAC) of each mode; element-wise
 * work is not counted, so token mode (whose layer-0 projection is a gather) does less
 * counted work for the same 231 inputs. The sgemm reference is one (B·T)×3H×H product (the shape of
 * the GRU's batched input projection) and one B×3H×H product (the per-step recurrent shape), timed
 * between the GRU repetitions. Prints key=value lines that tests/bench/gru.sh reads. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chemvae/nn/gru.h"
#include "chemvae/core/rng.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Best-of-reps seconds of an M×N×K sgemm. */
static double time_sgemm(size_t M, size_t N, size_t K, int reps) {
    float *a = calloc(M * K, sizeof(float)), *b = calloc(N * K, sizeof(float));
    float *c = calloc(M * N, sizeof(float));
    for (size_t i = 0; i < M * K; i++) a[i] = (float)(i % 7) * 0.01f;
    for (size_t i = 0; i < N * K; i++) b[i] = (float)(i % 5) * 0.01f;
    double best = 1e30;
    int inner = M < 1024 ? 20 : 1;
    for (int r = 0; r < reps + 1; r++) {
        double t0 = now();
        for (int i = 0; i < inner; i++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)N, (int)K, 1.0f, a,
                        (int)K, b, (int)K, 0.0f, c, (int)N);
        double dt = (now() - t0) / inner;
        if (r > 0 && dt < best) best = dt;
    }
    free(a);
    free(b);
    free(c);
    return best;
}

int main(int argc, char **argv) {
    size_t B = 128, T = 120, H = 488, L = 3, In = 231, D = 0, V = 0;
    int reps = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--B") && i + 1 < argc) B = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--T") && i + 1 < argc) T = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--H") && i + 1 < argc) H = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--layers") && i + 1 < argc) L = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--input") && i + 1 < argc) In = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--tokens") && i + 2 < argc) {
            D = strtoul(argv[++i], NULL, 10);
            V = strtoul(argv[++i], NULL, 10);
            In = D + V;
        } else {
            fprintf(stderr,
                    "usage: %s [--B n] [--T n] [--H n] [--layers n] [--input n] "
                    "[--tokens D V] [--reps n]\n",
                    argv[0]);
            return 2;
        }
    }
    GruConfig cfg = {L, In, H, D, V, B, T};
    Gru g;
    CvError err;
    NnParams p;
    cv_nn_params_init(&p);
    size_t id0;
    if (cv_gru_init(&g, &cfg, &err) || cv_gru_params_add(&p, "gru", &cfg, &id0, &err) ||
        cv_nn_params_alloc(&p, NN_PARAMS_GRAD, &err)) {
        fprintf(stderr, "bench_gru: %s\n", err.msg);
        return 1;
    }
    CvRng rng;
    cv_rng_init(&rng, 1);
    for (size_t i = 0; i < p.count; i++) cv_nn_params_fill_uniform(&p, i, &rng, 0.045f);
    GruWeights w, dw;
    cv_gru_params_bind(&w, &dw, &p, id0, L);
    float *x = malloc(T * B * In * sizeof(float)), *c = malloc(B * (D + 1) * sizeof(float));
    float *dout = malloc(T * B * H * sizeof(float));
    int32_t *tok = malloc(T * B * sizeof(int32_t));
    cv_rng_fill_normal(&rng, x, T * B * In);
    cv_rng_fill_normal(&rng, c, B * (D + 1));
    cv_rng_fill_normal(&rng, dout, T * B * H);
    for (size_t i = 0; i < T * B; i++) tok[i] = V ? (int32_t)cv_rng_below(&rng, V) : 0;

    /* Multiply-adds of the products actually performed (backward is called with all
     * weight gradients and without dx / dc / dh0, as in training where the GRU input
     * needs no gradient except dc, a B×D×3H product): forward = layer-0 input projection
     * (dense: all T·B rows; token: only c, B rows) + L recurrent + (L−1) upper input
     * projections; backward = per layer dh and dW_hh, per upper layer dW_ih and the
     * input gradient, and layer 0's dW_ih (dense) or dW_c (token). 2 FLOPs per MAC. */
    double H3 = 3.0 * H, TB = (double)T * B;
    double in0 = V ? (double)B * D * H3 : TB * In * H3;
    double rec = TB * H3 * H;
    double fwd = 2.0 * (in0 + rec * (double)L + rec * (double)(L - 1));
    double bwd = 2.0 * (in0 + 2.0 * rec * (double)L + 2.0 * rec * (double)(L - 1));

    /* The sgemm reference is timed inside the same loop, between GRU runs, so a shared
     * machine's load affects both alike; each number is the best over the reps. */
    double tf = 1e30, tb = 1e30, sg_big = 1e30, sg_step = 1e30;
    for (int r = 0; r < reps + 1; r++) {
        double t0 = now();
        if (V) cv_gru_forward_tokens(&g, &w, c, tok, NULL, B, T);
        else cv_gru_forward(&g, &w, x, NULL, B, T);
        double t1 = now();
        if (V) cv_gru_backward_tokens(&g, &w, &dw, c, tok, dout, NULL, NULL);
        else cv_gru_backward(&g, &w, &dw, x, dout, NULL, NULL);
        double t2 = now();
        if (r > 0) { /* first run warms up pages and BLAS threads */
            if (t1 - t0 < tf) tf = t1 - t0;
            if (t2 - t1 < tb) tb = t2 - t1;
        }
        double s = time_sgemm((size_t)TB, (size_t)H3, H, 1);
        if (s < sg_big) sg_big = s;
        s = time_sgemm(B, (size_t)H3, H, 1);
        if (s < sg_step) sg_step = s;
    }
    double big_rate = 2.0 * TB * H3 * H / sg_big * 1e-9;
    double step_rate = 2.0 * B * H3 * H / sg_step * 1e-9;
    printf("mode=%s B=%zu T=%zu In=%zu H=%zu L=%zu\n", V ? "tokens" : "dense", B, T, In, H, L);
    printf("c_fwd_s=%.4f c_bwd_s=%.4f\n", tf, tb);
    printf("c_fwd_gflops=%.1f c_bwd_gflops=%.1f c_total_gflops=%.1f\n", fwd / tf * 1e-9,
           bwd / tb * 1e-9, (fwd + bwd) / (tf + tb) * 1e-9);
    printf("sgemm_gflops=%.1f sgemm_step_gflops=%.1f\n", big_rate, step_rate);
    printf("ratio_to_sgemm=%.2f\n", (fwd + bwd) / (tf + tb) * 1e-9 / big_rate);
    free(x);
    free(c);
    free(dout);
    free(tok);
    cv_gru_free(&g);
    cv_nn_params_free(&p);
    return 0;
}
