/* parfor.c — the parallel-for on pthreads (see include/chemvae/core/parfor.h). Static chunks:
 * worker k gets [n·k/w, n·(k+1)/w). Dynamic grains: every worker loops on an atomic
 * counter, so the calling thread alone finishes the job if no thread could be started. */
#include "chemvae/core/parfor.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

typedef struct {
    CvRangeTask task;
    void *ctx;
    size_t n, grain;
    int workers;
    atomic_size_t next; /* dynamic mode: first row not yet taken */
} ParFor;

typedef struct {
    ParFor *job;
    int worker;
} ParWorker;

static void run_worker(ParFor *j, int k) {
    if (!j->grain) {
        size_t w = (size_t)j->workers;
        j->task(j->ctx, j->n * (size_t)k / w, j->n * ((size_t)k + 1) / w, k);
        return;
    }
    for (size_t b0; (b0 = atomic_fetch_add(&j->next, j->grain)) < j->n;)
        j->task(j->ctx, b0, j->n - b0 < j->grain ? j->n : b0 + j->grain, k);
}

static void *thread_main(void *arg) {
    ParWorker *w = arg;
    run_worker(w->job, w->worker);
    return NULL;
}

void cv_parallel_for(size_t n, int workers, size_t grain, CvRangeTask task, void *ctx) {
    if (workers == 0) workers = cv_cpu_count(); /* every CPU */
    if (workers > CV_PARFOR_MAX_WORKERS) workers = CV_PARFOR_MAX_WORKERS;
    if (workers < 1) workers = 1;
    if ((size_t)workers > n) workers = n ? (int)n : 1; /* n == 0, grain 0: one empty call */
    ParFor job = {task, ctx, n, grain, workers, 0};
    if (workers == 1) {
        run_worker(&job, 0);
        return;
    }
    ParWorker w[CV_PARFOR_MAX_WORKERS];
    pthread_t tid[CV_PARFOR_MAX_WORKERS];
    int started[CV_PARFOR_MAX_WORKERS] = {0};
    for (int k = 1; k < workers; k++) {
        w[k] = (ParWorker){&job, k};
        started[k] = pthread_create(&tid[k], NULL, thread_main, &w[k]) == 0;
    }
    run_worker(&job, 0);
    for (int k = 1; k < workers; k++) {
        if (started[k]) pthread_join(tid[k], NULL);
        else if (!grain) run_worker(&job, k); /* its chunk, on this thread */
    }
}

int cv_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > CV_PARFOR_MAX_WORKERS ? CV_PARFOR_MAX_WORKERS : (int)n;
}
