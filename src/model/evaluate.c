/* evaluate.c — reconstruction, prior validity / uniqueness / novelty / diversity and
 * property MAE of a model (definitions in include/chemvae/model/evaluate.h).
 * Decoding is batched (cv_vae_decode on up to max_B latent vectors at once); every decoded
 * string goes through RDKit (cv_chem_canonical). Canonical SMILES are compared through
 * 64-bit FNV-1a keys in an open-addressing set (a collision among < 10^6 molecules has
 * probability < 10^-7). */
#include "chemvae/model/evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"
#include "chemvae/core/fileio.h"
#include "chemvae/data/vocab.h"

uint64_t cv_hashset64_key(const char *s) {
    return cv_fnv1a64(CV_FNV64_INIT, s, strlen(s));
}

static int set_grow(HashSet64 *s) {
    size_t ncap = s->cap ? s->cap * 2 : 1024;
    uint64_t *nk = calloc(ncap, sizeof *nk);
    if (!nk) return -1;
    for (size_t i = 0; i < s->cap; i++) {
        uint64_t k = s->keys[i];
        if (!k) continue;
        size_t j = (size_t)(k * 0x9e3779b97f4a7c15ULL) & (ncap - 1);
        while (nk[j]) j = (j + 1) & (ncap - 1);
        nk[j] = k;
    }
    free(s->keys);
    s->keys = nk;
    s->cap = ncap;
    return 0;
}

int cv_hashset64_has(const HashSet64 *s, uint64_t k) {
    if (!s->cap) return 0;
    if (!k) k = 1;
    size_t j = (size_t)(k * 0x9e3779b97f4a7c15ULL) & (s->cap - 1);
    while (s->keys[j]) {
        if (s->keys[j] == k) return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

int cv_hashset64_add(HashSet64 *s, uint64_t k) {
    if (!k) k = 1;
    if ((s->n + 1) * 2 > s->cap && set_grow(s)) return -1;
    size_t j = (size_t)(k * 0x9e3779b97f4a7c15ULL) & (s->cap - 1);
    while (s->keys[j]) {
        if (s->keys[j] == k) return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->keys[j] = k;
    s->n++;
    return 1;
}

void cv_hashset64_free(HashSet64 *s) {
    free(s->keys);
    memset(s, 0, sizeof *s);
}

static double internal_diversity(char **smiles, size_t n) {
    if (n < 2) return 0.0;
    enum { BITS = 1024, WORDS = BITS / 64 };
    uint64_t *fp = calloc(n * WORDS, sizeof *fp);
    if (!fp) return NAN;
    for (size_t i = 0; i < n; i++) {
        ChemMol *m = cv_chem_mol_from_smiles(smiles[i]);
        if (m) cv_chem_mol_morgan(m, BITS, fp + i * WORDS, NULL);
        cv_chem_mol_free(m);
    }
    double sum = 0.0;
    size_t pairs = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            sum += cv_chem_tanimoto_bits(fp + i * WORDS, fp + j * WORDS, BITS);
            pairs++;
        }
    free(fp);
    return 1.0 - sum / (double)pairs;
}

CvStatus cv_eval_run_beam(Vae *vae, const CvDataset *ds, int split, size_t n_recon, size_t n_prior,
                          uint64_t seed, int beam, char **prior_smiles, EvalReport *out,
                          CvError *err) {
    memset(out, 0, sizeof *out);
    const size_t Bmax = vae->max_B, T = ds->T, Z = (size_t)vae->cfg.Z, P = ds->P;
    uint32_t *idx = NULL, *train_idx = NULL;
    size_t n = 0, n_train = 0;
    int32_t *ids = malloc(Bmax * T * sizeof *ids), *dec = malloc(Bmax * T * sizeof *dec);
    int32_t *declen = malloc(Bmax * sizeof *declen);
    float *mu = malloc(Bmax * Z * sizeof *mu), *pred = malloc(Bmax * (P ? P : 1) * sizeof *pred);
    char **uniq = NULL;
    HashSet64 train_set = {0}, seen = {0};
    CvStatus st = CV_OK;
    if (!ids || !dec || !declen || !mu || !pred) {
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = cv_dataset_split_indices(ds, split, &idx, &n, err))) goto done;
    if (n_recon && n_recon < n) n = n_recon;
    double mae[CKPT_MAX_PROPS] = {0}, sim_sum = 0.0;
    size_t mae_n[CKPT_MAX_PROPS] = {0};
    for (size_t s = 0; s < n; s += Bmax) {
        size_t B = n - s < Bmax ? n - s : Bmax;
        cv_dataset_fill_ids(ds, idx + s, B, ids);
        cv_vae_encode(vae, ids, B, mu, NULL);
        if (P) {
            cv_vae_prop_forward(vae, mu, B, pred);
            for (size_t i = 0; i < B; i++)
                for (size_t p = 0; p < P && p < CKPT_MAX_PROPS; p++) {
                    float truth = ds->props[(size_t)idx[s + i] * P + p];
                    if (!isfinite(truth)) continue;
                    mae[p] +=
                        fabs((double)pred[i * P + p] * ds->prop_std[p] + ds->prop_mean[p] - truth);
                    mae_n[p]++;
                }
        }
        if (beam > 1) {
            if ((st = cv_vae_decode_beam(vae, mu, B, beam, dec, declen, err))) goto done;
        } else {
            cv_vae_decode(vae, mu, B, 0.0f, NULL, dec, declen);
        }
        for (size_t i = 0; i < B; i++) {
            char *raw = cv_vocab_decode(&ds->vocab, dec + i * T, T);
            char *canon = raw ? cv_chem_canonical(raw) : NULL;
            const char *truth = dataset_smiles(ds, idx[s + i]);
            int hit = canon && strcmp(canon, truth) == 0;
            out->recon_hits += (size_t)hit;
            sim_sum += hit ? 1.0 : canon ? cv_chem_tanimoto_smiles(canon, truth) : 0.0;
            free(canon);
            free(raw);
        }
    }
    out->n_recon = n;
    out->reconstruction = n ? (double)out->recon_hits / (double)n : 0.0;
    out->recon_tanimoto = n ? sim_sum / (double)n : 0.0;
    out->P = P;
    for (size_t p = 0; p < P && p < CKPT_MAX_PROPS; p++)
        out->prop_mae[p] = mae_n[p] ? mae[p] / (double)mae_n[p] : NAN;

    if ((st = cv_dataset_split_indices(ds, CV_SPLIT_TRAIN, &train_idx, &n_train, err))) goto done;
    for (size_t i = 0; i < n_train; i++)
        if (cv_hashset64_add(&train_set, cv_hashset64_key(dataset_smiles(ds, train_idx[i]))) < 0)
            goto nomem;
    uniq = calloc(n_prior ? n_prior : 1, sizeof *uniq);
    if (!uniq) goto nomem;
    CvRng rng;
    cv_rng_init(&rng, seed);
    for (size_t s = 0; s < n_prior; s += Bmax) {
        size_t B = n_prior - s < Bmax ? n_prior - s : Bmax;
        cv_rng_fill_normal(&rng, mu, B * Z);
        cv_vae_decode(vae, mu, B, 0.0f, NULL, dec, declen);
        for (size_t i = 0; i < B; i++) {
            char *raw = cv_vocab_decode(&ds->vocab, dec + i * T, T);
            char *canon = raw ? cv_chem_canonical(raw) : NULL;
            if (!canon && raw)
                out->fail[cv_smiles_failure_classify(vae->grammar, dec + i * T, T, raw)]++;
            if (prior_smiles) prior_smiles[s + i] = raw;
            else free(raw);
            if (!canon) continue;
            out->n_valid++;
            uint64_t k = cv_hashset64_key(canon);
            int added = cv_hashset64_add(&seen, k);
            if (added < 0) {
                free(canon);
                goto nomem;
            }
            if (added) {
                out->n_novel += !cv_hashset64_has(&train_set, k);
                uniq[out->n_unique++] = canon;
            } else {
                free(canon);
            }
        }
    }
    out->n_prior = n_prior;
    out->validity = n_prior ? (double)out->n_valid / (double)n_prior : 0.0;
    out->uniqueness = out->n_valid ? (double)out->n_unique / (double)out->n_valid : 0.0;
    out->novelty = out->n_unique ? (double)out->n_novel / (double)out->n_unique : 0.0;
    out->int_div = internal_diversity(uniq, out->n_unique);
    goto done;
nomem:
    st = cv_error_set(err, CV_ERR_NOMEM, "out of memory during evaluation");
done:
    if (uniq)
        for (size_t i = 0; i < out->n_unique; i++) free(uniq[i]);
    free(uniq);
    cv_hashset64_free(&train_set);
    cv_hashset64_free(&seen);
    free(idx);
    free(train_idx);
    free(ids);
    free(dec);
    free(declen);
    free(mu);
    free(pred);
    return st;
}

CvStatus cv_eval_stochastic(Vae *vae, const CvDataset *ds, int split, size_t n, uint64_t seed,
                            EvalReport *out, CvError *err) {
    enum { ENC = 10, DEC = 10, PER = ENC * DEC };
    const size_t Bmax = vae->max_B, T = ds->T, Z = (size_t)vae->cfg.Z;
    uint32_t *idx = NULL;
    size_t n_split = 0, hits = 0;
    CvStatus st = cv_dataset_split_indices(ds, split, &idx, &n_split, err);
    if (st) return st;
    if (n > n_split) n = n_split;
    /* the n molecules encoded once, in batches; their ENC encodings z = mu + sigma * eps */
    int32_t *ids = malloc(Bmax * T * sizeof *ids), *dec = malloc(Bmax * T * sizeof *dec);
    int32_t *declen = malloc(Bmax * sizeof *declen);
    float *mu = malloc((n ? n : 1) * Z * sizeof *mu), *lv = malloc((n ? n : 1) * Z * sizeof *lv);
    float *enc = malloc((n ? n : 1) * ENC * Z * sizeof *enc), *z = malloc(Bmax * Z * sizeof *z);
    if (!ids || !dec || !declen || !mu || !lv || !enc || !z) {
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t s = 0; s < n; s += Bmax) {
        size_t B = n - s < Bmax ? n - s : Bmax;
        cv_dataset_fill_ids(ds, idx + s, B, ids);
        cv_vae_encode(vae, ids, B, mu + s * Z, lv + s * Z);
    }
    CvRng rng;
    cv_rng_init(&rng, seed ^ 0x570c4a57ULL);
    cv_rng_fill_normal(&rng, enc, n * ENC * Z);
    for (size_t i = 0; i < n; i++)
        for (size_t e = 0; e < ENC; e++)
            for (size_t d = 0; d < Z; d++) {
                float *x = &enc[(i * ENC + e) * Z + d];
                *x = mu[i * Z + d] + expf(0.5f * lv[i * Z + d]) * *x;
            }
    /* decode row r = molecule r / 100, encoding (r % 100) / DEC, max_B rows at a time */
    size_t total = n * PER;
    for (size_t s = 0; s < total; s += Bmax) {
        size_t B = total - s < Bmax ? total - s : Bmax;
        for (size_t b = 0; b < B; b++) {
            size_t r = s + b;
            memcpy(z + b * Z, enc + (r / PER * ENC + (r % PER) / DEC) * Z, Z * sizeof *z);
        }
        cv_vae_decode(vae, z, B, 1.0f, &rng, dec, declen);
        for (size_t b = 0; b < B; b++) {
            char *raw = cv_vocab_decode(&ds->vocab, dec + b * T, T);
            char *canon = raw ? cv_chem_canonical(raw) : NULL;
            hits += canon && strcmp(canon, dataset_smiles(ds, idx[(s + b) / PER])) == 0;
            free(canon);
            free(raw);
        }
    }
    out->n_stoch = n;
    out->stoch_recon = total ? (double)hits / (double)total : 0.0;
done:
    free(idx);
    free(ids);
    free(dec);
    free(declen);
    free(mu);
    free(lv);
    free(enc);
    free(z);
    return st;
}
