/* params.h — the model as one flat float array with named, shaped views (llm.c style).
 *
 * Build a table by registering every tensor (name + shape) with cv_nn_params_add, then call
 * cv_nn_params_alloc once: it makes ONE buffer for the parameters and, on request, one each
 * for gradients and Adam's first/second moments, all with the same layout (tensor i lives
 * at [off_i, off_i + n_i) in every buffer). Offsets are rounded up to 16 floats (64 bytes)
 * so every view is cache-line aligned; the gaps are zero and stay zero (their gradient is
 * never written), so optimizer, zero-grad, checkpoint and gradient check may treat the
 * table as the flat array data[0 .. total).
 *
 * Ownership: the table owns its buffers; views are valid until cv_nn_params_free.
 * Non-trainable state (batchnorm running statistics) belongs in a second table allocated
 * without NN_PARAMS_GRAD / NN_PARAMS_ADAM, so the optimizer never sees it. */
#ifndef CHEMVAE_PARAMS_H
#define CHEMVAE_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/core/error.h"
#include "chemvae/core/rng.h"

#define NN_PARAM_NAME_MAX 48
#define NN_PARAM_MAX_DIMS 4

typedef struct {
    char name[NN_PARAM_NAME_MAX];    /* e.g. "enc.conv1.w" */
    int ndim;                        /* 1..NN_PARAM_MAX_DIMS */
    size_t shape[NN_PARAM_MAX_DIMS]; /* PyTorch order, e.g. (Cout, Cin, K) */
    size_t n;                        /* product of shape */
    size_t off;                      /* offset in floats into data/grad/m/v */
} NnParamInfo;

enum {
    NN_PARAMS_GRAD = 1, /* allocate grad (total) */
    NN_PARAMS_ADAM = 2  /* allocate m and v (total) */
};

typedef struct {
    NnParamInfo *info; /* (count) */
    size_t count, cap;
    size_t total; /* floats in each buffer, including alignment gaps */
    float *data;  /* (total) parameters; NULL before cv_nn_params_alloc */
    float *grad;  /* (total) or NULL */
    float *m, *v; /* (total) Adam moments or NULL */
} NnParams;

/* Zeroes the table (same as `NnParams p = {0}`). */
void cv_nn_params_init(NnParams *p);

/* Registers a tensor of `ndim` dims `shape[0..ndim)` (all > 0). Must be called before
 * cv_nn_params_alloc. Writes its index to *id (may be NULL). Fails with CV_ERR_INVALID on a
 * duplicate or too-long name, bad ndim or zero dim, or after allocation; CV_ERR_NOMEM. */
CvStatus cv_nn_params_add(NnParams *p, const char *name, int ndim, const size_t *shape, size_t *id,
                          CvError *err);

/* Allocates data (zeroed) and, per `flags`, grad (zeroed) and m, v (zeroed), with
 * 64-byte alignment. Call once. CV_ERR_NOMEM on failure (table left freeable). */
CvStatus cv_nn_params_alloc(NnParams *p, int flags, CvError *err);

/* Frees everything; safe on a zeroed or half-built table. Leaves it zeroed. */
void cv_nn_params_free(NnParams *p);

/* Index of the tensor called `name`, or -1. */
long cv_nn_params_find(const NnParams *p, const char *name);

/* Views of tensor `id` (< count) into data / grad (NULL if no grads). */
float *cv_nn_params_data(const NnParams *p, size_t id);
float *cv_nn_params_grad(const NnParams *p, size_t id);

/* grad[0..total) = 0. No-op without grads. */
void cv_nn_params_zero_grad(NnParams *p);

/* Fills tensor `id` with uniform(-bound, bound) (PyTorch's default init for Linear,
 * Conv1d and GRU uses bound = 1/sqrt(fan_in)). */
void cv_nn_params_fill_uniform(NnParams *p, size_t id, CvRng *rng, float bound);

/* Fills tensor `id` with the constant `value` (e.g. batchnorm gamma = 1). */
void cv_nn_params_fill(NnParams *p, size_t id, float value);

#endif
