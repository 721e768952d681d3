/* gemm_packed.h — c = a · Wᵀ with the weight matrix W packed once for many products.
 *
 * Batched decoding multiplies the same few weight matrices (3H × H per GRU layer) by small
 * activation blocks (~128 rows per thread) 120 times per molecule. A general sgemm repacks
 * W into its cache-blocked layout on every call, and at such row counts that repacking
 * is ~20% of the time (perf, paper decoder). Here W is packed once per decode (column
 * panels of NR outputs, k-major, zero-padded) and a register-tiled kernel streams the
 * panels: AVX-512 (8 rows × 48 outputs) when the CPU has it, else AVX2 + FMA (4 × 24),
 * else a generic kernel on 16-byte vectors (4 × 8). All compute the same sums in the same
 * k order up to FMA rounding.
 *
 * W is PyTorch's (out = N, in = K) row-major layout. Nothing here allocates: callers own
 * the storage (cv_nn_packed_floats) and pass it in. */
#ifndef CHEMVAE_GEMM_PACKED_H
#define CHEMVAE_GEMM_PACKED_H

#include <stddef.h>

/* Kernels, best first. Asking for one the CPU lacks gives the best one below it. */
typedef enum {
    NN_PACK_AUTO,    /* the best this CPU runs */
    NN_PACK_AVX512,  /* x86-64 AVX-512F: 8 rows × 48 outputs */
    NN_PACK_AVX2,    /* x86-64 AVX2 + FMA: 4 × 24 */
    NN_PACK_GENERIC, /* any CPU, 16-byte vectors: 4 × 8 */
} NnPackKind;

typedef struct {
    float *data;       /* panels: ceil(N / nr) × K × nr floats */
    size_t N, K;       /* outputs, inputs */
    size_t nr;         /* outputs per panel: 48, 24 or 8 (by kernel) */
    NnPackKind kernel; /* the kernel cv_nn_gemm_packed runs (never AUTO) */
} NnPacked;

/* Floats of storage cv_nn_pack_weights needs for an (N, K) matrix, for any kind. */
size_t cv_nn_packed_floats(size_t N, size_t K);

/* Packs w (N, K) with row stride ldw >= K into `storage` (cv_nn_packed_floats(N, K) floats)
 * and describes it in *p; p->data = storage. w is only read. */
void cv_nn_pack_weights(NnPacked *p, float *storage, const float *w, size_t ldw, size_t N, size_t K,
                        NnPackKind kind);

/* c (M, N) = a (M, K) · Wᵀ, overwriting c; row strides lda >= K and ldc >= N. Allocates
 * nothing and writes only rows [0, M) of c, so calls on disjoint rows may run in
 * parallel threads. M = 0 does nothing. */
void cv_nn_gemm_packed(float *c, size_t ldc, const float *a, size_t lda, const NnPacked *p,
                       size_t M);

#endif
