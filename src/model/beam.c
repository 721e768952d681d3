/* beam.c — beam-search decoding of latent vectors (contract in include/chemvae/model/vae.h,
 * cv_vae_decode_beam).
 *
 * Each latent vector keeps K hypotheses; its K rows of the GRU's inference state sit next
 * to each other (vector i owns rows i·K .. i·K+K−1), so a batch of max_B rows decodes
 * max_B / K vectors at once. Every step: the GRU and the output layer run on all rows
 * (split over threads like greedy decoding), each row's logits are masked by its own
 * SMILES prefix state when a constraint is set and turned into log-probabilities; per
 * vector the K best (hypothesis, token) extensions are kept — an <end> extension becomes
 * a finished candidate, the others the next step's hypotheses, whose GRU rows, token
 * histories and prefix states are gathered from their parents. A vector stops when its
 * best finished score is at least every live hypothesis's score (log-probabilities only
 * fall), or at T steps. The result is the best finished hypothesis (the best live one,
 * cut at T, if none finished).
 *
 * Scores are sums of log-probabilities under the mask, so with K = 1 the result is the
 * greedy decode. Rows of dead hypotheses are still stepped through the GRU (their scores
 * are −inf; keeping the row layout fixed keeps the gathers simple), but not masked. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/nn/activation.h"
#include "chemvae/nn/dense.h"
#include "chemvae/nn/rowpar.h"
#include "chemvae/model/vae.h"

typedef struct {
    Vae *v;
    const int32_t *tok;  /* (R) */
    const double *score; /* (R) hypothesis scores: −inf rows are dead, their logits unused */
    float *logp;         /* (R, V) */
    size_t t;
} StepJob;

/* GRU step, output layer, mask and log-softmax of rows [b0, b1). */
static void step_rows(void *ctx, size_t b0, size_t b1, int worker) {
    (void)worker;
    StepJob *j = ctx;
    Vae *v = j->v;
    size_t V = (size_t)v->cfg.V, H = (size_t)v->cfg.H;
    const float *h = cv_gru_infer_step_tokens_rows(&v->gru, &v->gw, j->tok, b0, b1);
    float *lp = j->logp + b0 * V;
    cv_dense_forward(lp, h, cv_nn_params_data(&v->params, v->id_out_w),
                     cv_nn_params_data(&v->params, v->id_out_b), b1 - b0, H, V);
    int constrained = v->grammar && v->constrain != SMILES_NONE && v->row_state;
    int steps_left = v->cfg.T - (int)j->t;
    for (size_t r = b0; r < b1; r++) {
        float *row = lp + (r - b0) * V;
        if (j->score[r] == -INFINITY) continue;
        if (constrained) {
            uint8_t *allowed = v->row_allowed + r * V;
            int n = cv_smiles_state_allowed(v->grammar, &v->row_state[r], v->constrain, steps_left,
                                            allowed);
            if (n == 0 && v->constrain == SMILES_VALENCE)
                n = cv_smiles_state_allowed(v->grammar, &v->row_state[r], SMILES_SYNTAX, steps_left,
                                            allowed);
            if (n > 0)
                for (size_t k = 0; k < V; k++)
                    if (!allowed[k]) row[k] = -INFINITY;
        }
        float mx = -INFINITY;
        for (size_t k = 0; k < V; k++) mx = row[k] > mx ? row[k] : mx;
        double sum = 0.0;
        for (size_t k = 0; k < V; k++)
            sum += row[k] == -INFINITY ? 0.0 : exp((double)(row[k] - mx));
        float lse = mx + (float)log(sum);
        for (size_t k = 0; k < V; k++) row[k] = row[k] == -INFINITY ? -INFINITY : row[k] - lse;
    }
}

typedef struct {
    double score;
    int32_t parent, tok;
} Cand;

/* Inserts c into the descending list top[0..*n) of at most K entries. */
static void keep_top(Cand *top, int *n, int K, Cand c) {
    if (*n == K && c.score <= top[K - 1].score) return;
    int i = *n < K ? (*n)++ : K - 1;
    while (i > 0 && top[i - 1].score < c.score) {
        top[i] = top[i - 1];
        i--;
    }
    top[i] = c;
}

CvStatus cv_vae_decode_beam(Vae *v, const float *z, size_t B, int K, int32_t *out, int32_t *out_len,
                            CvError *err) {
    const VaeConfig *c = &v->cfg;
    size_t T = (size_t)c->T, V = (size_t)c->V, E = (size_t)c->dec_dense, Z = (size_t)c->Z;
    size_t H = (size_t)c->H;
    if (K < 1 || (size_t)K > v->max_B)
        return cv_error_set(err, CV_ERR_INVALID,
                            "beam width %d must be in 1..%zu (the decoding batch)", K, v->max_B);
    size_t per = v->max_B / (size_t)K, Rmax = per * (size_t)K;
    int constrained = v->grammar && v->constrain != SMILES_NONE && v->row_state;
    float *logp = malloc(Rmax * V * sizeof *logp), *scratch = malloc(Rmax * H * sizeof *scratch);
    float *hz1 = malloc(per * E * sizeof *hz1);
    double *score = malloc(Rmax * sizeof *score), *best = malloc(per * sizeof *best);
    int32_t *tok = malloc(Rmax * sizeof *tok), *src = malloc(Rmax * sizeof *src);
    int32_t *seq = malloc(Rmax * T * sizeof *seq), *seq2 = malloc(Rmax * T * sizeof *seq2);
    int32_t *best_seq = malloc(per * T * sizeof *best_seq),
            *best_len = malloc(per * sizeof *best_len);
    Cand *top = malloc((size_t)K * sizeof *top);
    uint8_t *done = malloc(per);
    SmilesState *st2 = constrained ? malloc(Rmax * sizeof *st2) : NULL;
    CvStatus status = CV_OK;
    if (!logp || !scratch || !hz1 || !score || !best || !tok || !src || !seq || !seq2 ||
        !best_seq || !best_len || !top || !done || (constrained && !st2)) {
        status = cv_error_set(err, CV_ERR_NOMEM, "out of memory for a beam of %d over %zu rows", K,
                              Rmax);
        goto cleanup;
    }
    for (size_t s = 0; s < B; s += per) {
        size_t nv = B - s < per ? B - s : per, R = nv * (size_t)K;
        int workers = cv_nn_row_workers(R, VAE_DECODE_MIN_ROWS);
        int blas_threads = workers > 1 ? cv_nn_blas_threads_set(1) : 0;
        cv_dense_forward(hz1, z + s * Z, cv_nn_params_data(&v->params, v->id_dec_w),
                         cv_nn_params_data(&v->params, v->id_dec_b), nv, Z, E);
        cv_act_tanh_forward(hz1, hz1, nv * E);
        for (size_t r = 0; r < R; r++)
            memcpy(v->hz + r * E, hz1 + (r / (size_t)K) * E, E * sizeof(float));
        cv_gru_infer_begin(&v->gru, &v->gw, v->hz, NULL, R);
        for (size_t r = 0; r < R; r++) {
            tok[r] = VAE_TOK_START;
            score[r] = r % (size_t)K == 0 ? 0.0 : -INFINITY; /* one live hypothesis to start */
            if (constrained) cv_smiles_state_reset(&v->row_state[r]);
        }
        for (size_t i = 0; i < nv; i++) {
            best[i] = -INFINITY;
            best_len[i] = -1;
            done[i] = 0;
        }
        size_t t = 0;
        for (; t < T; t++) {
            StepJob job = {v, tok, score, logp, t};
            cv_nn_parallel_rows(R, workers, step_rows, &job);
            int any_live = 0;
            for (size_t i = 0; i < nv; i++) {
                size_t r0 = i * (size_t)K;
                int n = 0;
                if (!done[i])
                    for (int b = 0; b < K; b++) {
                        if (score[r0 + (size_t)b] == -INFINITY) continue;
                        const float *lp = logp + (r0 + (size_t)b) * V;
                        for (size_t k = 0; k < V; k++)
                            if (lp[k] != -INFINITY)
                                keep_top(top, &n, K,
                                         (Cand){score[r0 + (size_t)b] + lp[k], b, (int32_t)k});
                    }
                int m = 0;
                for (int q = 0; q < n; q++) {
                    size_t pr = r0 + (size_t)top[q].parent;
                    if (top[q].tok == VAE_TOK_END) {
                        if (top[q].score > best[i]) {
                            best[i] = top[q].score;
                            memcpy(best_seq + i * T, seq + pr * T, t * sizeof(int32_t));
                            best_len[i] = (int32_t)t;
                        }
                        continue;
                    }
                    size_t nr = r0 + (size_t)m++;
                    src[nr] = (int32_t)pr;
                    memcpy(seq2 + nr * T, seq + pr * T, t * sizeof(int32_t));
                    seq2[nr * T + t] = top[q].tok;
                    tok[nr] = top[q].tok;
                    score[nr] = top[q].score;
                }
                double live_best = m > 0 ? score[r0] : -INFINITY; /* top is descending */
                for (int b = m; b < K; b++) {
                    size_t nr = r0 + (size_t)b;
                    src[nr] = (int32_t)nr;
                    score[nr] = -INFINITY;
                    tok[nr] = VAE_TOK_PAD;
                }
                if (m == 0 || best[i] >= live_best) {
                    done[i] = 1;
                    for (int b = 0; b < K; b++) score[r0 + (size_t)b] = -INFINITY;
                } else {
                    any_live = 1;
                }
            }
            /* gather GRU rows, histories and prefix states from the parents */
            cv_gru_infer_gather_rows(&v->gru, src, R, scratch);
            int32_t *tmp = seq;
            seq = seq2;
            seq2 = tmp;
            if (constrained) {
                memcpy(st2, v->row_state, R * sizeof *st2);
                for (size_t r = 0; r < R; r++) {
                    if (score[r] == -INFINITY) continue;
                    v->row_state[r] = st2[src[r]];
                    cv_smiles_state_push(v->grammar, &v->row_state[r], tok[r]);
                }
            }
            if (!any_live) break;
        }
        if (workers > 1) cv_nn_blas_threads_set(blas_threads);
        for (size_t i = 0; i < nv; i++) {
            int32_t *o = out + (s + i) * T;
            for (size_t k = 0; k < T; k++) o[k] = VAE_TOK_PAD;
            if (best_len[i] >= 0) {
                memcpy(o, best_seq + i * T, (size_t)best_len[i] * sizeof(int32_t));
                if ((size_t)best_len[i] < T) o[best_len[i]] = VAE_TOK_END;
                out_len[s + i] = best_len[i];
            } else { /* nothing finished within T: the best live hypothesis, cut */
                size_t r0 = i * (size_t)K;
                memcpy(o, seq + r0 * T, T * sizeof(int32_t));
                out_len[s + i] = (int32_t)T;
            }
        }
    }
cleanup:
    free(logp), free(scratch), free(hz1), free(score), free(best), free(tok), free(src);
    free(seq), free(seq2), free(best_seq), free(best_len), free(top), free(done), free(st2);
    return status;
}
