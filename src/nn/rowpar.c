/* rowpar.c — contiguous row chunks on pthreads, with OpenBLAS single-threaded meanwhile.
 * Threads are started per call: a call is meant to cover a whole decode (~0.1-1 s), so
 * the ~50 µs of thread start-up is noise, and no pool has to outlive it. */
#include "chemvae/rowpar.h"

#include <cblas.h>
#include <pthread.h>

typedef struct {
    NnRowTask task;
    void *ctx;
    size_t b0, b1;
    int worker;
} RowChunk;

static void *chunk_main(void *arg) {
    RowChunk *c = arg;
    c->task(c->ctx, c->b0, c->b1, c->worker);
    return NULL;
}

int nn_row_workers(size_t n, size_t min_rows) {
    int w = openblas_get_num_threads();
    if (w > NN_MAX_WORKERS) w = NN_MAX_WORKERS;
    size_t by_rows = min_rows > 0 ? n / min_rows : n;
    if ((size_t)w > by_rows) w = (int)by_rows;
    return w < 1 ? 1 : w;
}

int nn_blas_threads_set(int n) {
    int previous = openblas_get_num_threads();
    if (n != previous) openblas_set_num_threads(n);
    return previous;
}

void nn_parallel_rows(size_t n, int workers, NnRowTask task, void *ctx) {
    if (workers > NN_MAX_WORKERS) workers = NN_MAX_WORKERS;
    if ((size_t)workers > n) workers = (int)n;
    if (workers <= 1) {
        task(ctx, 0, n, 0);
        return;
    }
    RowChunk chunk[NN_MAX_WORKERS];
    pthread_t tid[NN_MAX_WORKERS];
    int started[NN_MAX_WORKERS] = {0};
    for (int k = 0; k < workers; k++)
        chunk[k] = (RowChunk){task, ctx, n * (size_t)k / (size_t)workers,
                              n * (size_t)(k + 1) / (size_t)workers, k};
    int blas_threads = nn_blas_threads_set(1);
    for (int k = 1; k < workers; k++)
        started[k] = pthread_create(&tid[k], NULL, chunk_main, &chunk[k]) == 0;
    chunk_main(&chunk[0]);
    for (int k = 1; k < workers; k++) {
        if (started[k]) pthread_join(tid[k], NULL);
        else chunk_main(&chunk[k]);
    }
    nn_blas_threads_set(blas_threads);
}
