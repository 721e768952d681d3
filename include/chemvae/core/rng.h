/* rng.h — seeded, reproducible random numbers (xoshiro256**), no global state.
 * The same seed gives the same stream on every machine. Each consumer owns a CvRng;
 * split streams with cv_rng_init(&r, seed ^ stream_id). */
#ifndef CHEMVAE_RNG_H
#define CHEMVAE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
    int has_spare; /* Box-Muller produces normals in pairs */
    float spare;
} CvRng;

/* Seeds the generator (splitmix64 expansion of `seed`). */
void cv_rng_init(CvRng *r, uint64_t seed);
/* Uniform 64-bit integer. */
uint64_t cv_rng_u64(CvRng *r);
/* Uniform in [0, n); n > 0. Unbiased (rejection). */
uint64_t cv_rng_below(CvRng *r, uint64_t n);
/* Uniform float in [0, 1). */
float cv_rng_uniform(CvRng *r);
/* Standard normal float. */
float cv_rng_normal(CvRng *r);
/* Fills x[0..n) with standard normals. */
void cv_rng_fill_normal(CvRng *r, float *x, size_t n);
/* Fisher-Yates shuffle of idx[0..n). */
void cv_rng_shuffle_u32(CvRng *r, uint32_t *idx, size_t n);

#endif
