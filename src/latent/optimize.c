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
 * Each decode point's valid molecules are scored in one call: the objective's true value
 * per molecule, or one call of the judge (an external scorer) with all of them, so a
 * program that takes seconds to start is started once per decode point, not per molecule.
 *
 * Memory: z, dz (S, Z), pred (S, P), head (S), sim, score, key and the judge's arrays
 * (S·K), the start fingerprints (S, 2048 bits), allocated once; nothing is allocated per
 * step except by decoding and the judge. */
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
    r->best_key = r->best_any_key = NAN;
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

CvStatus cv_latent_opt_consider_key(LatentOptResult *r, const char *canonical, double score,
                                    double key, double sim, double delta, size_t step,
                                    CvError *err) {
    CvStatus st;
    if (isnan(key)) return CV_OK;
    if (isnan(r->best_any_key) || key > r->best_any_key) {
        if ((st = set_string(&r->best_any_smiles, canonical, err))) return st;
        r->best_any_score = score;
        r->best_any_key = key;
        r->best_any_sim = sim;
    }
    int counted = !r->start_smiles || delta < 0 || (!isnan(sim) && sim >= delta);
    if (!counted || !(isnan(r->best_key) || key > r->best_key)) return CV_OK;
    if ((st = set_string(&r->best_smiles, canonical, err))) return st;
    r->best_score = score;
    r->best_key = key;
    r->best_sim = sim;
    r->best_step = step;
    if (r->start_smiles) {
        r->success = strcmp(canonical, r->start_smiles) != 0 && score > r->start_score;
        r->improvement = r->success                              ? score - r->start_score
                         : isnan(score) || isnan(r->start_score) ? NAN
                                                                 : 0.0;
    } else {
        r->success = 1;
        r->improvement = 0.0;
    }
    return CV_OK;
}

CvStatus cv_latent_opt_consider(LatentOptResult *r, const char *canonical, double score, double sim,
                                double delta, size_t step, CvError *err) {
    return cv_latent_opt_consider_key(r, canonical, score, score, sim, delta, step, err);
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

/* One optimization's working memory and settings. */
typedef struct {
    Vae *vae;
    const CvVocab *vocab;
    const LatentObjective *obj;
    const LatentOptConfig *cfg;
    size_t S, K;
    LatentOptResult *results;
    float *z, *dz, *pred, *dpred;     /* (S, Z), (S, Z), (S, P), (max_B, P) */
    double *head, *sim, *score, *key; /* (S), (S·K) x 3 */
    uint64_t *fps;                    /* (S, LATENT_FP_WORDS) */
    unsigned char *has_fp;            /* (S) */
    LatentMol *mols;                  /* (S·K) */
    /* the judge's input and output, (max(S, S·K)) each */
    const char **j_smiles;
    ChemScores *j_scores;
    double *j_out;
    size_t *j_row;
} OptRun;

static CvStatus run_alloc(OptRun *o, CvError *err) {
    size_t S = o->S, Z = (size_t)o->vae->cfg.Z, P = (size_t)o->vae->cfg.P, SK = S * o->K;
    size_t J = SK > S ? SK : S;
    o->z = malloc(S * Z * sizeof *o->z);
    o->dz = malloc(S * Z * sizeof *o->dz);
    o->pred = malloc(S * (P ? P : 1) * sizeof *o->pred);
    o->dpred = malloc(o->vae->max_B * (P ? P : 1) * sizeof *o->dpred);
    o->head = malloc(S * sizeof *o->head);
    o->sim = malloc(SK * sizeof *o->sim);
    o->score = malloc(SK * sizeof *o->score);
    o->key = malloc(SK * sizeof *o->key);
    o->fps = calloc(S * LATENT_FP_WORDS, sizeof *o->fps);
    o->has_fp = calloc(S, 1);
    o->mols = calloc(SK, sizeof *o->mols);
    o->j_smiles = malloc(J * sizeof *o->j_smiles);
    o->j_scores = malloc(J * sizeof *o->j_scores);
    o->j_out = malloc(J * sizeof *o->j_out);
    o->j_row = malloc(J * sizeof *o->j_row);
    if (o->z && o->dz && o->pred && o->dpred && o->head && o->sim && o->score && o->key && o->fps &&
        o->has_fp && o->mols && o->j_smiles && o->j_scores && o->j_out && o->j_row)
        return CV_OK;
    return cv_error_set(err, CV_ERR_NOMEM, "out of memory optimizing %zu starts", S);
}

static void run_free(OptRun *o) {
    if (o->mols) cv_latent_mols_free(o->mols, o->S * o->K);
    void *p[] = {o->z,        o->dz,    o->pred, o->dpred,  o->head, o->sim,
                 o->score,    o->key,   o->fps,  o->has_fp, o->mols, (void *)o->j_smiles,
                 o->j_scores, o->j_out, o->j_row};
    for (size_t i = 0; i < sizeof p / sizeof *p; i++) free(p[i]);
}

/* Sends the n molecules gathered in o->j_* to the judge and writes its values to
 * score[j_row[i]] and key[j_row[i]]. */
static CvStatus judge_gathered(OptRun *o, size_t n, double *score, double *key, CvError *err) {
    if (!n) return CV_OK;
    CvStatus st = o->cfg->judge(o->cfg->judge_ctx, n, o->j_smiles, o->j_scores, o->j_out, err);
    for (size_t i = 0; !st && i < n; i++) score[o->j_row[i]] = key[o->j_row[i]] = o->j_out[i];
    return st;
}

/* Checks the start molecules, fingerprints them and scores them (results[s].start_score). */
static CvStatus init_starts(OptRun *o, CvError *err) {
    size_t n = 0;
    for (size_t s = 0; s < o->S; s++) {
        LatentOptResult *r = &o->results[s];
        if (!r->start_smiles) continue;
        ChemScores sc;
        if (!cv_chem_score_smiles(r->start_smiles, &sc, NULL))
            return cv_error_set(err, CV_ERR_INVALID, "start molecule '%s' is not a valid SMILES",
                                r->start_smiles);
        CvStatus st = cv_latent_fingerprint(r->start_smiles, o->fps + s * LATENT_FP_WORDS, err);
        if (st) return st;
        o->has_fp[s] = 1;
        r->start_score = cv_latent_objective_true(o->obj, &sc);
        o->j_smiles[n] = r->start_smiles, o->j_scores[n] = sc, o->j_row[n++] = s;
    }
    if (!o->cfg->judge) return CV_OK;
    CvStatus st = judge_gathered(o, n, o->score, o->key, err);
    for (size_t i = 0; !st && i < n; i++)
        o->results[o->j_row[i]].start_score = o->score[o->j_row[i]];
    return st;
}

/* Score and rank key of every row of o->mols (see the header's top). */
static CvStatus rate_rows(OptRun *o, CvError *err) {
    int rdkit = cv_latent_objective_rdkit(o->obj);
    size_t n = 0;
    for (size_t r = 0; r < o->S * o->K; r++) {
        const LatentMol *m = &o->mols[r];
        o->score[r] = o->key[r] = NAN;
        if (!m->valid) continue;
        if (o->cfg->judge) {
            o->j_smiles[n] = m->canonical, o->j_scores[n] = m->scores, o->j_row[n++] = r;
            continue;
        }
        o->score[r] = cv_latent_objective_true(o->obj, &m->scores);
        o->key[r] = rdkit ? o->score[r] : o->head[r / o->K];
    }
    return o->cfg->judge ? judge_gathered(o, n, o->score, o->key, err) : CV_OK;
}

/* Decodes every z at `step`, scores the molecules, keeps the books and calls the sink. */
static CvStatus decode_point(OptRun *o, const double *wz, double offset, size_t step, CvRng *rng,
                             LatentOptSink sink, void *ctx, CvError *err) {
    size_t S = o->S, K = o->K, P = (size_t)o->vae->cfg.P;
    cv_latent_head_value(o->vae, wz, offset, o->z, S, o->head, o->pred);
    CvStatus st = cv_latent_decode(o->vae, o->vocab, o->z, S, &o->cfg->decode, rng, o->mols, err);
    if (st) return st;
    similarities(o->mols, S, K, o->fps, o->has_fp, o->sim);
    if ((st = rate_rows(o, err))) return st;
    for (size_t r = 0; r < S * K; r++) {
        LatentOptResult *res = &o->results[r / K];
        res->decoded++;
        if (!o->mols[r].valid) continue;
        res->valid++;
        st = cv_latent_opt_consider_key(res, o->mols[r].canonical, o->score[r], o->key[r],
                                        o->sim[r], o->cfg->delta, step, err);
        if (st) return st;
    }
    if (sink &&
        (st = sink(ctx, step, S, K, o->z, o->head, P ? o->pred : NULL, o->mols, o->sim, err)))
        return st;
    cv_latent_mols_free(o->mols, S * K);
    return CV_OK;
}

CvStatus cv_latent_optimize(Vae *vae, const CvVocab *vocab, const LatentObjective *obj,
                            const double *wz, double offset, const LatentOptConfig *cfg,
                            const float *z0, const char *const *start_smiles, size_t S, CvRng *rng,
                            LatentOptSink sink, void *ctx, LatentOptResult *results, float *z_final,
                            CvError *err) {
    size_t Z = (size_t)vae->cfg.Z;
    size_t every = cfg->decode_every ? cfg->decode_every : 1;
    OptRun o = {.vae = vae,
                .vocab = vocab,
                .obj = obj,
                .cfg = cfg,
                .S = S,
                .K = cfg->decode.attempts ? cfg->decode.attempts : 1,
                .results = results};
    for (size_t s = 0; s < S; s++)
        cv_latent_opt_result_init(&results[s], start_smiles ? start_smiles[s] : NULL, NAN);
    CvStatus st = run_alloc(&o, err);
    if (!st) st = init_starts(&o, err);
    if (st) goto done;
    memcpy(o.z, z0, S * Z * sizeof *o.z);
    cv_latent_head_value(vae, wz, offset, o.z, S, o.head, NULL);
    for (size_t s = 0; s < S; s++) results[s].head_start = o.head[s];
    for (size_t step = 0;; step++) {
        if ((step % every == 0 || step == cfg->steps) &&
            (st = decode_point(&o, wz, offset, step, rng, sink, ctx, err)))
            goto done;
        if (step == cfg->steps) break;
        head_gradient(vae, wz, o.z, S, o.dpred, o.dz);
        ascend(cfg, z0, o.z, o.dz, S, Z);
    }
    cv_latent_head_value(vae, wz, offset, o.z, S, o.head, NULL);
    for (size_t s = 0; s < S; s++) results[s].head_end = o.head[s];
    if (z_final) memcpy(z_final, o.z, S * Z * sizeof *o.z);
done:
    run_free(&o);
    return st;
}
