/* adam.c — Adam / AdamW with global gradient-norm clipping over a flat parameter array.
 * The clip factor is folded into the update (gscale) instead of rewriting the gradient,
 * so one pass reads g, m, v, w once. Bias corrections are computed in double once per
 * step. Alignment gaps of an NnParams table have zero gradient and zero weight and stay
 * zero (m = v = 0, update 0/(0+eps) = 0, decay of 0 is 0). */
#include "chemvae/nn/adam.h"

#include <math.h>

AdamConfig cv_adam_default_config(void) {
    AdamConfig c = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f};
    return c;
}

double cv_adam_grad_norm(const float *g, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * g[i];
    return sqrt(s);
}

void cv_adam_update(float *w, float *m, float *v, const float *g, size_t n, float gscale,
                    const AdamConfig *cfg, long t) {
    float b1 = cfg->beta1, b2 = cfg->beta2;
    float c1 = (float)(1.0 / (1.0 - pow(b1, (double)t)));
    float c2 = (float)(1.0 / (1.0 - pow(b2, (double)t)));
    float lr = cfg->lr, eps = cfg->eps, wd = cfg->lr * cfg->weight_decay;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * gscale;
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        w[i] -= lr * (m[i] * c1) / (sqrtf(v[i] * c2) + eps) + wd * w[i];
    }
}

double cv_adam_step(NnParams *p, const AdamConfig *cfg, long t) {
    double norm = cv_adam_grad_norm(p->grad, p->total);
    if (!isfinite(norm)) return norm;
    float gscale = 1.0f;
    if (cfg->clip_norm > 0.0f && norm > cfg->clip_norm) gscale = (float)(cfg->clip_norm / norm);
    cv_adam_update(p->data, p->m, p->v, p->grad, p->total, gscale, cfg, t);
    return norm;
}
