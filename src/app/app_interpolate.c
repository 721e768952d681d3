/* app_interpolate.c — the interpolate job (see app_interpolate.h). The whole path is one
 * decode batch: decoded together, recorded in one transaction. The path's shape is a
 * parameter kind of its own (linear | slerp), defined beside the table. */
#include "chemvae/app/app_interpolate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const CvInterpolateConfig cv_interpolate_defaults = CV_INTERPOLATE_DEFAULTS;

/* "method": linear | slerp, into the int slerp flag */
static CvStatus parse_method(const char *name, const char *text, void *field, CvError *err) {
    int slerp = !strcmp(text, "slerp");
    if (!slerp && strcmp(text, "linear"))
        return cv_error_set(err, CV_ERR_INVALID, "%s must be linear or slerp, got '%s'", name,
                            text);
    *(int *)field = slerp;
    return CV_OK;
}
static void method_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const int *)field ? "slerp" : "linear");
}
static const CvParamType METHOD = {1, "SHAPE", parse_method, method_json};

#define F(field) offsetof(CvInterpolateConfig, field)
static const CvParam PARAMS[] = {
    CV_PARAM("from", 0, CV_PARAM_STRING, F(from), "SMILES", "the first end molecule"),
    CV_PARAM("to", 0, CV_PARAM_STRING, F(to), "SMILES", "the last end molecule"),
    CV_PARAM("method", 0, METHOD, F(slerp), NULL, "linear or slerp (default): the path's shape"),
    CV_PARAM("steps", 0, CV_PARAM_SIZE, F(steps), "N", "N intervals, N + 1 points (default 10)"),
    CV_PARAM("decodes", 0, CV_PARAM_SIZE, F(decodes), "K",
             "decodes per point: greedy + K-1 sampled (default 1)"),
    CV_PARAM("temperature", 0, CV_PARAM_TEMPERATURE, F(temperature), "X",
             "temperature of the sampled decodes (default 0.5)"),
    CV_PARAM("beam", 0, CV_PARAM_INT, F(beam), "K",
             "the greedy decode of each point as a beam of K"),
    CV_PARAM("rescue", 0, CV_PARAM_RESCUE, F(rescue), "K", CV_RESCUE_HELP),
    CV_PARAM("seed", 0, CV_PARAM_U64, F(seed), "N", "seed of the sampled decodes (default 1)",
             .flags = CV_PARAM_NOCONFIG),
};
#undef F
const CvParamTable cv_interpolate_params = CV_PARAM_TABLE(PARAMS);

CvStatus cv_interpolate_check(const CvInterpolateConfig *c, CvError *err) {
    if (!c->from || !c->to)
        return cv_error_set(err, CV_ERR_INVALID, "--from and --to are required");
    if (c->steps < 1 || c->decodes < 1)
        return cv_error_set(err, CV_ERR_INVALID, "--steps and --decodes must be >= 1");
    if (c->steps > CV_INTERPOLATE_MAX_STEPS || c->decodes > CV_INTERPOLATE_MAX_DECODES)
        return cv_error_set(err, CV_ERR_INVALID, "--steps is at most %d and --decodes at most %d",
                            CV_INTERPOLATE_MAX_STEPS, CV_INTERPOLATE_MAX_DECODES);
    if (!(c->temperature >= 0))
        return cv_error_set(err, CV_ERR_INVALID, "--temperature must be >= 0");
    if (c->rescue < 1 || c->rescue > CV_MAX_RESCUE)
        return cv_error_set(err, CV_ERR_INVALID, "--rescue must be in 1..%d, got %d", CV_MAX_RESCUE,
                            c->rescue);
    return CV_OK;
}

CvStatus cv_interpolate_prepare(CvModel *m, const CvInterpolateConfig *c, CvInterpolateResult *res,
                                CvError *err) {
    memset(res, 0, sizeof *res);
    CvStatus st = cv_interpolate_check(c, err);
    if (st) return st;
    size_t Z = (size_t)m->vae.cfg.Z, N = c->steps + 1;
    float *za = malloc(Z * sizeof *za), *zb = malloc(Z * sizeof *zb);
    res->n_points = N;
    res->z = malloc(N * Z * sizeof *res->z);
    res->distance = malloc(N * sizeof *res->distance);
    if (!za || !zb || !res->z || !res->distance)
        st = cv_error_set(err, CV_ERR_NOMEM, "interpolate: out of memory");
    if (!st) st = cv_latent_encode_smiles(&m->vae, &m->vocab, c->from, za, &res->from, err);
    if (!st) st = cv_latent_encode_smiles(&m->vae, &m->vocab, c->to, zb, &res->to, err);
    for (size_t i = 0; !st && i < N; i++) {
        float *zi = res->z + i * Z;
        double t = (double)i / (double)c->steps;
        if (c->slerp) cv_latent_slerp(za, zb, Z, t, zi);
        else cv_latent_lerp(za, zb, Z, t, zi);
        res->distance[i] = i ? res->distance[i - 1] + cv_latent_distance(zi - Z, zi, Z) : 0.0;
    }
    free(za);
    free(zb);
    res->prepared = !st;
    return st;
}

/* The working memory of the decoding. */
typedef struct {
    LatentMol *mols; /* (N·K) */
    double *sim;     /* (N·K) to FROM */
    char *pred;      /* (N · cv_model_predicted_stride) */
    char *source;    /* "FROM>>TO" */
    uint64_t fp_from[LATENT_FP_WORDS], fp_to[LATENT_FP_WORDS];
} PathWork;

static CvStatus work_alloc(CvModel *m, const CvInterpolateResult *r, size_t K, PathWork *w,
                           CvError *err) {
    size_t N = r->n_points, slen = strlen(r->from) + strlen(r->to) + 3;
    w->mols = calloc(N * K, sizeof *w->mols);
    w->sim = malloc(N * K * sizeof *w->sim);
    w->pred = malloc(N * cv_model_predicted_stride(m));
    w->source = malloc(slen);
    if (!w->mols || !w->sim || !w->pred || !w->source)
        return cv_error_set(err, CV_ERR_NOMEM, "interpolate: out of memory");
    snprintf(w->source, slen, "%s>>%s", r->from, r->to);
    CvStatus st = cv_latent_fingerprint(r->from, w->fp_from, err);
    return st ? st : cv_latent_fingerprint(r->to, w->fp_to, err);
}

static void work_free(PathWork *w, size_t n) {
    if (w->mols) cv_latent_mols_free(w->mols, n);
    free(w->mols);
    free(w->sim);
    free(w->pred);
    free(w->source);
}

/* Decodes the path, then the distinct molecules and their similarity to both ends. */
static CvStatus decode_path(CvModel *m, const CvInterpolateConfig *c, PathWork *w,
                            CvInterpolateResult *r, CvError *err) {
    size_t N = r->n_points, K = c->decodes;
    CvRng rng;
    cv_rng_init(&rng, c->seed);
    LatentDecodeOpts dopt = {K, 0.0f, (float)c->temperature, c->beam, c->rescue};
    CvStatus st = cv_latent_decode(&m->vae, &m->vocab, r->z, N, &dopt, &rng, w->mols, err);
    if (!st) st = cv_latent_uniq_add_mols(&r->uniq, w->mols, N * K, 0, err);
    if (st) return st;
    for (size_t i = 0; i < N * K; i++) {
        w->sim[i] = w->mols[i].valid ? cv_latent_similarity(w->mols[i].canonical, w->fp_from) : NAN;
        r->n_valid += (size_t)w->mols[i].valid;
    }
    r->n_decodes = N * K;
    size_t n = r->uniq.n ? r->uniq.n : 1;
    r->sim_from = malloc(n * sizeof *r->sim_from);
    r->sim_to = malloc(n * sizeof *r->sim_to);
    if (!r->sim_from || !r->sim_to)
        return cv_error_set(err, CV_ERR_NOMEM, "interpolate: out of memory");
    for (size_t u = 0; u < r->uniq.n; u++) {
        r->sim_from[u] = cv_latent_similarity(r->uniq.items[u].smiles, w->fp_from);
        r->sim_to[u] = cv_latent_similarity(r->uniq.items[u].smiles, w->fp_to);
    }
    return CV_OK;
}

static CvStatus record_path(CvModel *m, const CvInterpolateConfig *c, const CvHooks *h, PathWork *w,
                            const CvInterpolateResult *r, CvError *err) {
    if (!h || (!h->db && !h->rows)) return CV_OK;
    cv_model_predicted_json(m, r->z, r->n_points, NULL, w->pred);
    CvGenBatch b = {.method = "interpolate",
                    .N = r->n_points,
                    .K = c->decodes,
                    .Z = (size_t)m->vae.cfg.Z,
                    .z = r->z,
                    .step0 = 0,
                    .source = w->source,
                    .predicted = w->pred,
                    .pred_stride = cv_model_predicted_stride(m),
                    .sim = w->sim};
    return cv_hooks_rows(h, &b, w->mols, err);
}

CvStatus cv_interpolate(CvModel *m, const CvInterpolateConfig *c, const CvHooks *h,
                        CvInterpolateResult *res, CvError *err) {
    CvStatus st = res->prepared ? CV_OK : cv_interpolate_prepare(m, c, res, err);
    PathWork w = {0};
    if (!st) st = work_alloc(m, res, c->decodes, &w, err);
    if (!st && !(res->interrupted = cv_hooks_interrupted(h))) {
        st = decode_path(m, c, &w, res, err);
        if (!st && !(res->interrupted = cv_hooks_interrupted(h)))
            st = record_path(m, c, h, &w, res, err);
    }
    if (!st) st = cv_run_finish(h, NULL, 0, res->interrupted, err);
    if (st) cv_run_fail(h);
    work_free(&w, res->n_points * c->decodes);
    return st;
}

void cv_interpolate_write(const CvInterpolateConfig *c, const CvInterpolateResult *r, FILE *fp,
                          CvRowsFormat format) {
    CvRows t;
    cv_rows_begin(&t, fp, format, CV_INTERPOLATE_COLUMNS, "interpolate");
    for (size_t u = 0; u < r->uniq.n; u++) {
        const LatentUniqEntry *e = &r->uniq.items[u];
        size_t i = e->first / c->decodes;
        cv_row_count(&t, "step", i);
        cv_row_real(&t, "t", (double)i / (double)c->steps);
        cv_row_real(&t, "distance", r->distance[i]);
        cv_row_smiles(&t, "smiles", e->smiles);
        cv_row_count(&t, "count", e->count);
        cv_row_real(&t, "sim_from", r->sim_from[u]);
        cv_row_real(&t, "sim_to", r->sim_to[u]);
        cv_row_scores(&t, &e->scores);
        cv_row_end(&t);
    }
    cv_rows_end(&t);
}

void cv_interpolate_result_free(CvInterpolateResult *res) {
    cv_latent_uniq_free(&res->uniq);
    free(res->from);
    free(res->to);
    free(res->z);
    free(res->distance);
    free(res->sim_from);
    free(res->sim_to);
    memset(res, 0, sizeof *res);
}
