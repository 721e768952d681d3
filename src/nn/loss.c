/* loss.c — masked softmax cross-entropy, Gaussian KL to N(0, I), weighted MSE.
 * Forwards return double sums (accumulated in double) and backwards add scale × the
 * gradient of that sum, so the model decides means and loss weights in one place.
 * Softmax is max-subtracted; −log p uses log-sum-exp rather than log(probs) so a
 * vanishing probability gives a large finite loss, not −log 0. */
#include "chemvae/nn/loss.h"

#include <math.h>

double cv_loss_ce_forward(float *probs, float *row_loss, const float *logits, const int32_t *target,
                          const float *mask, size_t N, size_t V) {
    double total = 0.0;
    for (size_t n = 0; n < N; n++) {
        const float *z = logits + n * V;
        float *p = probs + n * V;
        float mx = z[0];
        for (size_t v = 1; v < V; v++)
            if (z[v] > mx) mx = z[v];
        double s = 0.0;
        for (size_t v = 0; v < V; v++) {
            p[v] = expf(z[v] - mx);
            s += p[v];
        }
        float inv = (float)(1.0 / s);
        for (size_t v = 0; v < V; v++) p[v] *= inv;
        double nll = log(s) - (double)(z[target[n]] - mx);
        if (row_loss) row_loss[n] = (float)nll;
        total += (mask ? mask[n] : 1.0) * nll;
    }
    return total;
}

void cv_loss_ce_backward(float *dlogits, const float *probs, const int32_t *target,
                         const float *mask, size_t N, size_t V, float scale) {
    for (size_t n = 0; n < N; n++) {
        float k = scale * (mask ? mask[n] : 1.0f);
        if (k == 0.0f) continue;
        float *d = dlogits + n * V;
        const float *p = probs + n * V;
        for (size_t v = 0; v < V; v++) d[v] += k * p[v];
        d[target[n]] -= k;
    }
}

double cv_loss_kl_forward(const float *mu, const float *logvar, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += -0.5 * (1.0 + logvar[i] - (double)mu[i] * mu[i] - exp((double)logvar[i]));
    return s;
}

void cv_loss_kl_backward(float *dmu, float *dlogvar, const float *mu, const float *logvar, size_t n,
                         float scale) {
    for (size_t i = 0; i < n; i++) {
        if (dmu) dmu[i] += scale * mu[i];
        if (dlogvar) dlogvar[i] += scale * 0.5f * (expf(logvar[i]) - 1.0f);
    }
}

double cv_loss_mse_forward(const float *pred, const float *target, const float *weight, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - target[i];
        s += (weight ? weight[i] : 1.0) * d * d;
    }
    return s;
}

void cv_loss_mse_backward(float *dpred, const float *pred, const float *target, const float *weight,
                          size_t n, float scale) {
    for (size_t i = 0; i < n; i++)
        dpred[i] += scale * 2.0f * (weight ? weight[i] : 1.0f) * (pred[i] - target[i]);
}
