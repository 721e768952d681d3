/* decode.c — decoding strategies over cv_vae_decode, duplicate folding, latent sources and
 * paths (see include/chemvae/latent/latent.h).
 *
 * cv_latent_decode groups the rows by temperature: the N first attempts form one group, the
 * N·(K−1) retries (one shared temperature) another, each decoded in chunks of max_B
 * vectors so the GRU's batched inference path always sees full batches — K retries of 3
 * vectors are one batch of 3(K−1), not K−1 batches of 3. Replicated z rows for the retries
 * live in one scratch buffer of max_B·Z floats, filled chunk by chunk. Each chunk's strings
 * are validated and scored by RDKit on the BLAS thread count (cv_nn_parallel_rows): RDKit
 * was most of the wall time of `optimize` once decoding got fast.
 *
 * LatentUniq keys canonical SMILES by FNV-1a 64 into an open-addressing table of item
 * indices and compares the strings on a hash hit, so distinct molecules are never folded
 * together (HashSet64 keeps only the keys, which is enough for counting but not for
 * counts per molecule). */
#include "chemvae/latent/latent.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/core/fileio.h"
#include "chemvae/nn/rowpar.h"

void cv_latent_mols_free(LatentMol *mols, size_t n) {
    if (!mols) return;
    for (size_t i = 0; i < n; i++) {
        free(mols[i].raw);
        free(mols[i].canonical);
        memset(&mols[i], 0, sizeof mols[i]);
    }
}

/* Where decoded row b of a chunk starting at row s goes: first attempts (retry = 0) fill
 * out[row * K]; retry row r is vector r / (K−1), attempt 1 + r % (K−1). */
typedef struct {
    const CvVocab *vocab;
    const SmilesGrammar *grammar; /* NULL-able: failure classes from RDKit alone */
    const int32_t *ids;           /* (B, T) of the chunk */
    size_t T, K, s;
    int retry;
    LatentMol *out;
    LatentMol *into; /* non-NULL: row b of the chunk goes to into[b] instead (rescue) */
    size_t failed[NN_MAX_WORKERS]; /* per worker: first chunk row out of memory, or SIZE_MAX */
} ScoreJob;

static LatentMol *score_target(const ScoreJob *j, size_t b) {
    if (j->into) return &j->into[b];
    size_t r = j->s + b;
    return j->retry ? &j->out[r / (j->K - 1) * j->K + 1 + r % (j->K - 1)] : &j->out[r * j->K];
}

/* ids -> SMILES -> RDKit validation, canonical form and scores for rows [b0, b1). The chem
 * module is thread-safe (tests/test_chem_threads.c), so workers score disjoint rows. */
static void score_chunk(void *ctx, size_t b0, size_t b1, int worker) {
    ScoreJob *j = ctx;
    for (size_t b = b0; b < b1; b++) {
        LatentMol *m = score_target(j, b);
        m->raw = cv_vocab_decode(j->vocab, j->ids + b * j->T, j->T);
        if (m->raw) m->valid = cv_chem_score_smiles(m->raw, &m->scores, &m->canonical);
        if (m->raw && !m->valid)
            m->failure = cv_smiles_failure_classify(j->grammar, j->ids + b * j->T, j->T, m->raw);
        if (!m->raw || (m->valid && !m->canonical)) {
            j->failed[worker] = b;
            return;
        }
    }
}

/* Scores the B decoded rows of a chunk on as many threads as the BLAS has. */
static CvStatus score_rows(ScoreJob *j, size_t B, CvError *err) {
    for (int w = 0; w < NN_MAX_WORKERS; w++) j->failed[w] = SIZE_MAX;
    cv_nn_parallel_rows(B, cv_nn_row_workers(B, 8), score_chunk, j);
    for (int w = 0; w < NN_MAX_WORKERS; w++) {
        if (j->failed[w] == SIZE_MAX) continue;
        const LatentMol *m = score_target(j, j->failed[w]);
        if (!m->raw) return cv_error_set(err, CV_ERR_NOMEM, "out of memory decoding a SMILES");
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory canonicalizing '%s'", m->raw);
    }
    return CV_OK;
}

/* One rescue pass: every first attempt of job->out that is not a molecule is decoded
 * again by a beam of `width`, max_B vectors at a time, and scored into a side array; a
 * valid rescue replaces the invalid decode. zrep, ids, len are the caller's batch scratch. */
static CvStatus rescue_pass(Vae *vae, const ScoreJob *job, const float *z, size_t N, int width,
                            float *zrep, int32_t *ids, int32_t *len, CvError *err) {
    size_t Z = (size_t)vae->cfg.Z, K = job->K, Bmax = vae->max_B;
    size_t *which = malloc(Bmax * sizeof *which);
    LatentMol *side = calloc(Bmax, sizeof *side), *out = job->out;
    CvStatus st = CV_OK;
    if (!which || !side) {
        free(which), free(side);
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < N && st == CV_OK;) {
        size_t B = 0;
        for (; i < N && B < Bmax; i++)
            if (!out[i * K].valid) {
                which[B] = i;
                memcpy(zrep + B * Z, z + i * Z, Z * sizeof *zrep);
                B++;
            }
        if (!B) break;
        ScoreJob rescue = *job;
        rescue.into = side;
        if ((st = cv_vae_decode_beam(vae, zrep, B, width, ids, len, err)) ||
            (st = score_rows(&rescue, B, err)))
            break;
        for (size_t k = 0; k < B; k++) {
            if (side[k].valid) {
                cv_latent_mols_free(&out[which[k] * K], 1);
                out[which[k] * K] = side[k];
                memset(&side[k], 0, sizeof side[k]);
            }
        }
        cv_latent_mols_free(side, B);
    }
    cv_latent_mols_free(side, Bmax);
    free(which), free(side);
    return st;
}

CvStatus cv_latent_decode(Vae *vae, const CvVocab *vocab, const float *z, size_t N,
                          const LatentDecodeOpts *opts, CvRng *rng, LatentMol *out, CvError *err) {
    LatentDecodeOpts one = {1, 0.0f, 0.0f, 1, 0};
    if (!opts) opts = &one;
    size_t K = opts->attempts ? opts->attempts : 1;
    size_t Z = (size_t)vae->cfg.Z, T = (size_t)vae->cfg.T, Bmax = vae->max_B;
    memset(out, 0, N * K * sizeof *out);
    int32_t *ids = malloc(Bmax * T * sizeof *ids), *len = malloc(Bmax * sizeof *len);
    float *zrep = malloc(Bmax * Z * sizeof *zrep);
    CvStatus st = CV_OK;
    if (!ids || !len || !zrep) {
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory for a decoding batch of %zu", Bmax);
        goto fail;
    }
    /* first attempts: z rows as given */
    ScoreJob job = {
        .vocab = vocab, .grammar = vae->grammar, .ids = ids, .T = T, .K = K, .out = out};
    for (size_t s = 0; s < N; s += Bmax) {
        size_t B = N - s < Bmax ? N - s : Bmax;
        if (opts->beam > 1 && opts->temperature <= 0.0f) {
            if ((st = cv_vae_decode_beam(vae, z + s * Z, B, opts->beam, ids, len, err))) goto fail;
        } else {
            cv_vae_decode(vae, z + s * Z, B, opts->temperature, rng, ids, len);
        }
        job.s = s, job.retry = 0;
        if ((st = score_rows(&job, B, err))) goto fail;
    }
    /* rescue: a beam of a quarter of the width first, the full width only for what it
     * left invalid (most failures are rescued by the narrow beam, at a quarter of the cost) */
    int rescue_k = (size_t)opts->rescue <= Bmax ? opts->rescue : (int)Bmax;
    if (rescue_k > 1 && opts->temperature <= 0.0f && opts->beam <= 1) {
        if (rescue_k / 4 >= 2 &&
            (st = rescue_pass(vae, &job, z, N, rescue_k / 4, zrep, ids, len, err)))
            goto fail;
        if ((st = rescue_pass(vae, &job, z, N, rescue_k, zrep, ids, len, err))) goto fail;
    }
    /* retries: row r of the N·(K−1) rows is vector r / (K−1), attempt 1 + r % (K−1) */
    size_t R = N * (K - 1);
    for (size_t s = 0; s < R; s += Bmax) {
        size_t B = R - s < Bmax ? R - s : Bmax;
        for (size_t b = 0; b < B; b++)
            memcpy(zrep + b * Z, z + (s + b) / (K - 1) * Z, Z * sizeof *zrep);
        cv_vae_decode(vae, zrep, B, opts->retry_temperature, rng, ids, len);
        job.s = s, job.retry = 1;
        if ((st = score_rows(&job, B, err))) goto fail;
    }
    free(ids);
    free(len);
    free(zrep);
    return CV_OK;
fail:
    cv_latent_mols_free(out, N * K);
    free(ids);
    free(len);
    free(zrep);
    return st;
}

/* ---- LatentUniq -------------------------------------------------------------------------- */

static size_t uniq_slot(const LatentUniq *u, const char *s, uint64_t h) {
    size_t mask = u->nslots - 1, j = (size_t)(h * 0x9e3779b97f4a7c15ULL) & mask;
    while (u->slots[j] && strcmp(u->items[u->slots[j] - 1].smiles, s)) j = (j + 1) & mask;
    return j;
}

long cv_latent_uniq_find(const LatentUniq *u, const char *canonical) {
    if (!u->nslots) return -1;
    uint32_t v =
        u->slots[uniq_slot(u, canonical, cv_fnv1a64(CV_FNV64_INIT, canonical, strlen(canonical)))];
    return v ? (long)v - 1 : -1;
}

static int uniq_grow(LatentUniq *u) {
    if (u->n == u->cap) {
        size_t ncap = u->cap ? 2 * u->cap : 64;
        LatentUniqEntry *ni = realloc(u->items, ncap * sizeof *ni);
        if (!ni) return -1;
        u->items = ni;
        u->cap = ncap;
    }
    if ((u->n + 1) * 2 <= u->nslots) return 0;
    size_t ns = u->nslots ? 2 * u->nslots : 128;
    uint32_t *old = u->slots;
    size_t oldn = u->nslots;
    u->slots = calloc(ns, sizeof *u->slots);
    if (!u->slots) {
        u->slots = old;
        return -1;
    }
    u->nslots = ns;
    for (size_t k = 0; k < oldn; k++) {
        if (!old[k]) continue;
        const char *s = u->items[old[k] - 1].smiles;
        u->slots[uniq_slot(u, s, cv_fnv1a64(CV_FNV64_INIT, s, strlen(s)))] = old[k];
    }
    free(old);
    return 0;
}

CvStatus cv_latent_uniq_add(LatentUniq *u, const char *canonical, const ChemScores *scores,
                            size_t index, size_t *entry, int *is_new, CvError *err) {
    long at = cv_latent_uniq_find(u, canonical);
    if (at >= 0) {
        u->items[at].count++;
        if (entry) *entry = (size_t)at;
        if (is_new) *is_new = 0;
        return CV_OK;
    }
    char *copy = strdup(canonical);
    if (!copy || uniq_grow(u)) {
        free(copy);
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory adding '%s'", canonical);
    }
    LatentUniqEntry *e = &u->items[u->n];
    e->smiles = copy;
    if (scores) e->scores = *scores;
    else memset(&e->scores, 0, sizeof e->scores);
    e->count = 1;
    e->first = index;
    u->slots[uniq_slot(u, copy, cv_fnv1a64(CV_FNV64_INIT, copy, strlen(copy)))] =
        (uint32_t)(u->n + 1);
    if (entry) *entry = u->n;
    if (is_new) *is_new = 1;
    u->n++;
    return CV_OK;
}

CvStatus cv_latent_uniq_add_mols(LatentUniq *u, const LatentMol *mols, size_t n, size_t first_index,
                                 CvError *err) {
    for (size_t i = 0; i < n; i++) {
        if (!mols[i].valid) continue;
        CvStatus st = cv_latent_uniq_add(u, mols[i].canonical, &mols[i].scores, first_index + i,
                                         NULL, NULL, err);
        if (st) return st;
    }
    return CV_OK;
}

void cv_latent_uniq_free(LatentUniq *u) {
    for (size_t i = 0; i < u->n; i++) free(u->items[i].smiles);
    free(u->items);
    free(u->slots);
    memset(u, 0, sizeof *u);
}

/* ---- sources ----------------------------------------------------------------------------- */

void cv_latent_sample_prior(CvRng *rng, float *z, size_t N, size_t Z) {
    cv_rng_fill_normal(rng, z, N * Z);
}

void cv_latent_sample_around(CvRng *rng, const float *center, float radius, float *z, size_t N,
                             size_t Z) {
    cv_rng_fill_normal(rng, z, N * Z);
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < Z; k++) z[i * Z + k] = center[k] + radius * z[i * Z + k];
}

CvStatus cv_latent_encode_smiles(Vae *vae, const CvVocab *vocab, const char *smiles, float *mu,
                                 char **canonical, CvError *err) {
    size_t T = (size_t)vae->cfg.T, len;
    char *canon = cv_chem_canonical(smiles);
    if (!canon) return cv_error_set(err, CV_ERR_INVALID, "invalid SMILES '%s'", smiles);
    int32_t *row = malloc(T * sizeof *row);
    if (!row) {
        free(canon);
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory encoding '%s'", smiles);
    }
    CvStatus st = cv_vocab_encode(vocab, canon, T, 0, row, &len, err);
    if (st) {
        cv_error_prefix(err, "cannot encode '%s'", smiles);
        free(canon);
    } else {
        cv_vae_encode(vae, row, 1, mu, NULL);
        if (canonical) *canonical = canon;
        else free(canon);
    }
    free(row);
    return st;
}

/* ---- similarity ------------------------------------------------------------------------- */

CvStatus cv_latent_fingerprint(const char *smiles, uint64_t *fp, CvError *err) {
    ChemMol *m = cv_chem_mol_from_smiles(smiles);
    if (!m) return cv_error_set(err, CV_ERR_INVALID, "invalid SMILES '%s'", smiles);
    CvStatus st = cv_chem_mol_morgan(m, LATENT_FP_BITS, fp, err);
    cv_chem_mol_free(m);
    return st;
}

double cv_latent_similarity(const char *smiles, const uint64_t *ref) {
    uint64_t fp[LATENT_FP_WORDS];
    if (cv_latent_fingerprint(smiles, fp, NULL)) return NAN;
    return cv_chem_tanimoto_bits(fp, ref, LATENT_FP_BITS);
}

/* ---- paths ------------------------------------------------------------------------------- */

int cv_latent_parse_z(const char *line, float *z, size_t Z) {
    const char *p = line;
    char *end;
    (void)strtof(p, &end);
    if (end == p || (*end != ',' && *end != '\0' && *end != '\n' && *end != '\r')) {
        p = strchr(line, ',');
        if (!p) return -1;
        p++;
    }
    for (size_t k = 0; k < Z; k++) {
        while (*p == ' ') p++;
        if (!*p || *p == ',') return -1; /* strtof would skip newlines into the next field */
        z[k] = strtof(p, &end);
        if (end == p || !isfinite(z[k])) return -1;
        p = end;
        if (k + 1 < Z) {
            if (*p != ',') return -1;
            p++;
        }
    }
    while (*p == ' ' || *p == '\r' || *p == '\n') p++;
    return *p ? -1 : 0;
}

void cv_latent_lerp(const float *a, const float *b, size_t Z, double t, float *out) {
    for (size_t k = 0; k < Z; k++) out[k] = (float)((1.0 - t) * a[k] + t * b[k]);
}

void cv_latent_slerp(const float *a, const float *b, size_t Z, double t, float *out) {
    double na = 0, nb = 0, dot = 0;
    for (size_t k = 0; k < Z; k++) {
        na += (double)a[k] * a[k];
        nb += (double)b[k] * b[k];
        dot += (double)a[k] * b[k];
    }
    na = sqrt(na);
    nb = sqrt(nb);
    double c = na > 0 && nb > 0 ? dot / (na * nb) : 1.0;
    if (c > 1) c = 1;
    if (c < -1) c = -1;
    double omega = acos(c), so = sin(omega);
    if (omega < 1e-6 || so < 1e-12) {
        cv_latent_lerp(a, b, Z, t, out);
        return;
    }
    double wa = sin((1.0 - t) * omega) / so, wb = sin(t * omega) / so;
    for (size_t k = 0; k < Z; k++) out[k] = (float)(wa * a[k] + wb * b[k]);
}

double cv_latent_distance(const float *a, const float *b, size_t Z) {
    double s = 0;
    for (size_t k = 0; k < Z; k++) {
        double d = (double)a[k] - b[k];
        s += d * d;
    }
    return sqrt(s);
}
