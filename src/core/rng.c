/* rng.c — xoshiro256** (Blackman & Vigna) seeded through splitmix64, Box-Muller normals.
 * Chosen over rand()/random() because those have hidden global state and differ
 * between libcs; reproducibility across machines is a requirement (src/model/README.md
 * "Every epoch, resume, interruption"). */
#include "chemvae/core/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

void cv_rng_init(CvRng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0.0f;
}

uint64_t cv_rng_u64(CvRng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t cv_rng_below(CvRng *r, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = cv_rng_u64(r);
    while (x >= limit);
    return x % n;
}

float cv_rng_uniform(CvRng *r) {
    return (float)(cv_rng_u64(r) >> 40) * (1.0f / 16777216.0f);
}

float cv_rng_normal(CvRng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1, u2;
    do u1 = (double)(cv_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    while (u1 <= 0.0);
    u2 = (double)(cv_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    double rad = sqrt(-2.0 * log(u1));
    r->spare = (float)(rad * sin(2.0 * M_PI * u2));
    r->has_spare = 1;
    return (float)(rad * cos(2.0 * M_PI * u2));
}

void cv_rng_fill_normal(CvRng *r, float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = cv_rng_normal(r);
}

void cv_rng_shuffle_u32(CvRng *r, uint32_t *idx, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)cv_rng_below(r, i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
