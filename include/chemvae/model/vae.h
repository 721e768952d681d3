/* vae.h — the chemvae variational autoencoder (src/model/README.md "Architecture"): assembly,
 * loss, forward and backward of a whole training batch, encoding, batched decoding, and the
 * property head.
 *
 * Dimension letters: B batch, T max tokens per molecule (including <end>), V vocabulary,
 * Lk length after conv k, Ck channels of conv k, D encoder dense width, Z latent size,
 * E decoder dense width (the GRU's per-sequence input), H GRU hidden size, P properties.
 *
 * Architecture:
 *   ids (B, T) -> one-hot x (B, T, V) -> [Conv1d(Ck, Kk) -> BatchNorm -> tanh]×n_conv
 *   -> flatten (B, Ln·Cn) -> Dense(D) -> BatchNorm -> tanh -> mu, logvar = Dense(Z) each
 *   (BN before tanh: see vae.c for why)
 *   z = mu + exp(logvar/2) ⊙ eps (eps given; eps = NULL means z = mu)
 *   hz = tanh(Dense(E)(z)); GRU×layers(H) in token mode on x_t = [hz ; onehot(tok_t)],
 *   tok_0 = <start>, tok_t = ids[t-1]; logits = Dense(V)(h_t) -> softmax
 *   property head on mu: [Dense(hidden_i) -> tanh]×n_prop -> Dense(P), z-scored targets.
 * Loss per batch (all terms are per-molecule means over B):
 *   recon = Σ_t CE(t) over positions up to and including <end>, padding masked,
 *   kl = KL(q(z|x) ‖ N(0, I)) summed over Z, prop = Σ_p w_p (pred_p − target_p)² / P,
 *   loss = recon + beta·kl + prop_weight·prop.
 *
 * Memory: one NnParams table for all trainable weights (+ grads + Adam moments), one for
 * batchnorm running statistics; every activation buffer is allocated by cv_vae_init for
 * max_B and T; cv_vae_train_step, cv_vae_encode, vae_decode_* allocate nothing. The decoder runs
 * only max(length) steps of each batch (later positions are all padding).
 * Tensor names follow "enc.conv0.w", "dec.gru.weight_ih_l0", "prop.fc0.w" (see vae.c). */
#ifndef CHEMVAE_VAE_H
#define CHEMVAE_VAE_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/core/error.h"
#include "chemvae/nn/dist.h"
#include "chemvae/nn/gru.h"
#include "chemvae/nn/params.h"
#include "chemvae/core/rng.h"
#include "chemvae/data/smiles_grammar.h"

#define VAE_MAX_CONV 4
#define VAE_MAX_PROP 4
/* Upper limits cv_vae_config_validate enforces before anything is allocated (from the CLI or
 * a checkpoint header): every size, and the parameter count (VAE_MAX_PARAMS floats = 1 GiB
 * of weights, 4 GiB with gradients and Adam's moments). */
#define VAE_MAX_T 4096
#define VAE_MAX_V 65535
#define VAE_MAX_WIDTH 16384 /* Z, enc_dense, dec_dense, H, conv channels, head widths */
#define VAE_MAX_PARAMS (1L << 28)
#define VAE_TOK_PAD 0
#define VAE_TOK_START 1
#define VAE_TOK_END 2

typedef struct {
    int T, V, P;
    int n_conv;
    int conv_ch[VAE_MAX_CONV], conv_k[VAE_MAX_CONV];
    int enc_dense; /* D */
    int Z;
    int dec_dense; /* E */
    int gru_layers;
    int H;
    int n_prop;
    int prop_hidden[VAE_MAX_PROP];
    int dec_z_all; /* decoder after chemical_vae: h_z enters every GRU layer and the previous
                      token only the last (GruConfig.const_all); 0 = both enter the first */
} VaeConfig;

/* Number of trainable parameters of a config (as double: no overflow on absurd sizes). */
double cv_vae_config_param_count(const VaeConfig *cfg);

/* Fills `cfg` from a preset ("paper", "small", "tiny") for sequences of T tokens, a
 * vocabulary of V and P properties. CV_ERR_INVALID names an unknown preset. */
CvStatus cv_vae_config_preset(const char *preset, int T, int V, int P, VaeConfig *cfg,
                              CvError *err);
/* Checks sizes (positive, conv stack fits in T, limits). Names the offending field. */
CvStatus cv_vae_config_validate(const VaeConfig *cfg, CvError *err);
/* One-line "key=value ..." description (for run configs and logs) into buf. */
void cv_vae_config_describe(const VaeConfig *cfg, char *buf, size_t cap);

typedef struct {
    double loss, recon, kl, prop; /* per-molecule means over the batch */
    size_t tokens, correct;       /* unmasked positions and argmax hits among them */
    size_t exact;                 /* molecules whose every position was argmax-correct */
} VaeLoss;

typedef struct {
    VaeConfig cfg;
    size_t max_B;
    int training;    /* built by cv_vae_init (1) or cv_vae_init_inference (0) */
    NnParams params; /* trainable: data, grad, m, v (m, v only when training) */
    NnParams stats;  /* batchnorm running mean / var (not trained) */
    Gru gru;
    GruWeights gw, gdw;
    /* tensor ids in `params` */
    size_t id_conv_w[VAE_MAX_CONV], id_conv_b[VAE_MAX_CONV];
    size_t id_conv_g[VAE_MAX_CONV], id_conv_beta[VAE_MAX_CONV];
    size_t id_enc_w, id_enc_b, id_enc_g, id_enc_beta;
    size_t id_mu_w, id_mu_b, id_lv_w, id_lv_b;
    size_t id_dec_w, id_dec_b, id_gru0, id_out_w, id_out_b;
    size_t id_prop_w[VAE_MAX_PROP + 1], id_prop_b[VAE_MAX_PROP + 1];
    /* tensor ids in `stats` */
    size_t id_conv_rm[VAE_MAX_CONV], id_conv_rv[VAE_MAX_CONV], id_enc_rm, id_enc_rv;
    int conv_len[VAE_MAX_CONV + 1]; /* L0 = T, L1 .. Ln */
    size_t B, steps;                /* batch and decoder steps of the last forward */
    /* activations (allocated once) */
    float *x;                       /* (B, T, V) one-hot input */
    float *conv_col[VAE_MAX_CONV];  /* im2col caches */
    float *conv_scratch;            /* shared scratch for the convs */
    float *conv_act[VAE_MAX_CONV];  /* (B, Lk, Ck) conv outputs (BN inputs) */
    float *conv_xhat[VAE_MAX_CONV]; /* (B, Lk, Ck) BN caches */
    float *conv_rstd[VAE_MAX_CONV]; /* (Ck) */
    float *conv_out[VAE_MAX_CONV];  /* (B, Lk, Ck) tanh(BN) = next layer's input */
    float *conv_dout[VAE_MAX_CONV]; /* (B, Lk, Ck) gradient wrt conv_out */
    float *conv_dpre[VAE_MAX_CONV]; /* (B, Lk, Ck) gradient wrt the conv output */
    float *enc_act, *enc_xhat, *enc_rstd,
        *enc_out;                       /* dense out, BN cache (B, D); (D); tanh(BN) (B, D) */
    float *enc_dout, *enc_dpre;         /* (B, D) wrt enc_out, wrt enc_act */
    float *mu, *logvar, *z, *eps;       /* (B, Z) */
    float *dmu, *dlogvar, *dz;          /* (B, Z) */
    float *hz, *dhz;                    /* (B, E) */
    int32_t *tok, *target;              /* (T, B) time-major */
    float *mask;                        /* (T, B) */
    float *logits, *probs;              /* (T·B, V) */
    float *dlogits;                     /* (T·B, V) */
    float *dgru_out;                    /* (T, B, H) */
    float *prop_act[VAE_MAX_PROP + 1];  /* (B, hidden_i), last (B, P) */
    float *prop_dact[VAE_MAX_PROP + 1]; /* same shapes */
    float *prop_target, *prop_weight;   /* (B, P) */
    float *logit_row;                   /* (B, V) decode scratch */
    int32_t *row_of;                    /* (B) decode: position -> row */
    double *kl_dim;                     /* (Z) batch-mean KL per dimension of the
                                           last cv_vae_train_step / cv_vae_forward_eval */
    double *bn_work;                    /* (2·max channels + 2) batchnorm sums over a
                                           process group (cv_batchnorm_*_dist) */
    /* decoding constraint (cv_vae_set_constraint) */
    const SmilesGrammar *grammar; /* borrowed; NULL-able (also kept with
                                     SMILES_NONE, for failure classes) */
    int constrain;                /* SMILES_NONE / SYNTAX / VALENCE */
    SmilesState *row_state;       /* (max_B) one prefix per row */
    uint8_t *row_allowed;         /* (max_B, V) mask scratch */
    float *row_work;              /* (max_B, V) logits being struck out */
    CvRng *row_rng;               /* (B) decode: one stream per row */
} Vae;

/* Builds the parameter tables and every buffer for batches up to max_B. Parameters are
 * initialised with PyTorch's defaults from `rng` (uniform ±1/sqrt(fan_in); BN gamma 1,
 * beta 0, running var 1). `vae` is freeable afterwards whatever the result. */
CvStatus cv_vae_init(Vae *vae, const VaeConfig *cfg, size_t max_B, CvRng *rng, CvError *err);
/* The same model for inference only: encode, property head (and its dz backward), decode.
 * No Adam moments, GRU training caches or decoder loss buffers (the `small` preset at
 * batch 256: ~50 MB instead of ~700 MB); cv_vae_forward_backward / cv_vae_forward_eval must not
 * be called on it (assert). */
CvStatus cv_vae_init_inference(Vae *vae, const VaeConfig *cfg, size_t max_B, CvRng *rng,
                               CvError *err);
void cv_vae_free(Vae *vae);

/* The per-step knobs of the training recipe (cv_vae_train_step). Zero-initialised means the
 * plain loss of cv_vae_forward_backward with beta = prop_weight = 0. */
typedef struct {
    float beta;             /* KL weight */
    float prop_weight;      /* property-MSE weight */
    float free_bits;        /* KL floor per latent dimension in nats, on the batch mean
                               (Kingma et al. 2016): a dimension whose mean KL is below it
                               gets no KL gradient; 0 = off */
    float word_dropout;     /* probability that a teacher-forced decoder input after <start>
                               is replaced by <pad> (Bowman et al. 2016); 0 = off */
    uint64_t dropout_seed;  /* stream of the word-dropout draws */
    const int32_t *enc_ids; /* (B, T) encoder input, e.g. a randomized SMILES of the same
                               molecule; NULL = the decoder target `ids` */
    int bn_frozen;          /* encoder batchnorm through its running statistics, which it
                               does not update (batches drawn from length buckets) */
    int full_length;        /* the decoder runs all T steps, padding included, instead of
                               stopping at the batch's longest molecule: the same loss and
                               gradients at the cost of a decoder without length-aware
                               training (the reference side of the epoch benchmark) */
    /* Data-parallel training (src/model/README.md "Data-parallel training"): this process
     * holds rows [row0, row0 + B) of a batch of batch_total rows split between the
     * processes of `dist`. Batchnorm statistics and the per-dimension KL are those of the
     * whole batch, the loss terms are means over batch_total (so the gradients summed over
     * the group are the whole batch's), word dropout draws by the row's place in the whole
     * batch, and *out holds the whole batch's values on every process. The caller sums
     * the gradients. NULL dist / batch_total 0: the batch is all of B. */
    const CvDist *dist;
    size_t batch_total, row0;
} VaeStepOptions;

/* Training forward + backward of one batch under the recipe knobs of `so` (see
 * VaeStepOptions; otherwise as cv_vae_forward_backward). out->kl is the true KL; out->loss
 * uses the floored KL when free bits are on. */
void cv_vae_train_step(Vae *vae, const int32_t *ids, const int32_t *lengths, const float *props,
                       const float *prop_mask, const float *eps, size_t B, const VaeStepOptions *so,
                       VaeLoss *out);

/* Training forward + backward of one batch. ids (B, T) row-major with rows
 * [tok_1 .. tok_L, <end>, <pad> ...], lengths (B) including <end>, props (B, P) z-scored
 * targets and prop_mask (B, P) 1/0 (NULL = all present; props may be NULL when P = 0),
 * eps (B, Z) reparameterization noise (NULL: z = mu). Overwrites the gradients (zeroes
 * them first), updates BN running statistics, fills *out. B <= max_B. Needs cv_vae_init. */
void cv_vae_forward_backward(Vae *vae, const int32_t *ids, const int32_t *lengths,
                             const float *props, const float *prop_mask, const float *eps, size_t B,
                             float beta, float prop_weight, VaeLoss *out);

/* Same forward without gradients, in eval mode (BN running statistics, z = mu):
 * the validation loss of a batch. Like cv_vae_train_step it leaves the batch-mean KL of each
 * latent dimension in vae->kl_dim (and mu, logvar in vae->mu, vae->logvar). */
void cv_vae_forward_eval(Vae *vae, const int32_t *ids, const int32_t *lengths, const float *props,
                         const float *prop_mask, size_t B, float beta, float prop_weight,
                         VaeLoss *out);

/* Encoder in eval mode: mu (B, Z) and, if logvar is non-NULL, logvar (B, Z). */
void cv_vae_encode(Vae *vae, const int32_t *ids, size_t B, float *mu, float *logvar);

/* Property head on latent vectors z (B, Z) -> pred (B, P) (z-scored units). Caches its
 * activations for cv_vae_prop_backward. */
void cv_vae_prop_forward(Vae *vae, const float *z, size_t B, float *pred);
/* One step of the property head alone on latent vectors z (B, Z) and z-scored targets
 * (B, P) with mask (B, P) (NULL = all present): forward, the masked mean squared error
 * (returned, per entry), and its gradient in the head's tensors only (other gradients are
 * left as they are). Needs cv_vae_init (the training build). */
double cv_vae_prop_train_step(Vae *vae, const float *z, const float *target, const float *mask,
                              size_t B);

/* dz (B, Z) += ∂(Σ dpred ⊙ pred)/∂z of the last cv_vae_prop_forward (weights untouched). */
void cv_vae_prop_backward(Vae *vae, const float *z, const float *dpred, size_t B, float *dz);

/* Makes cv_vae_decode and cv_vae_decode_beam mask, at every step of every row, the tokens the
 * SMILES grammar `g` (built on the model's vocabulary, borrowed until the next call or
 * cv_vae_free) does not allow after the row's prefix in `mode` (smiles_grammar.h): greedy
 * decoding takes the best allowed token, sampling draws from the softmax renormalized over
 * the allowed tokens (by rejection: only drawn tokens are checked), beam search scores
 * log-probabilities under the mask. A row whose prefix allows nothing in valence mode falls
 * back to the syntax mask, then to no mask. Mode SMILES_NONE switches the mask off (g is
 * still kept, for failure classes). CV_ERR_NOMEM; CV_ERR_MISMATCH when g's vocabulary size
 * differs from the model's. */
CvStatus cv_vae_set_constraint(Vae *vae, const SmilesGrammar *g, int mode, CvError *err);

/* Smallest row chunk cv_vae_decode gives a thread of its own (see cv_nn_parallel_rows). */
enum { VAE_DECODE_MIN_ROWS = 16 };

/* Batched decoding of z (B, Z) into token ids out (B, T) (rows end with <end> then
 * <pad>; a row that never emits <end> is cut at T). temperature <= 0 or rng NULL: greedy
 * argmax; otherwise sampling from softmax(logits / temperature), each row from its own
 * stream seeded by one draw of `rng` per row, so results do not depend on the thread
 * count. Rows are split over the BLAS thread count (cv_nn_parallel_rows); a row stops
 * costing anything once it emits <end>. out_len (B) receives each row's length
 * excluding <end>. */
void cv_vae_decode(Vae *vae, const float *z, size_t B, float temperature, CvRng *rng, int32_t *out,
                   int32_t *out_len);

/* Beam-search decoding of z (B, Z) with K hypotheses per vector (1 <= K <= max_B): the
 * highest-scoring finished sequence (sum of log-probabilities, under the decoding
 * constraint when one is set) into out (B, T) and out_len as cv_vae_decode; K = 1 is the
 * greedy decode. Vectors are decoded max_B / K at a time (src/model/beam.c).
 * CV_ERR_INVALID for a bad K, CV_ERR_NOMEM. */
CvStatus cv_vae_decode_beam(Vae *vae, const float *z, size_t B, int K, int32_t *out,
                            int32_t *out_len, CvError *err);

#endif
