/* pca.c — PCA by power iteration on the covariance matrix (see pca.h).
 *
 * Memory: the D×D covariance, the column means and one D vector per component, all double.
 * Cost: N·D² for the covariance plus iters·K·D² for the eigenvectors: for Z = 196 and N =
 * 2000 that is about 80 M multiply-adds, a few tens of milliseconds. Why not LAPACK's syevd:
 * it would add a dependency for two eigenvectors of a small, well-separated spectrum. */
#include "chemvae/core/pca.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PCA_MAX_ITERS 1000
#define PCA_TOL 1e-12

/* Column means of x into mean (D) and the covariance (N - 1 denominator) into cov (D, D),
 * both zeroed by the caller; returns the trace. tmp: D doubles of scratch. */
static double covariance(const float *x, size_t N, size_t D, double *mean, double *cov,
                         double *tmp) {
    for (size_t i = 0; i < N; i++)
        for (size_t d = 0; d < D; d++) mean[d] += x[i * D + d];
    for (size_t d = 0; d < D; d++) mean[d] /= (double)N;
    for (size_t i = 0; i < N; i++) {
        for (size_t d = 0; d < D; d++) tmp[d] = x[i * D + d] - mean[d];
        for (size_t a = 0; a < D; a++)
            for (size_t b = a; b < D; b++) cov[a * D + b] += tmp[a] * tmp[b];
    }
    double trace = 0;
    for (size_t a = 0; a < D; a++)
        for (size_t b = a; b < D; b++) {
            cov[a * D + b] /= (double)(N - 1);
            cov[b * D + a] = cov[a * D + b];
            if (a == b) trace += cov[a * D + a];
        }
    return trace;
}

/* v -= (v · u_j) u_j for the k unit vectors u_j of vec. */
static void deflate(double *v, const double *vec, size_t k, size_t D) {
    for (size_t j = 0; j < k; j++) {
        double dot = 0;
        for (size_t d = 0; d < D; d++) dot += v[d] * vec[j * D + d];
        for (size_t d = 0; d < D; d++) v[d] -= dot * vec[j * D + d];
    }
}

/* Component k into vec + k·D (orthogonal to the k before it, unit length, its largest
 * loading positive); returns its eigenvalue. tmp: D doubles of scratch. */
static double component(const double *cov, size_t D, size_t k, double *vec, double *tmp) {
    double *v = vec + k * D, lambda = 0;
    for (size_t d = 0; d < D; d++) v[d] = 1.0 + 0.01 * (double)((d * 7 + k * 3) % 11);
    for (int it = 0; it < PCA_MAX_ITERS; it++) {
        /* Gram-Schmidt against earlier components, then one multiplication */
        deflate(v, vec, k, D);
        double norm = 0;
        for (size_t d = 0; d < D; d++) norm += v[d] * v[d];
        norm = sqrt(norm);
        if (norm == 0) break;
        for (size_t d = 0; d < D; d++) v[d] /= norm;
        for (size_t a = 0; a < D; a++) {
            double s = 0;
            for (size_t b = 0; b < D; b++) s += cov[a * D + b] * v[b];
            tmp[a] = s;
        }
        double l = 0;
        for (size_t d = 0; d < D; d++) l += tmp[d] * v[d];
        memcpy(v, tmp, D * sizeof *v);
        double diff = fabs(l - lambda);
        lambda = l;
        if (it > 2 && diff <= PCA_TOL * (fabs(l) + PCA_TOL)) break;
    }
    deflate(v, vec, k, D);
    double norm = 0, big = 0;
    for (size_t d = 0; d < D; d++) {
        norm += v[d] * v[d];
        if (fabs(v[d]) > fabs(big)) big = v[d];
    }
    norm = sqrt(norm);
    for (size_t d = 0; d < D; d++) v[d] = norm > 0 ? v[d] / norm * (big < 0 ? -1 : 1) : 0;
    return lambda;
}

CvStatus cv_pca_fit(const float *x, size_t N, size_t D, size_t K, CvPca *p, CvError *err) {
    memset(p, 0, sizeof *p);
    if (N < 2 || K < 1 || K > D)
        return cv_error_set(err, CV_ERR_INVALID,
                            "pca: need at least 2 rows and 1 <= K <= D (N=%zu, D=%zu, K=%zu)", N, D,
                            K);
    double *cov = calloc(D * D, sizeof *cov), *tmp = calloc(D, sizeof *tmp);
    p->D = D, p->K = K;
    p->mean = calloc(D, sizeof *p->mean);
    p->comp = calloc(K * D, sizeof *p->comp);
    p->var = calloc(K, sizeof *p->var);
    CvStatus st = CV_OK;
    if (!cov || !tmp || !p->mean || !p->comp || !p->var) {
        st = cv_error_set(err, CV_ERR_NOMEM, "pca: out of memory (D=%zu)", D);
    } else {
        p->total_var = covariance(x, N, D, p->mean, cov, tmp);
        for (size_t k = 0; k < K; k++) p->var[k] = component(cov, D, k, p->comp, tmp);
    }
    free(cov);
    free(tmp);
    return st;
}

void cv_pca_apply(const CvPca *p, const float *x, size_t N, double *proj) {
    size_t D = p->D, K = p->K;
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < K; k++) {
            double s = 0;
            for (size_t d = 0; d < D; d++) s += (x[i * D + d] - p->mean[d]) * p->comp[k * D + d];
            proj[i * K + k] = s;
        }
}

void cv_pca_free(CvPca *p) {
    free(p->mean);
    free(p->comp);
    free(p->var);
    memset(p, 0, sizeof *p);
}

CvStatus cv_pca_project(const float *x, size_t N, size_t D, size_t K, double *proj, double *var,
                        double *total_var, CvError *err) {
    CvPca p;
    CvStatus st = cv_pca_fit(x, N, D, K, &p, err);
    if (!st) {
        cv_pca_apply(&p, x, N, proj);
        if (var) memcpy(var, p.var, K * sizeof *var);
        if (total_var) *total_var = p.total_var;
    }
    cv_pca_free(&p);
    return st;
}
