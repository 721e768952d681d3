/* parfor.h — the parallel-for: rows [0, n) of independent work split over threads.
 *
 * One helper for every place that spreads rows over threads: batched decoding (contiguous
 * chunks, one per worker, so a worker's scratch and BLAS calls cover one block of rows) and
 * per-row RDKit work such as scoring or ingest checks (rows handed out one grain at a time
 * from a shared counter, so a slow molecule does not hold up a whole chunk). Threads are
 * started per call and joined before it returns: no pool outlives a call, and a call is
 * meant to cover enough work (a batch) that the ~50 µs of thread start-up is noise.
 *
 * The task must only touch its own rows (and its worker's scratch); results then do not
 * depend on the number of workers or on which worker ran which rows. */
#ifndef CHEMVAE_PARFOR_H
#define CHEMVAE_PARFOR_H

#include <stddef.h>

enum { CV_PARFOR_MAX_WORKERS = 256 };

/* Processes rows [b0, b1); `worker` is 0 .. workers-1 (the calling thread is worker 0).
 * With grain 0 it is called once per worker; with grain > 0 a worker is called once per
 * grain it takes, so it may be called many times. */
typedef void (*CvRangeTask)(void *ctx, size_t b0, size_t b1, int worker);

/* Runs task over [0, n) on `workers` threads, the calling thread being one of them, and
 * returns when every row is done. workers 0 means every CPU (cv_cpu_count()); a negative
 * count is taken as 1 and one above CV_PARFOR_MAX_WORKERS as the maximum; there are never
 * more workers than rows (n 0 with grain 0: one call on an empty range).
 *   grain 0: [0, n) is cut into `workers` contiguous chunks of near-equal size; chunk k
 *            runs as worker k.
 *   grain > 0: workers take the next `grain` rows from a shared counter until none are left.
 * If a thread cannot be started, its share runs on the calling thread, so every row is
 * covered exactly once whatever happens. */
void cv_parallel_for(size_t n, int workers, size_t grain, CvRangeTask task, void *ctx);

/* The CPUs online (sysconf), 1..CV_PARFOR_MAX_WORKERS: what a thread count of 0 ("every
 * CPU", the default of every command's -j) stands for, and the workers cv_parallel_for runs
 * when given 0. */
int cv_cpu_count(void);

#endif
