/* app_sample.c — the sample job (see app_sample.h). A scorer sees each chunk's distinct
 * valid molecules once per chunk (its cache skips those seen in earlier chunks); its values
 * of the distinct molecules are looked up once all are known. */
#include "chemvae/app/app_sample.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/data/dataset.h"
#include "chemvae/model/evaluate.h"

#define F(field) offsetof(CvSampleConfig, field)
static const CvParam PARAMS[] = {
    CV_PARAM(NULL, 'n', CV_PARAM_SIZE, F(n), "N", "latent vectors to draw (default 100)",
             .key = "n"),
    CV_PARAM("around", 0, CV_PARAM_STRING, F(around), "SMILES",
             "draw around this molecule's mu instead of N(0, I)"),
    CV_PARAM("radius", 0, CV_PARAM_DOUBLE, F(radius), "R",
             "noise scale around the molecule (default 1)"),
    CV_PARAM("attempts", 0, CV_PARAM_SIZE, F(attempts), "K",
             "decodes per latent vector (default 1)"),
    CV_PARAM("temperature", 0, CV_PARAM_TEMPERATURE, F(temperature), "X",
             "first decode: 0 = greedy (default), > 0 samples softmax(logits/X)"),
    CV_PARAM("retry-temperature", 0, CV_PARAM_TEMPERATURE, F(retry_temperature), "X",
             "decodes 2..K (default 1)"),
    CV_PARAM("seed", 0, CV_PARAM_U64, F(seed), "N", "seed (default 1)"),
    CV_PARAM(
        "beam", 0, CV_PARAM_INT, F(beam), "K",
        "the first (greedy) decode of each vector as a beam search of\nK hypotheses (default 1)"),
    CV_PARAM("rescue", 0, CV_PARAM_RESCUE, F(rescue), "K", CV_RESCUE_HELP),
    CV_PARAM("data", 0, CV_PARAM_STRING, F(train_data), "FILE.cvds",
             "count molecules not in its train split as novel"),
    CV_PARAM("scorer", 0, CV_PARAM_STRING, F(scorer), "CMD",
             CV_SCORER_HELP ": a score\ncolumn, best first"),
    CV_PARAM("scorer-timeout", 0, CV_PARAM_DOUBLE, F(scorer_timeout), "S", CV_SCORER_TIMEOUT_HELP),
};
#undef F
const CvParamTable cv_sample_params = CV_PARAM_TABLE(PARAMS);

/* Keys of the train split's SMILES (for novelty). */
static CvStatus load_train_set(const char *path, HashSet64 *set, CvError *err) {
    CvDataset ds = {0};
    uint32_t *idx = NULL;
    size_t n = 0;
    CvStatus st = cv_dataset_load(&ds, path, err);
    if (!st) st = cv_dataset_split_indices(&ds, CV_SPLIT_TRAIN, &idx, &n, err);
    for (size_t i = 0; !st && i < n; i++)
        if (cv_hashset64_add(set, cv_hashset64_key(dataset_smiles(&ds, idx[i]))) < 0)
            st = cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", path);
    free(idx);
    cv_dataset_free(&ds);
    return st;
}

static CvStatus check_config(const CvModel *m, const CvSampleConfig *c, CvError *err) {
    if (c->n < 1 || c->attempts < 1)
        return cv_error_set(err, CV_ERR_INVALID, "sample: n and attempts must be at least 1");
    if (c->beam < 1 || (size_t)c->beam > m->vae.max_B)
        return cv_error_set(err, CV_ERR_INVALID, "sample: beam must be in 1..%zu, got %d",
                            m->vae.max_B, c->beam);
    if (c->rescue < 1 || c->rescue > CV_MAX_RESCUE)
        return cv_error_set(err, CV_ERR_INVALID, "sample: rescue must be in 1..%d, got %d",
                            CV_MAX_RESCUE, c->rescue);
    if (!(c->temperature >= 0) || !(c->retry_temperature >= 0) || !(c->radius >= 0))
        return cv_error_set(err, CV_ERR_INVALID,
                            "sample: temperatures and radius must be finite and >= 0");
    if ((c->scorer && !*c->scorer) || !(c->scorer_timeout >= 0))
        return cv_error_set(err, CV_ERR_INVALID,
                            "sample: --scorer needs a command and --scorer-timeout must be >= 0");
    return CV_OK;
}

/* The job's working memory for one chunk of vectors. */
typedef struct {
    float *center, *z;
    double *sim;
    char *pred;
    LatentMol *mols;
    uint64_t around_fp[LATENT_FP_WORDS];
    HashSet64 train;
    CvScorer scorer;     /* cmd NULL: none */
    const char **smiles; /* (CV_SAMPLE_CHUNK · K) the scorer's input, */
    ChemScores *scores;  /* its molecules' scores, */
    double *values;      /* its output */
} SampleWork;

static CvStatus work_alloc(SampleWork *w, size_t Z, size_t K, size_t pred_stride, CvError *err) {
    w->center = calloc(Z, sizeof *w->center);
    w->z = malloc((size_t)CV_SAMPLE_CHUNK * Z * sizeof *w->z);
    w->sim = malloc((size_t)CV_SAMPLE_CHUNK * K * sizeof *w->sim);
    w->pred = malloc((size_t)CV_SAMPLE_CHUNK * pred_stride);
    w->mols = calloc((size_t)CV_SAMPLE_CHUNK * K, sizeof *w->mols);
    w->smiles = malloc((size_t)CV_SAMPLE_CHUNK * K * sizeof *w->smiles);
    w->scores = malloc((size_t)CV_SAMPLE_CHUNK * K * sizeof *w->scores);
    w->values = malloc((size_t)CV_SAMPLE_CHUNK * K * sizeof *w->values);
    if (w->center && w->z && w->sim && w->pred && w->mols && w->smiles && w->scores && w->values)
        return CV_OK;
    return cv_error_set(err, CV_ERR_NOMEM, "sample: out of memory");
}

static void work_free(SampleWork *w, size_t K) {
    if (w->mols) cv_latent_mols_free(w->mols, (size_t)CV_SAMPLE_CHUNK * K);
    free(w->mols);
    free(w->smiles);
    free(w->scores);
    free(w->values);
    cv_scorer_free(&w->scorer);
    free(w->pred);
    free(w->sim);
    free(w->z);
    free(w->center);
    cv_hashset64_free(&w->train);
}

/* The scorer's values of the valid molecules of n decodes (the new ones in one run). */
static CvStatus score_chunk(SampleWork *w, size_t n, CvError *err) {
    size_t k = 0;
    for (size_t r = 0; r < n; r++)
        if (w->mols[r].valid)
            w->smiles[k] = w->mols[r].canonical, w->scores[k++] = w->mols[r].scores;
    return cv_scorer_score(&w->scorer, k, w->smiles, w->scores, w->values, err);
}

/* Draws, decodes and records vectors [s, s + N). */
static CvStatus sample_chunk(CvModel *m, const CvSampleConfig *c, const CvHooks *h, SampleWork *w,
                             CvRng *zrng, CvRng *drng, size_t s, size_t N, CvSampleResult *res,
                             CvError *err) {
    size_t Z = (size_t)m->vae.cfg.Z, K = c->attempts;
    if (res->around) cv_latent_sample_around(zrng, w->center, (float)c->radius, w->z, N, Z);
    else cv_latent_sample_prior(zrng, w->z, N, Z);
    LatentDecodeOpts dopt = {K, (float)c->temperature, (float)c->retry_temperature, c->beam,
                             c->rescue};
    CvStatus st = cv_latent_decode(&m->vae, &m->vocab, w->z, N, &dopt, drng, w->mols, err);
    if (st) return st;
    for (size_t r = 0; r < N * K; r++) {
        w->sim[r] = NAN;
        if (w->mols[r].valid && res->around)
            w->sim[r] = cv_latent_similarity(w->mols[r].canonical, w->around_fp);
        res->n_valid += (size_t)w->mols[r].valid;
    }
    res->n_decodes += N * K;
    cv_count_failures(w->mols, N * K, res->failures);
    st = cv_latent_uniq_add_mols(&res->uniq, w->mols, N * K, s * K, err);
    if (!st && w->scorer.cmd) st = score_chunk(w, N * K, err);
    if (!st && (h && (h->db || h->rows))) {
        cv_model_predicted_json(m, w->z, N, NULL, w->pred);
        CvGenBatch b = {.method = "sample",
                        .N = N,
                        .K = K,
                        .Z = Z,
                        .z = w->z,
                        .step0 = (int64_t)s,
                        .source = res->around ? res->around : "prior",
                        .predicted = w->pred,
                        .pred_stride = cv_model_predicted_stride(m),
                        .sim = res->around ? w->sim : NULL};
        st = cv_hooks_rows(h, &b, w->mols, err);
        if (!st && w->scorer.cmd) st = cv_scorer_record(&w->scorer, h, err);
    }
    cv_latent_mols_free(w->mols, N * K);
    return st;
}

/* Novelty and similarity of the distinct molecules, once all are known. */
static CvStatus annotate_unique(const CvSampleConfig *c, const SampleWork *w, CvSampleResult *res,
                                CvError *err) {
    size_t n = res->uniq.n ? res->uniq.n : 1;
    if (c->train_data && !(res->novel = calloc(n, 1)))
        return cv_error_set(err, CV_ERR_NOMEM, "sample: out of memory");
    if (res->around && !(res->similarity = malloc(n * sizeof *res->similarity)))
        return cv_error_set(err, CV_ERR_NOMEM, "sample: out of memory");
    if (c->scorer && !(res->score = malloc(n * sizeof *res->score)))
        return cv_error_set(err, CV_ERR_NOMEM, "sample: out of memory");
    res->scorer_calls = w->scorer.calls;
    for (size_t i = 0; i < res->uniq.n; i++) {
        const char *smi = res->uniq.items[i].smiles;
        if (res->novel) {
            res->novel[i] = !cv_hashset64_has(&w->train, cv_hashset64_key(smi));
            res->n_novel += res->novel[i];
        }
        if (res->similarity) res->similarity[i] = cv_latent_similarity(smi, w->around_fp);
        if (res->score) res->score[i] = cv_scorer_value(&w->scorer, smi);
    }
    return CV_OK;
}

static CvStatus finish(const CvSampleConfig *c, const CvHooks *h, const CvSampleResult *r,
                       CvError *err) {
    double nd = (double)r->n_decodes, nv = (double)r->n_valid, nu = (double)r->uniq.n;
    CvMetric mt[10 + SMILES_FAIL_COUNT] = {
        {"decodes", nd},
        {"valid", nv},
        {"unique", nu},
        {"validity", nd ? nv / nd : NAN},
        {"uniqueness", nv ? nu / nv : NAN},
        {"novel", c->train_data ? (double)r->n_novel : NAN},
        {"novelty", c->train_data && nu ? (double)r->n_novel / nu : NAN},
        {"scorer_calls", c->scorer ? (double)r->scorer_calls : NAN},
        {"scorer_molecules", c->scorer ? nu : NAN}};
    size_t n = 9 + cv_failure_metrics(r->failures, mt + 9);
    return cv_run_finish(h, mt, n, r->interrupted, err);
}

CvStatus cv_sample(CvModel *m, const CvSampleConfig *c, const CvHooks *h, CvSampleResult *res,
                   CvError *err) {
    memset(res, 0, sizeof *res);
    size_t Z = (size_t)m->vae.cfg.Z, K = c->attempts;
    SampleWork w = {0};
    cv_scorer_init(&w.scorer, c->scorer, c->scorer_timeout);
    CvStatus st = check_config(m, c, err);
    if (!st && c->train_data) st = load_train_set(c->train_data, &w.train, err);
    if (!st) st = work_alloc(&w, Z, K ? K : 1, cv_model_predicted_stride(m), err);
    if (!st && c->around) {
        st = cv_latent_encode_smiles(&m->vae, &m->vocab, c->around, w.center, &res->around, err);
        if (!st) st = cv_latent_fingerprint(res->around, w.around_fp, err);
    }
    CvRng zrng, drng;
    cv_rng_init(&zrng, c->seed);
    cv_rng_init(&drng, c->seed ^ 0x5eed0decULL);
    if (!st) cv_hooks_progress(h, 0, c->n, NULL);
    for (size_t s = 0; !st && s < c->n; s += CV_SAMPLE_CHUNK) {
        if ((res->interrupted = cv_hooks_interrupted(h))) break;
        size_t N = c->n - s < CV_SAMPLE_CHUNK ? c->n - s : CV_SAMPLE_CHUNK;
        st = sample_chunk(m, c, h, &w, &zrng, &drng, s, N, res, err);
        if (st) break;
        res->n_done = s + N;
        char status[64];
        snprintf(status, sizeof status, "valid %.1f%%",
                 100.0 * (double)res->n_valid / (double)res->n_decodes);
        cv_hooks_progress(h, res->n_done, c->n, status);
    }
    if (!st) st = annotate_unique(c, &w, res, err);
    if (!st) st = finish(c, h, res, err);
    if (st) cv_run_fail(h);
    work_free(&w, K ? K : 1);
    return st;
}

typedef struct {
    double score;
    size_t i;
} ByScore;

/* Best score first, NaN last, ties in order of appearance. */
static int by_score_desc(const void *x, const void *y) {
    const ByScore *a = x, *b = y;
    if (isnan(a->score) != isnan(b->score)) return isnan(a->score) ? 1 : -1;
    if (a->score != b->score && !isnan(a->score)) return a->score < b->score ? 1 : -1;
    return (a->i > b->i) - (a->i < b->i);
}

void cv_sample_write(const CvSampleConfig *c, const CvSampleResult *r, FILE *fp,
                     CvRowsFormat format) {
    char header[128];
    snprintf(header, sizeof header, "smiles,count,first_index,mw,logp,qed,sa,penalized_logp%s%s%s",
             r->similarity ? ",similarity" : "", r->novel ? ",novel" : "",
             r->score ? ",score" : "");
    ByScore *order = malloc((r->uniq.n ? r->uniq.n : 1) * sizeof *order);
    for (size_t k = 0; order && k < r->uniq.n; k++)
        order[k] = (ByScore){r->score ? r->score[k] : 0.0, k};
    if (order && r->score) qsort(order, r->uniq.n, sizeof *order, by_score_desc);
    CvRows t;
    cv_rows_begin(&t, fp, format, header, "sample");
    for (size_t k = 0; k < r->uniq.n; k++) {
        size_t i = order ? order[k].i : k; /* out of memory: in order of appearance */
        const LatentUniqEntry *e = &r->uniq.items[i];
        cv_row_smiles(&t, "smiles", e->smiles);
        cv_row_count(&t, "count", e->count);
        cv_row_count(&t, "first_index", e->first / c->attempts);
        cv_row_scores(&t, &e->scores);
        if (r->similarity) cv_row_real(&t, "similarity", r->similarity[i]);
        if (r->novel) cv_row_flag(&t, "novel", r->novel[i]);
        if (r->score) cv_row_float(&t, "score", r->score[i]);
        cv_row_end(&t);
    }
    cv_rows_end(&t);
    free(order);
}

void cv_sample_result_free(CvSampleResult *res) {
    cv_latent_uniq_free(&res->uniq);
    free(res->novel);
    free(res->similarity);
    free(res->score);
    free(res->around);
    memset(res, 0, sizeof *res);
}

void cv_sample_summary(const CvSampleConfig *c, const CvSampleResult *r, FILE *fp) {
    if (r->interrupted)
        fprintf(fp, "chemvae sample: interrupted after %zu of %zu vectors\n", r->n_done, c->n);
    fprintf(fp,
            "chemvae sample: %zu vectors x %zu attempts = %zu decodes: valid %zu (%.1f%%), unique "
            "%zu (%.1f%% of valid)",
            r->n_done, c->attempts, r->n_decodes, r->n_valid,
            r->n_decodes ? 100.0 * (double)r->n_valid / (double)r->n_decodes : 0.0, r->uniq.n,
            r->n_valid ? 100.0 * (double)r->uniq.n / (double)r->n_valid : 0.0);
    if (r->novel)
        fprintf(fp, ", novel %zu (%.1f%% of unique)", r->n_novel,
                r->uniq.n ? 100.0 * (double)r->n_novel / (double)r->uniq.n : 0.0);
    cv_failures_write(fp, r->failures);
    if (c->scorer)
        fprintf(fp, "; scores by the scorer '%s' in %zu runs of it", c->scorer, r->scorer_calls);
}
