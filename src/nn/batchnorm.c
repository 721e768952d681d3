/* batchnorm.c — per-channel batch normalization over the rows of an (N, C) matrix.
 *
 * Statistics are accumulated in double over the N rows, channel-innermost so the loops
 * stream the row-major matrix. Train forward caches xhat (N, C) and rstd (C); backward
 * uses the standard closed form
 *   dx = gamma·rstd/N · (N·dy − Σdy − xhat·Σ(dy⊙xhat))
 * which needs two per-channel sums and one pass. Running statistics follow PyTorch
 * (momentum weights the new batch; run_var takes the unbiased variance). */
#include "chemvae/nn/batchnorm.h"

#include <math.h>
#include <string.h>

void cv_batchnorm_forward_train(float *y, float *xhat, float *mean, float *rstd, float *run_mean,
                                float *run_var, const float *x, const float *gamma,
                                const float *beta, size_t N, size_t C, float momentum, float eps) {
    for (size_t c = 0; c < C; c++) {
        double s = 0.0, s2 = 0.0;
        for (size_t n = 0; n < N; n++) s += x[n * C + c];
        double mu = s / (double)N;
        for (size_t n = 0; n < N; n++) {
            double d = x[n * C + c] - mu;
            s2 += d * d;
        }
        double var = s2 / (double)N;
        float rs = (float)(1.0 / sqrt(var + eps));
        rstd[c] = rs;
        if (mean) mean[c] = (float)mu;
        if (run_mean && run_var && N > 1) {
            run_mean[c] = (1.0f - momentum) * run_mean[c] + momentum * (float)mu;
            run_var[c] = (1.0f - momentum) * run_var[c] + momentum * (float)(s2 / (double)(N - 1));
        }
        float m = (float)mu, g = gamma[c], bt = beta[c];
        for (size_t n = 0; n < N; n++) {
            float xh = (x[n * C + c] - m) * rs;
            xhat[n * C + c] = xh;
            y[n * C + c] = g * xh + bt;
        }
    }
}

void cv_batchnorm_forward_eval(float *y, const float *x, const float *gamma, const float *beta,
                               const float *run_mean, const float *run_var, size_t N, size_t C,
                               float eps) {
    for (size_t c = 0; c < C; c++) {
        float scale = gamma[c] / sqrtf(run_var[c] + eps);
        float shift = beta[c] - run_mean[c] * scale;
        for (size_t n = 0; n < N; n++) y[n * C + c] = x[n * C + c] * scale + shift;
    }
}

void cv_batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                           const float *xhat, const float *rstd, const float *gamma, size_t N,
                           size_t C) {
    for (size_t c = 0; c < C; c++) {
        double sdy = 0.0, sdyx = 0.0;
        for (size_t n = 0; n < N; n++) {
            sdy += dy[n * C + c];
            sdyx += (double)dy[n * C + c] * xhat[n * C + c];
        }
        if (dbeta) dbeta[c] += (float)sdy;
        if (dgamma) dgamma[c] += (float)sdyx;
        if (dx) {
            float k = gamma[c] * rstd[c] / (float)N;
            float mdy = (float)sdy, mdyx = (float)sdyx;
            for (size_t n = 0; n < N; n++)
                dx[n * C + c] += k * ((float)N * dy[n * C + c] - mdy - xhat[n * C + c] * mdyx);
        }
    }
}

void cv_batchnorm_forward_frozen(float *y, float *xhat, float *rstd, const float *x,
                                 const float *gamma, const float *beta, const float *run_mean,
                                 const float *run_var, size_t N, size_t C, float eps) {
    for (size_t c = 0; c < C; c++) rstd[c] = 1.0f / sqrtf(run_var[c] + eps);
    for (size_t n = 0; n < N; n++)
        for (size_t c = 0; c < C; c++) {
            float h = (x[n * C + c] - run_mean[c]) * rstd[c];
            xhat[n * C + c] = h;
            y[n * C + c] = gamma[c] * h + beta[c];
        }
}

void cv_batchnorm_backward_frozen(float *dx, float *dgamma, float *dbeta, const float *dy,
                                  const float *xhat, const float *rstd, const float *gamma,
                                  size_t N, size_t C) {
    for (size_t c = 0; c < C; c++) {
        double sdy = 0.0, sdyx = 0.0;
        float k = gamma[c] * rstd[c];
        for (size_t n = 0; n < N; n++) {
            sdy += dy[n * C + c];
            sdyx += (double)dy[n * C + c] * xhat[n * C + c];
            if (dx) dx[n * C + c] += k * dy[n * C + c];
        }
        if (dbeta) dbeta[c] += (float)sdy;
        if (dgamma) dgamma[c] += (float)sdyx;
    }
}

void cv_batchnorm_forward_train_dist(float *y, float *xhat, float *rstd, float *run_mean,
                                     float *run_var, const float *x, const float *gamma,
                                     const float *beta, size_t N, size_t C, float momentum,
                                     float eps, const CvDist *d, double *work) {
    if (cv_dist_size(d) < 2) {
        cv_batchnorm_forward_train(y, xhat, NULL, rstd, run_mean, run_var, x, gamma, beta, N, C,
                                   momentum, eps);
        return;
    }
    double *s = work, *s2 = work + C + 1; /* s[C] = the group's row count */
    for (size_t c = 0; c < 2 * C + 1; c++) work[c] = 0.0;
    for (size_t n = 0; n < N; n++)
        for (size_t c = 0; c < C; c++) s[c] += x[n * C + c];
    s[C] = (double)N;
    cv_dist_sum_d(d, s, C + 1);
    double Nt = s[C];
    for (size_t c = 0; c < C; c++) s[c] /= Nt; /* the mean */
    for (size_t n = 0; n < N; n++)
        for (size_t c = 0; c < C; c++) {
            double dv = x[n * C + c] - s[c];
            s2[c] += dv * dv;
        }
    cv_dist_sum_d(d, s2, C);
    for (size_t c = 0; c < C; c++) {
        rstd[c] = (float)(1.0 / sqrt(s2[c] / Nt + eps));
        if (run_mean && run_var && Nt > 1.0) {
            run_mean[c] = (1.0f - momentum) * run_mean[c] + momentum * (float)s[c];
            run_var[c] = (1.0f - momentum) * run_var[c] + momentum * (float)(s2[c] / (Nt - 1.0));
        }
    }
    for (size_t n = 0; n < N; n++)
        for (size_t c = 0; c < C; c++) {
            float xh = (x[n * C + c] - (float)s[c]) * rstd[c];
            xhat[n * C + c] = xh;
            y[n * C + c] = gamma[c] * xh + beta[c];
        }
}

void cv_batchnorm_backward_dist(float *dx, float *dgamma, float *dbeta, const float *dy,
                                const float *xhat, const float *rstd, const float *gamma, size_t N,
                                size_t C, const CvDist *d, double *work) {
    if (cv_dist_size(d) < 2) {
        cv_batchnorm_backward(dx, dgamma, dbeta, dy, xhat, rstd, gamma, N, C);
        return;
    }
    double *sdy = work, *sdyx = work + C; /* work[2C] = the group's row count */
    for (size_t c = 0; c < 2 * C; c++) work[c] = 0.0;
    for (size_t n = 0; n < N; n++)
        for (size_t c = 0; c < C; c++) {
            sdy[c] += dy[n * C + c];
            sdyx[c] += (double)dy[n * C + c] * xhat[n * C + c];
        }
    for (size_t c = 0; c < C; c++) {
        if (dbeta) dbeta[c] += (float)sdy[c];
        if (dgamma) dgamma[c] += (float)sdyx[c];
    }
    if (!dx) return;
    work[2 * C] = (double)N;
    cv_dist_sum_d(d, work, 2 * C + 1);
    float Nt = (float)work[2 * C];
    for (size_t n = 0; n < N; n++)
        for (size_t c = 0; c < C; c++) {
            float k = gamma[c] * rstd[c] / Nt;
            dx[n * C + c] +=
                k * (Nt * dy[n * C + c] - (float)sdy[c] - xhat[n * C + c] * (float)sdyx[c]);
        }
}
