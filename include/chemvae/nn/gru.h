/* gru.h — multi-layer GRU over time-major sequences, PyTorch's exact equations.
 *
 * Dimension letters: L layers, B batch, T steps, I input size, H hidden size,
 * D per-sequence constant size and V vocabulary (token mode, I = D + V).
 * Per layer l (input x_t of size I_l; I_0 = I, I_l = H for l > 0), gate order r, z, n:
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)
 *   z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 * Weights exactly as torch.nn.GRU's state_dict: weight_ih_l{l} (3H, I_l),
 * weight_hh_l{l} (3H, H), bias_ih_l{l} (3H), bias_hh_l{l} (3H), rows [r; z; n], so
 * reference weights load without permutation.
 *
 * Two input modes:
 *  - dense: x (T, B, I) time-major;
 *  - token (the decoder, src/model/README.md "Architecture"):
 *    x_t = [c ; onehot(tok_t)] where c (B, D) is constant
 *    over t and tok (T, B) is the token FED at step t (the caller shifts: tok_0 = start
 *    token, tok_t = y_{t−1}). W_ih[0] is (3H, D + V) with the c-columns first. The c-part
 *    is projected once per sequence (one sgemm) and the one-hot part is a column gather
 *    of W_ih[0]: no per-step product and no materialized one-hot.
 *    With const_all (chemical_vae's decoder: the latent reaches every layer, the previous
 *    token only the last) layer l's input is [h_{l−1} (l > 0) ; c ; onehot(tok) (l = L−1)],
 *    columns in that order: W_ih[0] is (3H, D) (D + V when L = 1), the middle layers'
 *    (3H, H + D), the last (3H, H + D + V). cv_gru_layer_input gives I_l in either mode.
 *
 * Fast path: the input projections of all T steps in one sgemm per layer before the time
 * loop, one recurrent sgemm per step, and after the backward time loop one sgemm per
 * weight matrix for its gradient. The _naive twins are plain loops over the same caches
 * (the executable spec). All buffers are allocated by cv_gru_init for cfg.max_B, cfg.max_T;
 * forward, backward and inference allocate nothing.
 *
 * Memory layout (time-major, indexed t·B·H for the B, T of the last forward):
 *   h[l]     (T+1, B, H) states, h[l][0] = h0 of layer l
 *   gates[l] (T, B, 3H)  r, z, n after their nonlinearity
 *   hn[l]    (T, B, H)   W_hn h_{t−1} + b_hn (needed for ∂r)
 * Backward ACCUMULATES (+=) into every gradient; NULL = not wanted (dw itself or any of
 * its members, dx, dc, dh0). It must follow a forward of the same mode, B, T and weights. */
#ifndef CHEMVAE_GRU_H
#define CHEMVAE_GRU_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/core/error.h"
#include "chemvae/nn/gemm_packed.h"
#include "chemvae/nn/params.h"

#define GRU_MAX_LAYERS 4

typedef struct {
    size_t layers;    /* L, 1..GRU_MAX_LAYERS */
    size_t input;     /* I; in token mode must equal const_dim + vocab */
    size_t hidden;    /* H */
    size_t const_dim; /* D (token mode) */
    size_t vocab;     /* V (token mode); 0 = dense mode only */
    size_t max_B, max_T;
    int const_all; /* token mode: c enters every layer, the token only the last */
} GruConfig;

/* Input width I_l of layer l (the columns of W_ih[l]) under cfg's mode. */
size_t cv_gru_layer_input(const GruConfig *cfg, size_t l);

/* Views of one GRU's weights (or of their gradients) — pointers into an NnParams table. */
typedef struct {
    float *w_ih[GRU_MAX_LAYERS]; /* (3H, I_l) */
    float *w_hh[GRU_MAX_LAYERS]; /* (3H, H) */
    float *b_ih[GRU_MAX_LAYERS]; /* (3H) */
    float *b_hh[GRU_MAX_LAYERS]; /* (3H) */
} GruWeights;

typedef struct {
    GruConfig cfg;
    size_t B, T;                  /* shapes of the last forward */
    float *h[GRU_MAX_LAYERS];     /* (T+1, B, H) */
    float *gates[GRU_MAX_LAYERS]; /* (T, B, 3H) r, z, n */
    float *hn[GRU_MAX_LAYERS];    /* (T, B, H) */
    float *wtok;                  /* (V, 3H) one-hot block of the token layer's w_ih, transposed */
    float *cproj;                 /* (L, B, 3H) c W_cᵀ of each layer c enters (token mode) */
    float *ones;                  /* (max_T·max_B) 1.0, for bias gradients by sgemv */
    float *whh_t;                 /* (L, H, 3H) W_hhᵀ per layer (forward / infer_begin) */
    float *wih_t;                 /* (max I_l, 3H) W_ihᵀ of the layer being projected */
    float *dgx;                   /* (T, B, 3H) ∂ wrt W_ih x + b_ih of one layer */
    float *dgh;                   /* (T, B, 3H) ∂ wrt W_hh h + b_hh of one layer */
    float *dseq;                  /* (T, B, H) ∂ wrt a layer's output sequence */
    float *dh;                    /* (B, H) ∂ wrt the current state */
    float *dsum;                  /* (B, 3H) Σ_t dgx (token mode) */
    float *dwtok;                 /* (V, 3H) ∂ wrt wtok (token mode) */
    float *state;                 /* (L, B, H) inference state */
    float *sx, *sh;               /* (B, 3H) inference scratch */
    size_t infer_B;               /* batch of the current inference */
    float *packed_store;          /* (2L, cv_nn_packed_floats(3H, H)) packed inference weights */
    NnPacked whh_p[GRU_MAX_LAYERS], wih_p[GRU_MAX_LAYERS]; /* W_hh[l], W_ih[l] (l >= 1) */
    NnPackKind pack_kind; /* kernel for inference (AUTO after cv_gru_init; tests vary) */
} Gru;

/* Allocates all caches for cfg->max_B, cfg->max_T. CV_ERR_INVALID on a bad config
 * (layers out of range, zero sizes, input != const_dim + vocab in token mode),
 * CV_ERR_NOMEM. `g` is freeable afterwards in every case. */
CvStatus cv_gru_init(Gru *g, const GruConfig *cfg, CvError *err);
/* Frees all buffers; safe on a zeroed or half-built Gru. */
void cv_gru_free(Gru *g);

/* Registers the weights in `p` under PyTorch state_dict names
 * "<prefix>.weight_ih_l0", "<prefix>.weight_hh_l0", "<prefix>.bias_ih_l0",
 * "<prefix>.bias_hh_l0", then l1 ...: 4 consecutive ids per layer from *first_id. */
CvStatus cv_gru_params_add(NnParams *p, const char *prefix, const GruConfig *cfg, size_t *first_id,
                           CvError *err);
/* Fills w with data views and dw (may be NULL) with grad views of the tensors registered
 * by cv_gru_params_add (the table must be allocated). */
void cv_gru_params_bind(GruWeights *w, GruWeights *dw, const NnParams *p, size_t first_id,
                        size_t layers);

/* Dense-mode forward: x (T, B, I); h0 (L, B, H) or NULL for zeros. B <= max_B,
 * 1 <= T <= max_T. Output: cv_gru_output(). */
void cv_gru_forward(Gru *g, const GruWeights *w, const float *x, const float *h0, size_t B,
                    size_t T);
/* Token-mode forward: c (B, D), tok (T, B) ids in [0, V); h0 as above. */
void cv_gru_forward_tokens(Gru *g, const GruWeights *w, const float *c, const int32_t *tok,
                           const float *h0, size_t B, size_t T);

/* Top-layer outputs h_1..h_T of the last forward: (T, B, H), owned by g. */
const float *cv_gru_output(const Gru *g);

/* Dense-mode backward from dout (T, B, H) = ∂loss/∂cv_gru_output():
 * dw += ∂/∂weights, dx (T, B, I) += ∂/∂x, dh0 (L, B, H) += ∂/∂h0. */
void cv_gru_backward(Gru *g, const GruWeights *w, GruWeights *dw, const float *x, const float *dout,
                     float *dx, float *dh0);
/* Token-mode backward: dc (B, D) += ∂/∂c; the rest as above. */
void cv_gru_backward_tokens(Gru *g, const GruWeights *w, GruWeights *dw, const float *c,
                            const int32_t *tok, const float *dout, float *dc, float *dh0);

/* Plain-loop twins of the four calls above (same caches, same contracts). */
void cv_gru_forward_naive(Gru *g, const GruWeights *w, const float *x, const float *h0, size_t B,
                          size_t T);
void cv_gru_forward_tokens_naive(Gru *g, const GruWeights *w, const float *c, const int32_t *tok,
                                 const float *h0, size_t B, size_t T);
void cv_gru_backward_naive(Gru *g, const GruWeights *w, GruWeights *dw, const float *x,
                           const float *dout, float *dx, float *dh0);
void cv_gru_backward_tokens_naive(Gru *g, const GruWeights *w, GruWeights *dw, const float *c,
                                  const int32_t *tok, const float *dout, float *dc, float *dh0);

/* Batched inference keeping only the last state (L, B, H): for greedy / temperature
 * decoding of many z at once, one token at a time. begin sets the state to h0 (L, B, H)
 * or zeros and, in token mode, projects c (B, D) once (c is ignored in dense mode).
 * Each step advances all B sequences by one step with input x (B, I) (dense mode) or
 * tok (B) (token mode) and returns the top-layer state (B, H), owned by g and valid
 * until the next call. begin takes what it needs from the weights (packed copies, the c
 * projection): they must not change until the last step of that run. Does not touch
 * what a pending backward needs. B <= max_B. */
void cv_gru_infer_begin(Gru *g, const GruWeights *w, const float *c, const float *h0, size_t B);
const float *cv_gru_infer_step(Gru *g, const GruWeights *w, const float *x);
const float *cv_gru_infer_step_tokens(Gru *g, const GruWeights *w, const int32_t *tok);
/* One token-mode step of rows [b0, b1) only (b0 < b1 <= B; tok indexed by row, as above):
 * returns the top-layer state of row b0 (rows b0..b1-1 follow, stride H). Calls on
 * disjoint row ranges touch disjoint memory and may run in parallel threads, provided
 * the BLAS is single-threaded meanwhile (see cv_nn_parallel_rows). */
const float *cv_gru_infer_step_tokens_rows(Gru *g, const GruWeights *w, const int32_t *tok,
                                           size_t b0, size_t b1);
/* Exchanges rows i and j (< B) of the inference state in every layer (and of the c
 * projection in token mode): lets a decoder keep its unfinished sequences in a prefix. */
void cv_gru_infer_swap_rows(Gru *g, size_t i, size_t j);
/* Row i of the inference state (every layer) becomes the old row src[i], for i < n
 * (n <= B, src[i] < n): a beam search continues each kept hypothesis from its parent's
 * state. The c projection is left alone (beams of one sequence share it). scratch holds
 * n·H floats. */
void cv_gru_infer_gather_rows(Gru *g, const int32_t *src, size_t n, float *scratch);
/* Current inference state (L, B, H), e.g. to read lower layers. */
const float *cv_gru_infer_state(const Gru *g);

#endif
