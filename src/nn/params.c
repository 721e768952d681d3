/* params.c — flat parameter table with named, shaped views.
 *
 * The table is an array of NnParamInfo records (name, shape, offset) that grows while
 * tensors are registered; cv_nn_params_alloc then makes one 64-byte aligned buffer per role
 * (data, grad, m, v) of `total` floats. Offsets are rounded up to NN_ALIGN floats so that
 * every view starts on a cache line; the padding floats are zero forever. Why one buffer
 * and not one malloc per tensor: the optimizer, zero-grad, the checkpoint writer and the
 * gradient checker then see the model as a single array (llm.c's layout). */
#include "chemvae/nn/params.h"

#include <stdlib.h>
#include <string.h>

#define NN_ALIGN 16 /* floats: 64 bytes */

void cv_nn_params_init(NnParams *p) {
    memset(p, 0, sizeof *p);
}

CvStatus cv_nn_params_add(NnParams *p, const char *name, int ndim, const size_t *shape, size_t *id,
                          CvError *err) {
    if (p->data)
        return cv_error_set(err, CV_ERR_INVALID, "cv_nn_params_add(%s): table already allocated",
                            name);
    if (strlen(name) >= NN_PARAM_NAME_MAX)
        return cv_error_set(err, CV_ERR_INVALID, "cv_nn_params_add: name too long: %s", name);
    if (ndim < 1 || ndim > NN_PARAM_MAX_DIMS)
        return cv_error_set(err, CV_ERR_INVALID, "cv_nn_params_add(%s): ndim %d not in 1..%d", name,
                            ndim, NN_PARAM_MAX_DIMS);
    if (cv_nn_params_find(p, name) >= 0)
        return cv_error_set(err, CV_ERR_INVALID, "cv_nn_params_add: duplicate name %s", name);
    size_t n = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 0)
            return cv_error_set(err, CV_ERR_INVALID, "cv_nn_params_add(%s): dim %d is zero", name,
                                d);
        n *= shape[d];
    }
    if (p->count == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 32;
        NnParamInfo *info = realloc(p->info, cap * sizeof *info);
        if (!info)
            return cv_error_set(err, CV_ERR_NOMEM, "cv_nn_params_add(%s): out of memory", name);
        p->info = info;
        p->cap = cap;
    }
    NnParamInfo *t = &p->info[p->count];
    memset(t, 0, sizeof *t);
    strcpy(t->name, name);
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++) t->shape[d] = shape[d];
    t->n = n;
    t->off = p->total;
    p->total += (n + NN_ALIGN - 1) / NN_ALIGN * NN_ALIGN;
    if (id) *id = p->count;
    p->count++;
    return CV_OK;
}

static float *alloc_floats(size_t n) {
    size_t bytes = (n ? n : 1) * sizeof(float);
    bytes = (bytes + 63) / 64 * 64;
    float *x = aligned_alloc(64, bytes);
    if (x) memset(x, 0, bytes);
    return x;
}

CvStatus cv_nn_params_alloc(NnParams *p, int flags, CvError *err) {
    if (p->data) return cv_error_set(err, CV_ERR_INVALID, "cv_nn_params_alloc: already allocated");
    p->data = alloc_floats(p->total);
    if (!p->data) goto fail;
    if (flags & NN_PARAMS_GRAD) {
        p->grad = alloc_floats(p->total);
        if (!p->grad) goto fail;
    }
    if (flags & NN_PARAMS_ADAM) {
        p->m = alloc_floats(p->total);
        p->v = alloc_floats(p->total);
        if (!p->m || !p->v) goto fail;
    }
    return CV_OK;
fail:
    free(p->data);
    free(p->grad);
    free(p->m);
    free(p->v);
    p->data = p->grad = p->m = p->v = NULL;
    return cv_error_set(err, CV_ERR_NOMEM, "cv_nn_params_alloc: out of memory for %zu floats",
                        p->total);
}

void cv_nn_params_free(NnParams *p) {
    free(p->info);
    free(p->data);
    free(p->grad);
    free(p->m);
    free(p->v);
    memset(p, 0, sizeof *p);
}

long cv_nn_params_find(const NnParams *p, const char *name) {
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->info[i].name, name) == 0) return (long)i;
    return -1;
}

float *cv_nn_params_data(const NnParams *p, size_t id) {
    return p->data + p->info[id].off;
}

float *cv_nn_params_grad(const NnParams *p, size_t id) {
    return p->grad ? p->grad + p->info[id].off : NULL;
}

void cv_nn_params_zero_grad(NnParams *p) {
    if (p->grad) memset(p->grad, 0, p->total * sizeof(float));
}

void cv_nn_params_fill_uniform(NnParams *p, size_t id, CvRng *rng, float bound) {
    float *x = cv_nn_params_data(p, id);
    for (size_t i = 0; i < p->info[id].n; i++) x[i] = (2.0f * cv_rng_uniform(rng) - 1.0f) * bound;
}

void cv_nn_params_fill(NnParams *p, size_t id, float value) {
    float *x = cv_nn_params_data(p, id);
    for (size_t i = 0; i < p->info[id].n; i++) x[i] = value;
}
