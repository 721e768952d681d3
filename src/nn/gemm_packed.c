/* gemm_packed.c — register-tiled c = a · Wᵀ on a pre-packed W (contract in gemm_packed.h).
 *
 * Packed layout: W's N outputs are cut into panels of NR consecutive outputs; panel p holds,
 * for k = 0 .. K-1, the NR weights W[p·NR + j][k] (j = 0 .. NR-1) contiguously, zero past N.
 * The kernel keeps an MR × NR tile of c in registers (MR·NR/VW vector accumulators), and for
 * each k loads the panel's NR weights (NR/VW vectors) and broadcasts one a value per row:
 * MR + NR/VW loads for MR·NR/VW fused multiply-adds. Tiles: AVX-512 8 × 48 (24 zmm
 * accumulators), AVX2 + FMA 4 × 24 (12 ymm), generic 4 × 8 on 16-byte vectors (8 xmm; SSE2
 * on x86-64). The kernel is chosen when packing, by explicit CPU checks: GCC's
 * target_clones picks its "arch=" clones by CPU model, not by features, and a 32-byte
 * vector kernel built for baseline x86-64 ran 35x slower than the AVX-512 one.
 * Panels are the outer loop so one panel (K·NR floats, ~94 KB at K = 488) stays in L2
 * while every row block streams over it. A short last row block reads its last real row
 * again for the missing rows (no padding copy) and stores only the real ones; a short last
 * panel stores only the real outputs. Measured against OpenBLAS sgemm at M = 128,
 * N = 1464, K = 488, one thread each on both cores: 123 vs 107 GFLOP/s (AVX-512). */
#include "chemvae/nn/gemm_packed.h"

#include <string.h>

#define AVX512_MR 8
#define AVX512_NR 48
#define AVX2_MR 4
#define AVX2_NR 24
#define GENERIC_MR 4
#define GENERIC_NR 8

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_X86_KERNELS 1
#define AVX512_TARGET __attribute__((target("avx512f")))
#define AVX2_TARGET __attribute__((target("avx2,fma")))
#else
#define HAVE_X86_KERNELS 0
#endif
#if defined(__GNUC__) /* vector arguments never cross a non-inlined call here */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

size_t cv_nn_packed_floats(size_t N, size_t K) {
    size_t nr = AVX512_NR; /* a multiple of the other NRs: the largest padding */
    return (N + nr - 1) / nr * nr * K;
}

/* The best kernel this CPU runs that is not above `kind`'s. */
static NnPackKind pick_kernel(NnPackKind kind) {
#if HAVE_X86_KERNELS
    __builtin_cpu_init();
    int avx512 = __builtin_cpu_supports("avx512f");
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if ((kind == NN_PACK_AUTO || kind == NN_PACK_AVX512) && avx512) return NN_PACK_AVX512;
    if (kind != NN_PACK_GENERIC && avx2) return NN_PACK_AVX2;
#else
    (void)kind;
#endif
    return NN_PACK_GENERIC;
}

void cv_nn_pack_weights(NnPacked *p, float *storage, const float *w, size_t ldw, size_t N, size_t K,
                        NnPackKind kind) {
    p->kernel = pick_kernel(kind);
    p->nr = p->kernel == NN_PACK_AVX512 ? AVX512_NR
            : p->kernel == NN_PACK_AVX2 ? AVX2_NR
                                        : GENERIC_NR;
    p->data = storage;
    p->N = N;
    p->K = K;
    size_t nr = p->nr, panels = (N + nr - 1) / nr;
    for (size_t q = 0; q < panels; q++) {
        float *panel = storage + q * K * nr;
        for (size_t j = 0; j < nr; j++) {
            size_t n = q * nr + j;
            if (n < N)
                for (size_t k = 0; k < K; k++) panel[k * nr + j] = w[n * ldw + k];
            else
                for (size_t k = 0; k < K; k++) panel[k * nr + j] = 0.0f;
        }
    }
}

/* One MR × (NV·VW) tile: c rows [0, rows), outputs [0, cols). a points at the block's
 * first row; rows past `rows` re-read row rows-1. */
#define DEFINE_TILE(NAME, ATTR, VT, VW, MR, NV)                                                    \
    ATTR static void NAME(float *c, size_t ldc, const float *a, size_t lda, const float *panel,    \
                          size_t K, size_t rows, size_t cols) {                                    \
        enum { NR = (NV) * (VW) };                                                                 \
        size_t off[MR];                                                                            \
        for (size_t i = 0; i < (MR); i++) off[i] = (i < rows ? i : rows - 1) * lda;                \
        VT acc[MR][NV];                                                                            \
        for (int i = 0; i < (MR); i++)                                                             \
            for (int v = 0; v < (NV); v++) acc[i][v] = (VT){0};                                    \
        for (size_t k = 0; k < K; k++) {                                                           \
            VT b[NV];                                                                              \
            _Pragma("GCC unroll 8") for (int v = 0; v < (NV); v++)                                 \
                memcpy(&b[v], panel + k * NR + v * (VW), sizeof(VT));                              \
            _Pragma("GCC unroll 16") for (int i = 0; i < (MR); i++) {                              \
                float ai = a[off[i] + k];                                                          \
                _Pragma("GCC unroll 8") for (int v = 0; v < (NV); v++) acc[i][v] += ai * b[v];     \
            }                                                                                      \
        }                                                                                          \
        if (rows == (MR) && cols == NR) {                                                          \
            for (int i = 0; i < (MR); i++)                                                         \
                for (int v = 0; v < (NV); v++)                                                     \
                    memcpy(c + i * ldc + v * (VW), &acc[i][v], sizeof(VT));                        \
            return;                                                                                \
        }                                                                                          \
        float tile[MR][NR];                                                                        \
        for (int i = 0; i < (MR); i++)                                                             \
            for (int v = 0; v < (NV); v++) memcpy(&tile[i][v * (VW)], &acc[i][v], sizeof(VT));     \
        for (size_t i = 0; i < rows; i++) memcpy(c + i * ldc, tile[i], cols * sizeof(float));      \
    }

/* Every row block of every panel through one tile function. */
#define DEFINE_GEMM(NAME, ATTR, TILE, MR, NR)                                                      \
    ATTR static void NAME(float *c, size_t ldc, const float *a, size_t lda, const NnPacked *p,     \
                          size_t M) {                                                              \
        size_t N = p->N, K = p->K;                                                                 \
        for (size_t n0 = 0; n0 < N; n0 += (NR)) {                                                  \
            const float *panel = p->data + n0 / (NR)*K * (NR);                                     \
            size_t cols = N - n0 < (NR) ? N - n0 : (NR);                                           \
            for (size_t m0 = 0; m0 < M; m0 += (MR))                                                \
                TILE(c + m0 * ldc + n0, ldc, a + m0 * lda, lda, panel, K,                          \
                     M - m0 < (MR) ? M - m0 : (MR), cols);                                         \
        }                                                                                          \
    }

typedef float vf4 __attribute__((vector_size(4 * sizeof(float))));
DEFINE_TILE(tile_generic, inline __attribute__((always_inline)), vf4, 4, GENERIC_MR, GENERIC_NR / 4)
DEFINE_GEMM(gemm_generic, , tile_generic, GENERIC_MR, GENERIC_NR)

#if HAVE_X86_KERNELS
typedef float vf8 __attribute__((vector_size(8 * sizeof(float))));
DEFINE_TILE(tile_avx2, AVX2_TARGET, vf8, 8, AVX2_MR, AVX2_NR / 8)
DEFINE_GEMM(gemm_avx2, AVX2_TARGET, tile_avx2, AVX2_MR, AVX2_NR)
typedef float vf16 __attribute__((vector_size(16 * sizeof(float))));
DEFINE_TILE(tile_avx512, AVX512_TARGET, vf16, 16, AVX512_MR, AVX512_NR / 16)
DEFINE_GEMM(gemm_avx512, AVX512_TARGET, tile_avx512, AVX512_MR, AVX512_NR)
#endif

void cv_nn_gemm_packed(float *c, size_t ldc, const float *a, size_t lda, const NnPacked *p,
                       size_t M) {
    if (M == 0) return;
#if HAVE_X86_KERNELS
    if (p->kernel == NN_PACK_AVX512) {
        gemm_avx512(c, ldc, a, lda, p, M);
        return;
    }
    if (p->kernel == NN_PACK_AVX2) {
        gemm_avx2(c, ldc, a, lda, p, M);
        return;
    }
#endif
    gemm_generic(c, ldc, a, lda, p, M);
}
