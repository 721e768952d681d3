/* dist.c — the training process group (contract in include/chemvae/nn/dist.h).
 *
 * Built with CHEMVAE_MPI (the Makefile's MPI=1, the default where mpicc exists) it wraps
 * MPI_COMM_WORLD; without it every group has one process and the sums are no-ops. Only
 * this file includes <mpi.h>, so the rest of the library builds the same either way.
 * Sums longer than INT_MAX elements are split (MPI counts are int). MPI keeps its own
 * process-wide state; the handle holds only what MPI returned, no globals here. */
#include "chemvae/nn/dist.h"

#include <limits.h>
#include <stdlib.h>

#ifdef CHEMVAE_MPI
#include <mpi.h>
#endif

struct CvDist {
    int rank, size;
    int mpi; /* 1: this handle initialized MPI and finalizes it */
};

int cv_dist_built(void) {
#ifdef CHEMVAE_MPI
    return 1;
#else
    return 0;
#endif
}

/* 1 when an MPI launcher started this process (OpenMPI, MPICH/Hydra, PMIx). */
static int launched_by_mpi(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

#ifndef CHEMVAE_MPI
/* The job size an MPI launcher announces (OpenMPI, MPICH/Hydra), 1 when none does. */
static long launched_size(void) {
    const char *s = getenv("OMPI_COMM_WORLD_SIZE");
    if (!s) s = getenv("PMI_SIZE");
    return s ? strtol(s, NULL, 10) : 1;
}
#endif

CvStatus cv_dist_open(CvDist **out, CvError *err) {
    CvDist *d = calloc(1, sizeof *d);
    *out = d;
    if (!d) return cv_error_set(err, CV_ERR_NOMEM, "out of memory (process group)");
    d->size = 1;
#ifndef CHEMVAE_MPI
    if (launched_by_mpi() && launched_size() > 1)
        return cv_error_set(err, CV_ERR_INVALID,
                            "started as one of %ld processes by an MPI launcher, but this chemvae "
                            "was built without MPI (install libopenmpi-dev and rebuild)",
                            launched_size());
#else
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited && !launched_by_mpi()) return CV_OK;
    if (!inited) {
        int provided = 0;
        MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
        d->mpi = 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
#endif
    return CV_OK;
}

void cv_dist_close(CvDist *d, int failed) {
    if (!d) return;
#ifdef CHEMVAE_MPI
    if (failed && d->size > 1) MPI_Abort(MPI_COMM_WORLD, 1);
    if (d->mpi) MPI_Finalize();
#else
    (void)failed;
#endif
    free(d);
}

int cv_dist_rank(const CvDist *d) {
    return d ? d->rank : 0;
}

int cv_dist_size(const CvDist *d) {
    return d ? d->size : 1;
}

/* The element-wise sum over the group of buf[0..n), floats or (dbl) doubles, in place. */
static void group_sum(const CvDist *d, void *buf, size_t n, int dbl) {
    if (!d || d->size < 2) return;
#ifdef CHEMVAE_MPI
    MPI_Datatype type = dbl ? MPI_DOUBLE : MPI_FLOAT;
    size_t elem = dbl ? sizeof(double) : sizeof(float);
    char *p = buf;
    while (n > 0) {
        int k = n > (size_t)INT_MAX ? INT_MAX : (int)n;
        MPI_Allreduce(MPI_IN_PLACE, p, k, type, MPI_SUM, MPI_COMM_WORLD);
        p += (size_t)k * elem;
        n -= (size_t)k;
    }
#else
    (void)buf, (void)n, (void)dbl;
#endif
}

void cv_dist_sum_f(const CvDist *d, float *buf, size_t n) {
    group_sum(d, buf, n, 0);
}

void cv_dist_sum_d(const CvDist *d, double *buf, size_t n) {
    group_sum(d, buf, n, 1);
}

void cv_dist_shard(size_t B, int rank, int size, size_t *begin, size_t *end) {
    if (size < 1) size = 1;
    *begin = B * (size_t)rank / (size_t)size;
    *end = B * (size_t)(rank + 1) / (size_t)size;
}
