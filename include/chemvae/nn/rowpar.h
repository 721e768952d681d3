/* rowpar.h — run independent row ranges of a batch on parallel threads.
 *
 * For work whose rows never interact but whose steps are small BLAS calls (batched greedy
 * decoding: per step, a few (B, H)·(H, 3H) products at B ~ 256), splitting the rows over
 * threads that each call a single-threaded BLAS beats one multi-threaded BLAS call per
 * step: no fork/join per call, and the element-wise work between the calls runs in
 * parallel too. The threads are those of the parallel-for (parfor.h). Measured on the paper
 * decoder, 2 cores: see tests/bench/decode.sh. */
#ifndef CHEMVAE_ROWPAR_H
#define CHEMVAE_ROWPAR_H

#include <stddef.h>

#include "chemvae/core/parfor.h"

enum { NN_MAX_WORKERS = 16 };

/* Processes rows [b0, b1) of the task; `worker` is 0 .. workers-1 (one call per worker). */
typedef CvRangeTask NnRowTask;

/* Workers to use for n rows with chunks of at least min_rows:
 * min(BLAS threads, NN_MAX_WORKERS, n / min_rows), at least 1. */
int cv_nn_row_workers(size_t n, size_t min_rows);

/* Sets OpenBLAS's (process-wide) thread count and returns the previous one. A caller about
 * to run cv_nn_parallel_rows can switch to 1 first, so that its own BLAS calls before it do
 * not wake OpenBLAS's thread pool, whose threads then spin-wait (sched_yield) for a while
 * on the cores the workers need. */
int cv_nn_blas_threads_set(int n);

/* Splits [0, n) into `workers` (>= 1) contiguous chunks of near-equal size and runs task on
 * each, chunk 0 on the calling thread and the others on new threads (cv_parallel_for with
 * grain 0); returns when all are done. With more than one worker the BLAS runs single-threaded
 * until then (set here if the caller has not, and restored): do not call BLAS from other threads
 * meanwhile. If a thread cannot be started, its chunk runs on the calling thread, so the task
 * always covers every row exactly once. */
void cv_nn_parallel_rows(size_t n, int workers, NnRowTask task, void *ctx);

#endif
