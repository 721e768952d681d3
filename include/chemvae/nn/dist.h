/* dist.h — the process group of data-parallel training: this process's rank among `size`
 * processes and sums over all of them (allreduce), with MPI when the build has it
 * (src/model/README.md "Data-parallel training") and a single-process implementation
 * otherwise, so the training code calls the same functions either way.
 *
 * A group of more than one process exists only when the build has MPI (`make`, with
 * mpicc on the PATH; `make MPI=0` leaves it out) and the program was started by an MPI
 * launcher (mpirun sets OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK): otherwise
 * cv_dist_open gives the single-process group and MPI is never initialized.
 *
 * Every sum is collective: all processes of the group must call it in the same order
 * with the same n, and every process receives the same result. A NULL group is the
 * single-process group (rank 0 of 1; the sums leave their buffers as they are). */
#ifndef CHEMVAE_DIST_H
#define CHEMVAE_DIST_H

#include <stddef.h>

#include "chemvae/core/error.h"

typedef struct CvDist CvDist;

/* 1 when the build has MPI. */
int cv_dist_built(void);

/* Opens the group: MPI's world when the build has MPI and an MPI launcher started the
 * process (MPI_Init_thread, funneled: only the calling thread uses MPI), else the
 * single-process group. CV_ERR_INVALID when a launcher started several processes and the
 * build has no MPI (each would train alone); CV_ERR_NOMEM; an MPI that does not start
 * aborts the process (MPI's default error handler). Close with cv_dist_close (also after a
 * failure). */
CvStatus cv_dist_open(CvDist **out, CvError *err);

/* Closes the group (MPI_Finalize) and frees it; NULL is a no-op. With `failed` set and
 * more than one process, aborts the whole job instead (MPI_Abort with exit status 1: the
 * other processes may be waiting in a sum this one will never join). */
void cv_dist_close(CvDist *d, int failed);

/* This process's rank in 0..size-1 (0 for NULL) and the group's size (1 for NULL). */
int cv_dist_rank(const CvDist *d);
int cv_dist_size(const CvDist *d);

/* buf[0..n) = the element-wise sum of every process's buf[0..n) (in place). */
void cv_dist_sum_f(const CvDist *d, float *buf, size_t n);
void cv_dist_sum_d(const CvDist *d, double *buf, size_t n);

/* The rows [*begin, *end) of a batch of B rows that rank `rank` of `size` takes:
 * [rank·B/size, (rank+1)·B/size). */
void cv_dist_shard(size_t B, int rank, int size, size_t *begin, size_t *end);

#endif
