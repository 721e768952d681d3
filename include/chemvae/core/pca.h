/* pca.h — principal component analysis of a small dense matrix, for 2-D pictures of the
 * latent space (chemvae report). N rows of D columns; D is small (latent size Z <= a few
 * hundred), N up to tens of thousands.
 *
 * Method: centre the columns, form the D×D covariance in double precision, take the top K
 * eigenvectors by power iteration with deflation (no LAPACK needed; K is 1..3 here), and
 * project. Deterministic: the start vectors are fixed, so the same input gives the same
 * picture (sign convention: each component's largest-magnitude loading is positive).
 *
 * A fit (cv_pca_fit) keeps the column means and the components, so further rows (points
 * that did not define the picture, e.g. sampled latent vectors drawn over a map of encoded
 * molecules) are projected onto the same axes by cv_pca_apply. */
#ifndef CHEMVAE_PCA_H
#define CHEMVAE_PCA_H

#include <stddef.h>

#include "chemvae/core/error.h"

/* A fitted projection. Owns mean, comp and var; zero-initialize, free with cv_pca_free (safe on
 * a zeroed or half-built one). */
typedef struct {
    size_t D, K;
    double *mean;     /* (D) column means of the rows fitted */
    double *comp;     /* (K, D) unit components, the largest variance first */
    double *var;      /* (K) variance along each component */
    double total_var; /* total variance of the rows fitted (trace of the covariance) */
} CvPca;

/* Fits K components to x (N, D) row-major. Requires N >= 2, 1 <= K <= D; CV_ERR_INVALID
 * otherwise, CV_ERR_NOMEM on allocation failure (*p is then safe to free). */
CvStatus cv_pca_fit(const float *x, size_t N, size_t D, size_t K, CvPca *p, CvError *err);

/* x (N, p->D) row-major -> proj (N, p->K) row-major: (x - mean) · comp^T. */
void cv_pca_apply(const CvPca *p, const float *x, size_t N, double *proj);

void cv_pca_free(CvPca *p);

/* Fit and apply in one call: x (N, D) row-major -> proj (N, K) row-major, overwritten; var
 * (K), NULL-able, receives the variance along each component and *total_var (NULL-able)
 * the total variance, so var[k] / *total_var is the explained share. Requires N >= 2,
 * 1 <= K <= D; CV_ERR_INVALID otherwise, CV_ERR_NOMEM on allocation failure. */
CvStatus cv_pca_project(const float *x, size_t N, size_t D, size_t K, double *proj, double *var,
                        double *total_var, CvError *err);

#endif
