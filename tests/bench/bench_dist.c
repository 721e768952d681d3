/* bench_dist.c — data-parallel training driver for tests/check-mpi.sh and tests/bench/mpi.sh:
 * the train job (app_train.h) on a dataset, run alone or under `mpirun -np N`, with hooks that
 * write what the checks compare and the benchmark times.
 *
 *   bench_dist built                                   prints 1 when the build has MPI, else 0
 *   bench_dist grads DATA PRESET BATCH OUT [recipe]    one step; rank 0 writes the summed
 *                                                      gradient (raw floats) to OUT
 *   bench_dist curve DATA PRESET BATCH STEPS OUT [recipe]
 *                                                      STEPS steps; rank 0 writes each step's
 *                                                      loss, recon, kl (one line a step)
 *   bench_dist speed DATA PRESET BATCH STEPS           STEPS steps; rank 0 prints steps/s over
 *                                                      all but the first step
 *   bench_dist allreduce N REPS                        the mean time of one sum of N floats
 *                                                      over the group (after one warm-up)
 *   bench_dist compare A B TOL                         |A − B| / |A| of two gradient files;
 *                                                      exit 1 above TOL
 *
 * `recipe` turns on word dropout 0.2, randomized-SMILES augmentation and free bits 0.05,
 * whose random draws must not depend on how the batch is split. The thread count is
 * OpenBLAS's (OPENBLAS_NUM_THREADS). The checkpoint goes to OUT.cvae (or a temp file). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/app/app_train.h"
#include "chemvae/core/progress.h"
#include "chemvae/nn/dist.h"

typedef struct {
    const char *grad_out;   /* grads: the file */
    const char *curve_path; /* curve: the file, opened by rank 0 at its first step */
    FILE *curve;
    int speed; /* speed: print steps/s */
    double t_first, t_last;
    long steps;
} Driver;

static void on_grad(void *ctx, long step, const NnParams *p) {
    Driver *d = ctx;
    if (!d->grad_out || step != 0) return;
    FILE *f = fopen(d->grad_out, "wb");
    if (!f || fwrite(p->grad, sizeof(float), p->total, f) != p->total) perror(d->grad_out);
    if (f) fclose(f);
}

static void on_step(void *ctx, int epoch, size_t done, size_t total, const VaeLoss *l) {
    Driver *d = ctx;
    (void)epoch, (void)done, (void)total;
    if (!l) return;
    double now = cv_now();
    if (d->steps++ == 0) d->t_first = now;
    d->t_last = now;
    if (d->curve_path && !d->curve && !(d->curve = fopen(d->curve_path, "w")))
        perror(d->curve_path), d->curve_path = NULL;
    if (d->curve) fprintf(d->curve, "%.9g %.9g %.9g\n", l->loss, l->recon, l->kl);
}

/* Trains `steps` steps of batch B with preset on data; the hooks above see them. */
static int train(const char *data, const char *preset, size_t B, long steps, int recipe,
                 const char *ckpt, Driver *drv) {
    CvTrainConfig c;
    cv_train_config_default(&c);
    c.data = data;
    c.out = ckpt;
    c.preset = preset;
    c.train.batch = B;
    c.train.epochs = 1000;
    c.train.max_steps = (size_t)steps;
    c.train.recon_sample = 0;
    if (recipe) {
        c.train.word_dropout = 0.2f;
        c.train.augment = 1;
        c.train.free_bits = 0.05f;
    }
    CvError err = {0};
    CvTrainJob job;
    CvStatus st = cv_train_job_open(&job, &c, &err);
    if (!st) {
        TrainHooks h = {.ctx = drv, .on_step = on_step, .on_grad = on_grad};
        if (cv_dist_rank(job.dist) != 0) drv->grad_out = NULL;
        st = cv_train_run(&job.vae, &job.meta, &job.ds, &job.opts, &h, &err);
        job.finished = st == CV_OK;
        if (!st && cv_dist_rank(job.dist) == 0 && drv->speed)
            printf("steps_per_s=%.4f ranks=%d batch=%zu preset=%s params=%zu\n",
                   drv->steps > 1 ? (double)(drv->steps - 1) / (drv->t_last - drv->t_first) : 0.0,
                   cv_dist_size(job.dist), B, preset, job.vae.params.total);
    }
    if (st) fprintf(stderr, "bench_dist: %s\n", err.msg);
    cv_train_job_close(&job);
    return st ? 1 : 0;
}

static int allreduce(size_t n, int reps) {
    CvDist *d = NULL;
    CvError err = {0};
    float *buf = calloc(n, sizeof *buf);
    if (!buf || cv_dist_open(&d, &err)) return 1;
    for (size_t i = 0; i < n; i++) buf[i] = 1e-3f * (float)(i % 1000);
    cv_dist_sum_f(d, buf, n);
    double t0 = cv_now();
    for (int r = 0; r < reps; r++) cv_dist_sum_f(d, buf, n);
    double dt = (cv_now() - t0) / reps;
    if (cv_dist_rank(d) == 0)
        printf("allreduce floats=%zu ranks=%d ms=%.3f GB_per_s=%.2f\n", n, cv_dist_size(d),
               dt * 1e3, (double)n * sizeof(float) / dt / 1e9);
    cv_dist_close(d, 0);
    free(buf);
    return 0;
}

static float *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    float *x = malloc(bytes > 0 ? (size_t)bytes : 1);
    *n = bytes > 0 ? (size_t)bytes / sizeof(float) : 0;
    if (x && fread(x, sizeof(float), *n, f) != *n) *n = 0;
    fclose(f);
    return x;
}

static int compare(const char *a, const char *b, double tol) {
    size_t na = 0, nb = 0;
    float *x = slurp(a, &na), *y = slurp(b, &nb);
    if (!x || !y || na != nb || na == 0) {
        fprintf(stderr, "bench_dist: %s and %s: unreadable or of different sizes\n", a, b);
        return 1;
    }
    double dd = 0, xx = 0, worst = 0;
    for (size_t i = 0; i < na; i++) {
        double e = (double)x[i] - y[i];
        dd += e * e;
        xx += (double)x[i] * x[i];
        if (fabs(e) > worst) worst = fabs(e);
    }
    double rel = sqrt(dd / (xx > 0 ? xx : 1));
    printf("gradient floats=%zu norm=%.6g rel_diff=%.3g max_abs_diff=%.3g\n", na, sqrt(xx), rel,
           worst);
    free(x);
    free(y);
    return rel <= tol ? 0 : 1;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    Driver drv = {0};
    char ckpt[4096];
    if (!strcmp(mode, "built")) return printf("%d\n", cv_dist_built()), 0;
    if (!strcmp(mode, "compare") && argc == 5) return compare(argv[2], argv[3], atof(argv[4]));
    if (!strcmp(mode, "allreduce") && argc == 4)
        return allreduce((size_t)atol(argv[2]), atoi(argv[3]));
    if (!strcmp(mode, "grads") && (argc == 6 || argc == 7)) {
        drv.grad_out = argv[5];
        snprintf(ckpt, sizeof ckpt, "%s.cvae", argv[5]);
        return train(argv[2], argv[3], (size_t)atol(argv[4]), 1, argc == 7, ckpt, &drv);
    }
    if (!strcmp(mode, "curve") && (argc == 7 || argc == 8)) {
        snprintf(ckpt, sizeof ckpt, "%s.cvae", argv[6]);
        drv.curve_path = argv[6];
        int rc =
            train(argv[2], argv[3], (size_t)atol(argv[4]), atol(argv[5]), argc == 8, ckpt, &drv);
        if (drv.curve) fclose(drv.curve);
        return rc;
    }
    if (!strcmp(mode, "speed") && argc == 6) {
        snprintf(ckpt, sizeof ckpt, "/tmp/bench_dist-%d.cvae", (int)getpid());
        drv.speed = 1;
        int rc = train(argv[2], argv[3], (size_t)atol(argv[4]), atol(argv[5]), 0, ckpt, &drv);
        unlink(ckpt);
        return rc;
    }
    fprintf(stderr, "usage: see tests/bench/bench_dist.c\n");
    return 2;
}
