/* gradcheck.h — finite-difference gradient checker for the nn ops and the model.
 *
 * The scalar checked is loss = Σ_i r_i · y_i with a fixed random r, accumulated in double.
 * For every element x_k of every listed input, the central difference
 *   (loss(x_k + ε) − loss(x_k − ε)) / 2ε       (ε ≈ 1e-2 in float32)
 * is compared with the analytic gradient g_k the caller computed with dy = r. The error
 * of one element is |g − fd| / max(|g|, |fd|, floor); the checker returns the maximum
 * over all elements (and reports the worst one). Callers assert it is < 1e-2.
 * Inputs are perturbed in place and restored bit-exactly. */
#ifndef CHEMVAE_TEST_GRADCHECK_H
#define CHEMVAE_TEST_GRADCHECK_H

#include <stddef.h>

/* Recomputes y (ny) from the current inputs (reachable through ctx). */
typedef void (*GcForwardFn)(void *ctx, float *y);

typedef struct {
    const char *name; /* for the report */
    float *x;         /* (n) input, perturbed in place */
    const float *g;   /* (n) analytic ∂loss/∂x */
    size_t n;
} GcInput;

typedef struct {
    float eps;   /* default 1e-2 */
    float floor; /* denominator floor, default 1e-2 */
    int verbose; /* print per-input maxima to stderr */
} GcOptions;

/* Max relative error over all inputs; `y` (ny) is scratch for forward outputs; r (ny).
 * opt may be NULL for the defaults. */
double gradcheck(GcForwardFn fwd, void *ctx, float *y, size_t ny, const float *r,
                 const GcInput *inputs, size_t n_inputs, const GcOptions *opt);

/* Σ r ⊙ y in double. */
double gc_dot(const float *r, const float *y, size_t n);

/* Fills x (n) with uniform(−a, a) from a small seeded generator (test data). */
void gc_fill_uniform(float *x, size_t n, float a, unsigned long long seed);

/* Max |a − b| over n elements. */
float gc_max_abs_diff(const float *a, const float *b, size_t n);

#endif
