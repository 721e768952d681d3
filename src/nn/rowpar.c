/* rowpar.c — decoding's use of the parallel-for (core/parfor.c): contiguous row chunks, one
 * per worker, with OpenBLAS single-threaded meanwhile, and the worker count taken from the
 * BLAS thread count. */
#include "chemvae/nn/rowpar.h"

#include <cblas.h>

int cv_nn_row_workers(size_t n, size_t min_rows) {
    int w = openblas_get_num_threads();
    if (w > NN_MAX_WORKERS) w = NN_MAX_WORKERS;
    size_t by_rows = min_rows > 0 ? n / min_rows : n;
    if ((size_t)w > by_rows) w = (int)by_rows;
    return w < 1 ? 1 : w;
}

int cv_nn_blas_threads_set(int n) {
    int previous = openblas_get_num_threads();
    if (n != previous) openblas_set_num_threads(n);
    return previous;
}

void cv_nn_parallel_rows(size_t n, int workers, NnRowTask task, void *ctx) {
    if (workers > NN_MAX_WORKERS) workers = NN_MAX_WORKERS;
    if ((size_t)workers > n) workers = (int)n;
    if (workers <= 1) {
        task(ctx, 0, n, 0);
        return;
    }
    int blas_threads = cv_nn_blas_threads_set(1);
    cv_parallel_for(n, workers, 0, task, ctx);
    cv_nn_blas_threads_set(blas_threads);
}
