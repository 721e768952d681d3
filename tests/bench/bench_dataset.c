/* bench_dataset.c — dataset load time: cv_dataset_load of a .cvds file, best of R runs, plus
 * a pass of one-hot batch fills (B = 128) over the train split to show batch cost.
 * usage: bench_dataset FILE.cvds [R] */
#include <stdio.h>
#include <stdlib.h>

#include "chemvae/data/dataset.h"
#include "chemvae/core/progress.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_dataset FILE.cvds [repeats]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    double best = 1e30;
    CvDataset ds = {0};
    CvError err;
    for (int r = 0; r < (reps > 0 ? reps : 1); r++) {
        cv_dataset_free(&ds);
        double t0 = cv_now();
        if (cv_dataset_load(&ds, argv[1], &err)) {
            fprintf(stderr, "bench_dataset: %s\n", err.msg);
            return 1;
        }
        double dt = cv_now() - t0;
        if (dt < best) best = dt;
    }
    uint32_t *idx;
    size_t n;
    if (cv_dataset_split_indices(&ds, CV_SPLIT_TRAIN, &idx, &n, &err)) return 1;
    size_t B = 128;
    float *x = malloc(B * ds.T * ds.V * sizeof *x);
    if (!x) return 1;
    double t0 = cv_now();
    size_t batches = 0;
    for (size_t i = 0; i + B <= n; i += B, batches++) cv_dataset_fill_onehot(&ds, idx + i, B, x);
    double fill = cv_now() - t0;
    printf(
        "cv_dataset_load %s: N=%zu T=%zu V=%zu P=%zu bytes=%zu load_s=%.4f onehot_batch_ms=%.3f\n",
        argv[1], ds.n, ds.T, ds.V, ds.P, ds.blob_size, best,
        batches ? 1e3 * fill / (double)batches : 0.0);
    free(x);
    free(idx);
    cv_dataset_free(&ds);
    return 0;
}
