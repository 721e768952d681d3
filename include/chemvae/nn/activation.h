/* activation.h — element-wise tanh and logistic sigmoid.
 *
 * Forward OVERWRITES y (y == x allowed, in place). Backward ACCUMULATES into dx using
 * the forward OUTPUT y (tanh' = 1 − y², σ' = y(1 − y)); dx == dy is NOT allowed. */
#ifndef CHEMVAE_ACTIVATION_H
#define CHEMVAE_ACTIVATION_H

#include <stddef.h>

void cv_act_tanh_forward(float *y, const float *x, size_t n);
void cv_act_tanh_backward(float *dx, const float *dy, const float *y, size_t n);
void cv_act_sigmoid_forward(float *y, const float *x, size_t n);
void cv_act_sigmoid_backward(float *dx, const float *dy, const float *y, size_t n);

#endif
