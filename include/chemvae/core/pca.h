/* pca.h — principal component analysis of a small dense matrix, for 2-D pictures of the
 * latent space (chemvae report). N rows of D columns; D is small (latent size Z <= a few
 * hundred), N up to tens of thousands.
 *
 * Method: centre the columns, form the D×D covariance in double precision, take the top K
 * eigenvectors by power iteration with deflation (no LAPACK needed; K is 1..3 here), and
 * project. Deterministic: the start vectors are fixed, so the same input gives the same
 * picture (sign convention: each component's largest-magnitude loading is positive). */
#ifndef CHEMVAE_PCA_H
#define CHEMVAE_PCA_H

#include <stddef.h>

#include "chemvae/core/error.h"

/* x (N, D) row-major -> proj (N, K) row-major, overwritten; var (K), NULL-able, receives
 * the variance along each component and *total_var (NULL-able) the total variance, so
 * var[k] / *total_var is the explained share. Requires N >= 2, 1 <= K <= D; CV_ERR_INVALID
 * otherwise, CV_ERR_NOMEM on allocation failure. */
CvStatus cv_pca_project(const float *x, size_t N, size_t D, size_t K, double *proj, double *var,
                        double *total_var, CvError *err);

#endif
