/* optimize.c — gradient ascent on the property head in latent space (see
 * include/chemvae/latent/latent_optimize.h for the update rule and the bookkeeping).
 *
 * All S starts move together: the head's forward and backward run on chunks of up to
 * max_B latent vectors, and each decode point decodes all S·K rows in full batches
 * (cv_latent_decode). d(head)/dz comes from cv_vae_prop_backward with dpred = wz, i.e. the
 * derivative of the bound linear objective; the prior term adds −λz. Steps are normalized
 * so the step length is a distance in latent space whatever the head's gradient scale (a
 * raw gradient step would need a different lr for every objective and model).
 *
 * Memory: z, dz (S, Z), pred (S, P), head (S), sim (S·K), the start fingerprints
 * (S, 2048 bits), allocated once; nothing is allocated per step except by decoding. */
#include "chemvae/latent/latent_optimize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cv_latent_opt_config_default(LatentOptConfig *c) {
    memset(c, 0, sizeof *c);
    c->steps = 100;
    c->lr = 0.3;
    c->prior = 0.01;
    c->trust_radius = 0.0;
    c->decode_every = 5;
    c->decode.attempts = 8;
    c->decode.temperature = 0.0f;
    c->decode.retry_temperature = 0.7f;
    c->delta = -1.0;
}

void cv_latent_opt_result_init(LatentOptResult *r, const char *start_smiles, double start_score) {
    memset(r, 0, sizeof *r);
    r->start_smiles = start_smiles;
    r->start_score = start_smiles ? start_score : NAN;
    r->head_start = r->head_end = NAN;
    r->best_score = r->best_sim = NAN;
    r->best_any_score = r->best_any_sim = NAN;
}

void cv_latent_opt_result_free(LatentOptResult *r) {
    free(r->best_smiles);
    free(r->best_any_smiles);
    r->best_smiles = r->best_any_smiles = NULL;
}

/* Replaces *dst by a copy of s. */
static CvStatus set_string(char **dst, const char *s, CvError *err) {
    char *c = strdup(s);
    if (!c) return cv_error_set(err, CV_ERR_NOMEM, "out of memory copying '%s'", s);
    free(*dst);
    *dst = c;
    return CV_OK;
}

CvStatus cv_latent_opt_consider(LatentOptResult *r, const char *canonical, double score, double sim,
                                double delta, size_t step, CvError *err) {
    CvStatus st;
    if (isnan(r->best_any_score) || score > r->best_any_score) {
        if ((st = set_string(&r->best_any_smiles, canonical, err))) return st;
        r->best_any_score = score;
        r->best_any_sim = sim;
    }
    int counted = !r->start_smiles || delta < 0 || (!isnan(sim) && sim >= delta);
    if (!counted || !(isnan(r->best_score) || score > r->best_score)) return CV_OK;
    if ((st = set_string(&r->best_smiles, canonical, err))) return st;
    r->best_score = score;
    r->best_sim = sim;
    r->best_step = step;
    if (r->start_smiles) {
        r->success = strcmp(canonical, r->start_smiles) != 0 && score > r->start_score;
        r->improvement = r->success ? score - r->start_score : 0.0;
    } else {
        r->success = 1;
        r->improvement = 0.0;
    }
    return CV_OK;
}

void cv_latent_head_value(Vae *vae, const double *wz, double offset, const float *z, size_t S,
                          double *head, float *pred) {
    size_t Z = (size_t)vae->cfg.Z, P = (size_t)vae->cfg.P, Bmax = vae->max_B;
    if (!P) {
        for (size_t s = 0; s < S; s++) head[s] = offset;
        return;
    }
    for (size_t s = 0; s < S; s += Bmax) {
        size_t B = S - s < Bmax ? S - s : Bmax;
        cv_vae_prop_forward(vae, z + s * Z, B, NULL);
        const float *y = vae->prop_act[vae->cfg.n_prop];
        for (size_t b = 0; b < B; b++) {
            double h = offset;
            for (size_t p = 0; p < P; p++) h += wz[p] * (double)y[b * P + p];
            head[s + b] = h;
            if (pred) memcpy(pred + (s + b) * P, y + b * P, P * sizeof *pred);
        }
    }
}

/* dz (S, Z) = ∇ head value at z (overwritten); dpred is (max_B, P) scratch. */
static void head_gradient(Vae *vae, const double *wz, const float *z, size_t S, float *dpred,
                          float *dz) {
    size_t Z = (size_t)vae->cfg.Z, P = (size_t)vae->cfg.P, Bmax = vae->max_B;
    memset(dz, 0, S * Z * sizeof *dz);
    for (size_t s = 0; s < S; s += Bmax) {
        size_t B = S - s < Bmax ? S - s : Bmax;
        for (size_t b = 0; b < B; b++)
            for (size_t p = 0; p < P; p++) dpred[b * P + p] = (float)wz[p];
        cv_vae_prop_forward(vae, z + s * Z, B, NULL);
        cv_vae_prop_backward(vae, z + s * Z, dpred, B, dz + s * Z);
    }
}

/* One normalized ascent step of every row, then the trust-region projection. */
static void ascend(const LatentOptConfig *cfg, const float *z0, float *z, const float *g_head,
                   size_t S, size_t Z) {
    for (size_t s = 0; s < S; s++) {
        float *zs = z + s * Z;
        const float *gs = g_head + s * Z, *z0s = z0 + s * Z;
        double n2 = 0;
        for (size_t k = 0; k < Z; k++) {
            double g = (double)gs[k] - cfg->prior * zs[k];
            n2 += g * g;
        }
        if (n2 > 0) {
            double scale = cfg->lr / sqrt(n2);
            for (size_t k = 0; k < Z; k++)
                zs[k] += (float)(scale * ((double)gs[k] - cfg->prior * zs[k]));
        }
        if (cfg->trust_radius > 0) {
            double d = cv_latent_distance(zs, z0s, Z);
            if (d > cfg->trust_radius) {
                double f = cfg->trust_radius / d;
                for (size_t k = 0; k < Z; k++) zs[k] = (float)(z0s[k] + f * (zs[k] - z0s[k]));
            }
        }
    }
}

/* Similarity of each valid row of mols (S·K) to its start's fingerprint; NaN otherwise. */
static void similarities(const LatentMol *mols, size_t S, size_t K, const uint64_t *fps,
                         const unsigned char *has_fp, double *sim) {
    for (size_t r = 0; r < S * K; r++) {
        size_t s = r / K;
        sim[r] = mols[r].valid && has_fp[s]
                     ? cv_latent_similarity(mols[r].canonical, fps + s * LATENT_FP_WORDS)
                     : NAN;
    }
}

CvStatus cv_latent_optimize(Vae *vae, const CvVocab *vocab, const LatentObjective *obj,
                            const double *wz, double offset, const LatentOptConfig *cfg,
                            const float *z0, const char *const *start_smiles, size_t S, CvRng *rng,
                            LatentOptSink sink, void *ctx, LatentOptResult *results, float *z_final,
                            CvError *err) {
    size_t Z = (size_t)vae->cfg.Z, P = (size_t)vae->cfg.P;
    size_t K = cfg->decode.attempts ? cfg->decode.attempts : 1;
    size_t every = cfg->decode_every ? cfg->decode_every : 1;
    CvStatus st = CV_OK;
    for (size_t s = 0; s < S; s++)
        cv_latent_opt_result_init(&results[s], start_smiles ? start_smiles[s] : NULL, NAN);
    float *z = malloc(S * Z * sizeof *z), *dz = malloc(S * Z * sizeof *dz);
    float *pred = malloc(S * (P ? P : 1) * sizeof *pred),
          *dpred = malloc(vae->max_B * (P ? P : 1) * sizeof *dpred);
    double *head = malloc(S * sizeof *head), *sim = malloc(S * K * sizeof *sim);
    uint64_t *fps = calloc(S * LATENT_FP_WORDS, sizeof *fps);
    unsigned char *has_fp = calloc(S, 1);
    LatentMol *mols = calloc(S * K, sizeof *mols);
    if (!z || !dz || !pred || !dpred || !head || !sim || !fps || !has_fp || !mols) {
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory optimizing %zu starts", S);
        goto done;
    }
    memcpy(z, z0, S * Z * sizeof *z);
    for (size_t s = 0; s < S; s++) {
        if (!results[s].start_smiles) continue;
        ChemScores sc;
        if (!cv_chem_score_smiles(results[s].start_smiles, &sc, NULL)) {
            st = cv_error_set(err, CV_ERR_INVALID, "start molecule '%s' is not a valid SMILES",
                              results[s].start_smiles);
            goto done;
        }
        if ((st = cv_latent_fingerprint(results[s].start_smiles, fps + s * LATENT_FP_WORDS, err)))
            goto done;
        has_fp[s] = 1;
        results[s].start_score = cv_latent_objective_true(obj, &sc);
    }
    cv_latent_head_value(vae, wz, offset, z, S, head, NULL);
    for (size_t s = 0; s < S; s++) results[s].head_start = head[s];
    for (size_t step = 0;; step++) {
        if (step % every == 0 || step == cfg->steps) {
            cv_latent_head_value(vae, wz, offset, z, S, head, pred);
            if ((st = cv_latent_decode(vae, vocab, z, S, &cfg->decode, rng, mols, err))) goto done;
            similarities(mols, S, K, fps, has_fp, sim);
            for (size_t r = 0; r < S * K; r++) {
                LatentOptResult *res = &results[r / K];
                res->decoded++;
                if (!mols[r].valid) continue;
                res->valid++;
                double score = cv_latent_objective_true(obj, &mols[r].scores);
                if ((st = cv_latent_opt_consider(res, mols[r].canonical, score, sim[r], cfg->delta,
                                                 step, err)))
                    goto done;
            }
            if (sink && (st = sink(ctx, step, S, K, z, head, P ? pred : NULL, mols, sim, err)))
                goto done;
            cv_latent_mols_free(mols, S * K);
        }
        if (step == cfg->steps) break;
        head_gradient(vae, wz, z, S, dpred, dz);
        ascend(cfg, z0, z, dz, S, Z);
    }
    cv_latent_head_value(vae, wz, offset, z, S, head, NULL);
    for (size_t s = 0; s < S; s++) results[s].head_end = head[s];
    if (z_final) memcpy(z_final, z, S * Z * sizeof *z);
done:
    if (mols) cv_latent_mols_free(mols, S * K);
    free(mols);
    free(has_fp);
    free(fps);
    free(sim);
    free(head);
    free(dpred);
    free(pred);
    free(dz);
    free(z);
    return st;
}
