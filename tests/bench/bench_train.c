/* bench_train.c — training throughput of a VAE preset on random batches shaped like ZINC
 * (the same shapes vae_torch.py uses): molecules/s, GFLOP/s of the step (counted
 * analytically: 2 flops per multiply-add of every matrix product, backward = 2x forward),
 * the machine's sgemm GFLOP/s measured in the same run, and peak RSS.
 *
 * usage: bench_train [preset] [batch] [steps] [T] [V]   (default paper 128 3 120 35) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "chemvae/nn/adam.h"
#include "chemvae/core/progress.h"
#include "chemvae/model/vae.h"

static double sgemm_gflops(void) {
    const int n = 1024;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
          *c = malloc(sizeof(float) * n * n);
    for (int i = 0; i < n * n; i++) a[i] = b[i] = 1e-3f * (float)(i % 97);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    double t0 = cv_now();
    int reps = 10;
    for (int r = 0; r < reps; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    double dt = cv_now() - t0;
    free(a);
    free(b);
    free(c);
    return 2.0 * n * n * (double)n * reps / dt / 1e9;
}

/* Forward flops of one molecule of `steps` decoder steps. */
static double model_flops(const VaeConfig *c, int steps) {
    double f = 0;
    int L = c->T, cin = c->V;
    for (int i = 0; i < c->n_conv; i++) {
        L -= c->conv_k[i] - 1;
        f += 2.0 * L * c->conv_ch[i] * cin * c->conv_k[i];
        cin = c->conv_ch[i];
    }
    f += 2.0 * L * cin * c->enc_dense + 2.0 * 2 * c->enc_dense * c->Z + 2.0 * c->Z * c->dec_dense;
    double H = c->H;
    f += 2.0 * 3 * H * c->dec_dense; /* constant input projection, once */
    for (int l = 0; l < c->gru_layers; l++) f += steps * 2.0 * 3 * H * (H + (l ? H : 0));
    f += steps * 2.0 * H * c->V;
    return f;
}

int main(int argc, char **argv) {
    const char *preset = argc > 1 ? argv[1] : "paper";
    size_t B = argc > 2 ? (size_t)atoi(argv[2]) : 128;
    int steps = argc > 3 ? atoi(argv[3]) : 3;
    int T = argc > 4 ? atoi(argv[4]) : 120, V = argc > 5 ? atoi(argv[5]) : 35;
    VaeConfig cfg;
    CvError err;
    if (cv_vae_config_preset(preset, T, V, 3, &cfg, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    Vae vae;
    CvRng rng;
    cv_rng_init(&rng, 0);
    if (cv_vae_init(&vae, &cfg, B, &rng, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int32_t *ids = calloc(B * (size_t)T, sizeof *ids), *len = calloc(B, sizeof *len);
    float *props = calloc(B * 3, sizeof *props), *eps = calloc(B * (size_t)cfg.Z, sizeof *eps);
    int maxlen = 0;
    for (size_t b = 0; b < B; b++) {
        len[b] = 20 + (int)cv_rng_below(&rng, (uint64_t)(T - 20)); /* like vae_torch.py */
        if (len[b] > maxlen) maxlen = len[b];
        for (int t = 0; t < T; t++)
            ids[b * T + t] = t < len[b] - 1 ? 4 + (int)cv_rng_below(&rng, (uint64_t)(V - 4))
                                            : (t == len[b] - 1 ? 2 : 0);
    }
    maxlen = T; /* vae_torch.py runs every position: compare equal work */
    for (size_t b = 0; b < B; b++) len[b] = len[b] < T ? len[b] : T;
    len[0] = T;
    cv_rng_fill_normal(&rng, props, B * 3);
    cv_rng_fill_normal(&rng, eps, B * (size_t)cfg.Z);
    AdamConfig ac = cv_adam_default_config();
    ac.clip_norm = 5;
    VaeLoss l;
    cv_vae_forward_backward(&vae, ids, len, props, NULL, eps, B, 0.1f, 1.0f, &l); /* warm-up */
    cv_adam_step(&vae.params, &ac, 1);
    double t0 = cv_now();
    for (int s = 0; s < steps; s++) {
        cv_vae_forward_backward(&vae, ids, len, props, NULL, eps, B, 0.1f, 1.0f, &l);
        cv_adam_step(&vae.params, &ac, s + 2);
    }
    double dt = cv_now() - t0;
    double mol_s = (double)B * steps / dt;
    double gflop = 3.0 * model_flops(&cfg, maxlen) * (double)B * steps / dt / 1e9;
    double peak = sgemm_gflops();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("chemvae_train preset=%s mol_per_s=%.2f step_s=%.3f gflops=%.1f sgemm_gflops=%.1f "
           "share_of_sgemm=%.2f peak_rss_mb=%.0f params=%zu loss=%.4f\n",
           preset, mol_s, dt / steps, gflop, peak, gflop / peak, ru.ru_maxrss / 1024.0,
           vae.params.total, l.loss);
    cv_vae_free(&vae);
    free(ids);
    free(len);
    free(props);
    free(eps);
    return 0;
}
