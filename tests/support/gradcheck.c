/* gradcheck.c — central-difference gradient checker (see gradcheck.h).
 * Each element costs two forward calls, so callers keep shapes tiny. Double accumulation
 * of Σ r ⊙ y keeps the difference of two nearly equal losses meaningful in float32. */
#include "gradcheck.h"

#include <math.h>
#include <stdio.h>

#include "chemvae/core/rng.h"

double gc_dot(const float *r, const float *y, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)r[i] * y[i];
    return s;
}

void gc_fill_uniform(float *x, size_t n, float a, unsigned long long seed) {
    CvRng rng;
    cv_rng_init(&rng, seed);
    for (size_t i = 0; i < n; i++) x[i] = (2.0f * cv_rng_uniform(&rng) - 1.0f) * a;
}

float gc_max_abs_diff(const float *a, const float *b, size_t n) {
    float m = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(a[i] - b[i]);
        if (!(d <= m)) m = d; /* NaN propagates */
    }
    return m;
}

double gradcheck(GcForwardFn fwd, void *ctx, float *y, size_t ny, const float *r,
                 const GcInput *inputs, size_t n_inputs, const GcOptions *opt) {
    float eps = opt && opt->eps > 0 ? opt->eps : 1e-2f;
    double floor_ = opt && opt->floor > 0 ? opt->floor : 1e-2;
    double worst = 0.0;
    for (size_t k = 0; k < n_inputs; k++) {
        const GcInput *in = &inputs[k];
        double worst_in = 0.0;
        size_t worst_i = 0;
        double worst_fd = 0.0;
        for (size_t i = 0; i < in->n; i++) {
            float saved = in->x[i];
            in->x[i] = saved + eps;
            fwd(ctx, y);
            double lp = gc_dot(r, y, ny);
            in->x[i] = saved - eps;
            fwd(ctx, y);
            double lm = gc_dot(r, y, ny);
            in->x[i] = saved;
            double fd = (lp - lm) / (2.0 * (double)eps);
            double a = in->g[i];
            double den = fmax(fmax(fabs(a), fabs(fd)), floor_);
            double e = fabs(a - fd) / den;
            if (!(e <= worst_in)) {
                worst_in = e;
                worst_i = i;
                worst_fd = fd;
            }
        }
        if (opt && opt->verbose)
            fprintf(stderr,
                    "gradcheck %-12s n=%-5zu max rel err %.2e (at %zu: analytic %.6g fd %.6g)\n",
                    in->name, in->n, worst_in, worst_i, in->n ? in->g[worst_i] : 0.0, worst_fd);
        if (!(worst_in <= worst)) worst = worst_in;
    }
    fwd(ctx, y); /* leave y consistent with the restored inputs */
    return worst;
}
