/* app_optimize.c — the optimize job (see app_optimize.h). The starts are resolved once into
 * the result (canonical SMILES + z0); cv_latent_optimize then moves them all together and hands
 * every decode point to a sink here, which reports progress, polls for an interrupt and
 * records the point through the hooks. The parameters' own kinds (the start list, a path
 * recorded as "" when absent) live here beside their table. */
#include "chemvae/app/app_optimize.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"
#include "chemvae/data/dataset.h"

const CvOptimizeConfig cv_optimize_defaults = CV_OPTIMIZE_DEFAULTS;

/* "start": appends to the list (a caller's array, cap 0, is copied first). */
static CvStatus parse_start(const char *name, const char *text, void *field, CvError *err) {
    CvSmilesList *l = field;
    if (l->n == l->cap || !l->cap) {
        size_t ncap = l->n < 8 ? 16 : 2 * l->n;
        const char **ns = malloc(ncap * sizeof *ns);
        if (!ns) return cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", name);
        if (l->n) memcpy(ns, l->smiles, l->n * sizeof *ns);
        if (l->cap) free(l->smiles);
        l->smiles = ns, l->cap = ncap;
    }
    l->smiles[l->n++] = text;
    return CV_OK;
}
static void start_json(CvJson *j, const void *field) {
    const CvSmilesList *l = field;
    cv_json_begin_array(j);
    for (size_t i = 0; i < l->n; i++) cv_json_string(j, l->smiles[i]);
    cv_json_end_array(j);
}
static const CvParamType START_LIST = {1, "SMILES", parse_start, start_json};

static CvStatus parse_path(const char *name, const char *text, void *field, CvError *err) {
    (void)name, (void)err;
    *(const char **)field = text;
    return CV_OK;
}
/* "" when not given, as optimize's runs have always stored it */
static void path_json(CvJson *j, const void *field) {
    const char *s = *(const char *const *)field;
    cv_json_string(j, s ? s : "");
}
static const CvParamType PATH_OR_EMPTY = {1, "FILE", parse_path, path_json};

#define F(field) offsetof(CvOptimizeConfig, field)
static const CvParam PARAMS[] = {
    /* a run stores the objective as the job reads it (res->objective) */
    CV_PARAM("objective", 0, CV_PARAM_STRING, F(objective), "EXPR",
             "plogp (default), logp, qed, sa, mw, a property of the\nhead by its column name, or a "
             "linear mix: '5*qed-sa',\n'pIC50 - 0.5*sa'",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("minimize", 0, CV_PARAM_SWITCH, F(minimize), NULL, "minimize instead of maximize",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("start", 0, START_LIST, F(start), "SMILES", "a start molecule (repeatable)",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("starts", 0, PATH_OR_EMPTY, F(starts_file), "FILE",
             "CSV with a smiles column (e.g.\ndatasets/zinc_opt_starts200.csv), .smi or .sdf",
             .key = "starts_file"),
    CV_PARAM("limit", 0, CV_PARAM_SIZE, F(limit), "N", "use the first N molecules of --starts"),
    CV_PARAM("from-data", 0, PATH_OR_EMPTY, F(from_data), "X.cvds",
             "the best train-split molecules of a dataset by the\nobjective"),
    CV_PARAM("top", 0, CV_PARAM_SIZE, F(top), "N", "how many of them (default 10)"),
    CV_PARAM("random", 0, CV_PARAM_SIZE, F(random), "N", "N starts z ~ N(0, I)"),
    CV_PARAM("steps", 0, CV_PARAM_SIZE, F(steps), "N", "gradient steps (default 100)"),
    CV_PARAM("lr", 0, CV_PARAM_DOUBLE, F(lr), "X", "step length in latent units (default 0.3)"),
    CV_PARAM("prior", 0, CV_PARAM_DOUBLE, F(prior), "X",
             "lambda of the lambda/2*|z|^2 penalty (default 0.01)"),
    CV_PARAM("trust-radius", 0, CV_PARAM_DOUBLE, F(trust_radius), "R",
             "stay within R of the start z (default 0: off)"),
    CV_PARAM("decode-every", 0, CV_PARAM_SIZE, F(decode_every), "K",
             "decode every K steps (default 5)"),
    CV_PARAM("decodes", 0, CV_PARAM_SIZE, F(decodes), "K",
             "decodes per z at each decode point: greedy + K-1\nsampled (default 8)"),
    CV_PARAM("temperature", 0, CV_PARAM_TEMPERATURE, F(temperature), "X",
             "temperature of the sampled decodes (default 0.7)"),
    CV_PARAM("constrained", 0, CV_PARAM_DOUBLE, F(delta), "DELTA",
             "only molecules with Tanimoto >= DELTA to the start\ncount"),
    CV_PARAM("beam", 0, CV_PARAM_INT, F(beam), "K",
             "the greedy decode at each decode point as a beam of K"),
    CV_PARAM("rescue", 0, CV_PARAM_RESCUE, F(rescue), "K", CV_RESCUE_HELP),
    CV_PARAM("seed", 0, CV_PARAM_U64, F(seed), "N", "seed (default 1)", .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("scorer", 0, CV_PARAM_STRING, F(scorer), "CMD",
             CV_SCORER_HELP ": it ranks the\nmolecules the head's gradient finds"),
    CV_PARAM("scorer-timeout", 0, CV_PARAM_DOUBLE, F(scorer_timeout), "S", CV_SCORER_TIMEOUT_HELP),
};
#undef F
const CvParamTable cv_optimize_params = CV_PARAM_TABLE(PARAMS);

CvStatus cv_optimize_check(const CvOptimizeConfig *c, CvError *err) {
    const char *bad = NULL;
    if (!c->start.n && !c->starts_file && !c->from_data && !c->random)
        bad = "no starts: give --start, --starts, --from-data or --random";
    else if (!(c->lr > 0)) bad = "--lr must be positive";
    else if (!(c->prior >= 0)) bad = "--prior must be >= 0";
    else if (!(c->trust_radius >= 0)) bad = "--trust-radius must be >= 0";
    else if (c->decode_every < 1 || c->decodes < 1)
        bad = "--decode-every and --decodes must be >= 1";
    else if (c->delta != -1.0 && !(c->delta >= 0 && c->delta <= 1))
        bad = "--constrained must be in [0, 1]";
    else if (c->from_data && c->top < 1) bad = "--top must be >= 1";
    else if (!(c->temperature >= 0)) bad = "--temperature must be >= 0";
    else if (!c->objective) bad = "no --objective";
    else if (c->scorer && !*c->scorer) bad = "--scorer needs a command";
    else if (!(c->scorer_timeout >= 0)) bad = "--scorer-timeout must be >= 0";
    if (bad) return cv_error_set(err, CV_ERR_INVALID, "%s", bad);
    if (c->rescue < 1 || c->rescue > CV_MAX_RESCUE)
        return cv_error_set(err, CV_ERR_INVALID, "--rescue must be in 1..%d, got %d", CV_MAX_RESCUE,
                            c->rescue);
    LatentObjective obj;
    return cv_latent_objective_parse(c->objective, &obj, err);
}

void cv_optimize_config_free(CvOptimizeConfig *c) {
    if (c->start.cap) free(c->start.smiles);
    c->start = (CvSmilesList){0};
}

/* The objective of c, parsed (and negated when minimized). */
static CvStatus parse_objective(const CvOptimizeConfig *c, LatentObjective *obj, CvError *err) {
    CvStatus st = cv_latent_objective_parse(c->objective, obj, err);
    if (!st && c->minimize) cv_latent_objective_negate(obj);
    return st;
}

/* The objective as a head value: offset + Σ wz[p]·y_p over m's z-scored predictions. */
static CvStatus bind_objective(const CvModel *m, const LatentObjective *obj, double *wz,
                               double *offset, CvError *err) {
    const char *names[CKPT_MAX_PROPS];
    for (int p = 0; p < m->meta.P && p < CKPT_MAX_PROPS; p++) names[p] = m->meta.prop_names[p];
    return cv_latent_objective_bind(obj, (size_t)m->meta.P, names, m->meta.prop_mean,
                                    m->meta.prop_std, wz, offset, err);
}

/* Appends a start (smiles owned, NULL for a random one; z has Z floats). */
static CvStatus starts_push(CvOptimizeResult *r, size_t Z, char *smiles, const float *z,
                            CvError *err) {
    if (r->n == r->cap) {
        size_t ncap = r->cap ? 2 * r->cap : 32;
        char **ns = realloc(r->start_smiles, ncap * sizeof *ns);
        if (ns) r->start_smiles = ns;
        float *nz = ns ? realloc(r->start_z, ncap * Z * sizeof *nz) : NULL;
        if (!nz) {
            free(smiles);
            return cv_error_set(err, CV_ERR_NOMEM, "out of memory for %zu starts", ncap);
        }
        r->start_z = nz;
        r->cap = ncap;
    }
    r->start_smiles[r->n] = smiles;
    memcpy(r->start_z + r->n * Z, z, Z * sizeof *z);
    r->n++;
    return CV_OK;
}

/* Keeps the message of a start that was skipped. */
static CvStatus note_skipped(CvOptimizeResult *r, const char *why, CvError *err) {
    char **ns = realloc(r->skipped, (r->n_skipped + 1) * sizeof *ns);
    if (ns) r->skipped = ns;
    if (!ns || !(ns[r->n_skipped] = strdup(why)))
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    r->n_skipped++;
    return CV_OK;
}

/* Encodes `smiles` and adds it as a start; unless `required`, a molecule the model cannot
 * encode is noted in r->skipped instead of failing. mu: Z floats of scratch. */
static CvStatus add_smiles(CvModel *m, CvOptimizeResult *r, const char *smiles, int required,
                           float *mu, CvError *err) {
    char *canon = NULL;
    CvStatus st = cv_latent_encode_smiles(&m->vae, &m->vocab, smiles, mu, &canon, err);
    if (st && !required) {
        char why[CV_ERRMSG_MAX];
        snprintf(why, sizeof why, "%s", err->msg);
        cv_error_clear(err);
        return note_skipped(r, why, err);
    }
    return st ? st : starts_push(r, (size_t)m->vae.cfg.Z, canon, mu, err);
}

typedef struct {
    double score;
    size_t row;
} Ranked;

static int ranked_desc(const void *x, const void *y) {
    double a = ((const Ranked *)x)->score, b = ((const Ranked *)y)->score;
    return (a < b) - (a > b);
}

/* The objective on ds's property columns in raw units: v = offset + Σ wz[p]·props[p]. */
static CvStatus bind_dataset(const CvDataset *ds, const LatentObjective *obj, double *wz,
                             double *offset, CvError *err) {
    double one[CKPT_MAX_PROPS], zero[CKPT_MAX_PROPS] = {0};
    for (size_t p = 0; p < CKPT_MAX_PROPS; p++) one[p] = 1.0;
    size_t P = ds->P < CKPT_MAX_PROPS ? ds->P : CKPT_MAX_PROPS;
    return cv_latent_objective_bind(obj, P, ds->prop_names, zero, one, wz, offset, err);
}

/* Ranks the train rows idx (n) of ds into rk by the TRUE objective, best first; returns how
 * many ranked rows are candidates. The dataset's property columns (raw units) preselect
 * 5·top candidates when they cover the objective (plogp as logP − SA); otherwise every
 * train molecule is scored with RDKit. An objective on a head property RDKit does not
 * compute is ranked by the dataset's columns alone (add_top_of_data checks they cover it):
 * they are the only true values there are. */
static size_t rank_train(const CvDataset *ds, const uint32_t *idx, size_t n, size_t top,
                         const LatentObjective *obj, Ranked *rk) {
    double wz[CKPT_MAX_PROPS] = {0}, off = 0;
    size_t cand = n;
    if (!bind_dataset(ds, obj, wz, &off, NULL)) {
        for (size_t i = 0; i < n; i++) {
            double v = off;
            for (size_t p = 0; p < ds->P && p < CKPT_MAX_PROPS; p++)
                v += wz[p] * (double)ds->props[(size_t)idx[i] * ds->P + p];
            rk[i] = (Ranked){v, idx[i]};
        }
        qsort(rk, n, sizeof *rk, ranked_desc);
        if (!cv_latent_objective_rdkit(obj)) return n;
        cand = 5 * top < n ? 5 * top : n;
    } else {
        for (size_t i = 0; i < n; i++) rk[i] = (Ranked){0, idx[i]};
    }
    for (size_t i = 0; i < cand; i++) {
        ChemScores sc;
        rk[i].score = cv_chem_score_smiles(dataset_smiles(ds, rk[i].row), &sc, NULL)
                          ? cv_latent_objective_true(obj, &sc)
                          : -INFINITY;
    }
    qsort(rk, cand, sizeof *rk, ranked_desc);
    return cand;
}

/* Adds the `top` train-split molecules of `path` by the true objective as starts. */
static CvStatus add_top_of_data(CvModel *m, CvOptimizeResult *r, const char *path, size_t top,
                                const LatentObjective *obj, float *mu, CvError *err) {
    CvDataset ds = {0};
    uint32_t *idx = NULL;
    Ranked *rk = NULL;
    size_t n = 0;
    double wz[CKPT_MAX_PROPS], off;
    CvStatus st = cv_dataset_load(&ds, path, err);
    if (!st && !cv_latent_objective_rdkit(obj) && bind_dataset(&ds, obj, wz, &off, NULL)) {
        char cols[256] = "none";
        for (size_t p = 0, len = 0; p < ds.P && len < sizeof cols; p++) {
            int k =
                snprintf(cols + len, sizeof cols - len, "%s%s", p ? ", " : "", ds.prop_names[p]);
            len += k > 0 ? (size_t)k : 0;
        }
        st = cv_error_set(err, CV_ERR_INVALID,
                          "--from-data %s: ranking its molecules by '%s' needs a column of the "
                          "dataset for each head property in it (its columns: %s)",
                          path, obj->text, cols);
    }
    if (!st) st = cv_dataset_split_indices(&ds, CV_SPLIT_TRAIN, &idx, &n, err);
    if (!st && !n) st = cv_error_set(err, CV_ERR_EMPTY, "%s: no train molecules", path);
    if (!st && !(rk = malloc(n * sizeof *rk)))
        st = cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", path);
    if (!st) {
        size_t cand = rank_train(&ds, idx, n, top, obj, rk);
        for (size_t i = 0; i < cand && i < top && !st; i++)
            st = add_smiles(m, r, dataset_smiles(&ds, rk[i].row), 0, mu, err);
    }
    free(rk);
    free(idx);
    cv_dataset_free(&ds);
    return st;
}

/* Every start of c, in order: the molecules, the file's (file, n_file), the best of the
 * dataset, the random z. */
static CvStatus resolve_starts(CvModel *m, const CvOptimizeConfig *c, const LatentObjective *obj,
                               char *const *file, size_t n_file, CvOptimizeResult *r,
                               CvError *err) {
    size_t Z = (size_t)m->vae.cfg.Z;
    float *mu = malloc(Z * sizeof *mu);
    if (!mu) return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    CvStatus st = CV_OK;
    for (size_t i = 0; i < c->start.n && !st; i++)
        st = add_smiles(m, r, c->start.smiles[i], 1, mu, err);
    for (size_t i = 0; i < n_file && !st; i++) st = add_smiles(m, r, file[i], 0, mu, err);
    if (!st && c->from_data) st = add_top_of_data(m, r, c->from_data, c->top, obj, mu, err);
    cv_rng_init(&r->rng, c->seed);
    for (size_t i = 0; i < c->random && !st; i++) {
        cv_latent_sample_prior(&r->rng, mu, 1, Z);
        st = starts_push(r, Z, NULL, mu, err);
    }
    if (!st && !r->n) st = cv_error_set(err, CV_ERR_EMPTY, "no usable start molecule");
    free(mu);
    return st;
}

CvStatus cv_optimize_prepare(CvModel *m, const CvOptimizeConfig *c, CvOptimizeResult *res,
                             CvError *err) {
    memset(res, 0, sizeof *res);
    res->best_start = SIZE_MAX;
    res->best_found = NAN;
    LatentObjective obj;
    double wz[CKPT_MAX_PROPS], off;
    char **file = NULL;
    size_t n_file = 0;
    CvStatus st = cv_optimize_check(c, err);
    if (!st) st = parse_objective(c, &obj, err);
    if (!st && c->starts_file)
        st = cv_read_smiles_csv(c->starts_file, c->limit, &file, &n_file, err);
    if (!st) st = bind_objective(m, &obj, wz, &off, err);
    if (!st) {
        snprintf(res->objective, sizeof res->objective, "%s", obj.text);
        res->has_true = c->scorer || cv_latent_objective_rdkit(&obj);
        st = resolve_starts(m, c, &obj, file, n_file, res, err);
    }
    cv_free_strings(file, n_file);
    res->prepared = !st;
    return st;
}

/* What the sink needs at each decode point. */
typedef struct {
    CvModel *m;
    const CvHooks *h;
    size_t steps;
    const char **sources; /* (S) start SMILES or "random" */
    int64_t *step;        /* (S) the decode point's step, for every row */
    char *pred;           /* (S · cv_model_predicted_stride) */
    CvOptimizeResult *res;
    CvScorer *scorer; /* NULL-able: its new values are recorded after the decode point's */
} SinkCtx;

static CvStatus opt_sink(void *ctx, size_t step, size_t S, size_t K, const float *z,
                         const double *head, const float *pred, const LatentMol *mols,
                         const double *sim, CvError *err) {
    (void)pred;
    SinkCtx *c = ctx;
    if ((c->res->interrupted = cv_hooks_interrupted(c->h))) {
        c->res->interrupted_step = step;
        return cv_error_set(err, CV_ERR_INTERRUPTED, "interrupted at step %zu", step);
    }
    double mean = 0;
    for (size_t s = 0; s < S; s++) mean += head[s] / (double)S;
    char status[64];
    snprintf(status, sizeof status, "head %.3f", mean);
    cv_hooks_progress(c->h, step, c->steps, status);
    if (!c->h || (!c->h->db && !c->h->rows)) return CV_OK;
    cv_model_predicted_json(c->m, z, S, head, c->pred);
    for (size_t s = 0; s < S; s++) c->step[s] = (int64_t)step;
    CvGenBatch b = {.method = "optimize",
                    .N = S,
                    .K = K,
                    .Z = (size_t)c->m->vae.cfg.Z,
                    .z = z,
                    .step = c->step,
                    .sources = c->sources,
                    .predicted = c->pred,
                    .pred_stride = cv_model_predicted_stride(c->m),
                    .sim = sim};
    CvStatus st = cv_hooks_rows(c->h, &b, mols, err);
    return !st && c->scorer ? cv_scorer_record(c->scorer, c->h, err) : st;
}

/* The summary over the starts: decodes, best found, improvement over the start molecules
 * (those with an improvement: none without scores, not one whose start a scorer gave no
 * value). */
static void summarize(CvOptimizeResult *r) {
    double sum = 0, sum2 = 0, best_key = NAN;
    size_t m = 0;
    for (size_t i = 0; i < r->n; i++) {
        const LatentOptResult *p = &r->per_start[i];
        r->decoded += p->decoded;
        r->valid += p->valid;
        if (!isnan(p->best_any_key) && (r->best_start == SIZE_MAX || p->best_any_key > best_key))
            r->best_start = i, r->best_found = p->best_any_score, best_key = p->best_any_key;
        if (!r->start_smiles[i]) continue;
        r->n_mol++;
        r->n_success += (size_t)p->success;
        if (isnan(p->improvement) || !r->has_true) continue;
        m++;
        sum += p->improvement;
        sum2 += p->improvement * p->improvement;
    }
    double n = (double)m;
    r->mean_improvement = m ? sum / n : NAN;
    r->sd_improvement =
        m ? sqrt(fmax(0.0, sum2 / n - r->mean_improvement * r->mean_improvement)) : NAN;
}

/* Stores the summary and marks the run ok; an interrupted run gets no metrics (its counts
 * include the decode point it stopped at, which is not recorded). */
static CvStatus finish(const CvHooks *h, const CvOptimizeResult *r, CvError *err) {
    const CvMetric mt[] = {
        {"decodes", (double)r->decoded},
        {"valid", (double)r->valid},
        {"best_found", r->best_found},
        {"mean_improvement", r->mean_improvement},
        {"sd_improvement", r->sd_improvement},
        {"success_rate", r->n_mol && r->has_true ? (double)r->n_success / (double)r->n_mol : NAN},
        {"starts", (double)r->n},
        {"scorer_calls", r->scorer_molecules ? (double)r->scorer_calls : NAN},
        {"scorer_molecules", r->scorer_molecules ? (double)r->scorer_molecules : NAN}};
    return cv_run_finish(h, mt, r->interrupted ? 0 : sizeof mt / sizeof mt[0], r->interrupted, err);
}

/* The ascent of the prepared starts, each decode point through opt_sink. */
static CvStatus ascend(CvModel *m, const CvOptimizeConfig *c, const CvHooks *h,
                       CvOptimizeResult *res, CvError *err) {
    LatentObjective obj;
    double wz[CKPT_MAX_PROPS], off;
    CvStatus st = parse_objective(c, &obj, err);
    if (!st) st = bind_objective(m, &obj, wz, &off, err);
    if (st) return st;
    size_t S = res->n;
    SinkCtx ctx = {m,
                   h,
                   c->steps,
                   calloc(S, sizeof *ctx.sources),
                   malloc(S * sizeof *ctx.step),
                   malloc(S * cv_model_predicted_stride(m)),
                   res,
                   NULL};
    res->per_start = calloc(S, sizeof *res->per_start);
    if (!ctx.sources || !ctx.step || !ctx.pred || !res->per_start)
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory optimizing %zu starts", S);
    for (size_t i = 0; !st && i < S; i++)
        ctx.sources[i] = res->start_smiles[i] ? res->start_smiles[i] : "random";
    CvScorer scorer;
    cv_scorer_init(&scorer, c->scorer, c->scorer_timeout);
    scorer.negate = c->minimize;
    ctx.scorer = c->scorer ? &scorer : NULL;
    LatentOptConfig oc = {.steps = c->steps,
                          .lr = c->lr,
                          .prior = c->prior,
                          .trust_radius = c->trust_radius,
                          .decode_every = c->decode_every,
                          .decode = {c->decodes, 0.0f, (float)c->temperature, c->beam, c->rescue},
                          .delta = c->delta,
                          .judge = c->scorer ? cv_scorer_judge : NULL,
                          .judge_ctx = &scorer};
    if (!st) cv_hooks_progress(h, 0, c->steps, NULL);
    if (!st)
        st = cv_latent_optimize(&m->vae, &m->vocab, &obj, wz, off, &oc, res->start_z,
                                (const char *const *)res->start_smiles, S, &res->rng, opt_sink,
                                &ctx, res->per_start, NULL, err);
    if (st == CV_ERR_INTERRUPTED && res->interrupted) {
        cv_error_clear(err);
        st = CV_OK;
    }
    res->scorer_calls = scorer.calls;
    res->scorer_molecules = scorer.seen.n;
    cv_scorer_free(&scorer);
    free(ctx.sources);
    free(ctx.step);
    free(ctx.pred);
    return st;
}

CvStatus cv_optimize(CvModel *m, const CvOptimizeConfig *c, const CvHooks *h, CvOptimizeResult *res,
                     CvError *err) {
    CvStatus st = res->prepared ? CV_OK : cv_optimize_prepare(m, c, res, err);
    if (!st) st = ascend(m, c, h, res, err);
    if (!st) {
        summarize(res);
        st = finish(h, res, err);
    }
    if (st) cv_run_fail(h);
    return st;
}

void cv_optimize_result_free(CvOptimizeResult *res) {
    if (res->per_start)
        for (size_t i = 0; i < res->n; i++) cv_latent_opt_result_free(&res->per_start[i]);
    free(res->per_start);
    cv_free_strings(res->start_smiles, res->n);
    cv_free_strings(res->skipped, res->n_skipped);
    free(res->start_z);
    memset(res, 0, sizeof *res);
}

void cv_optimize_write(const CvOptimizeResult *r, FILE *fp, CvRowsFormat format) {
    CvRows t;
    cv_rows_begin(&t, fp, format, CV_OPTIMIZE_COLUMNS, "optimize");
    for (size_t i = 0; i < r->n; i++) {
        const LatentOptResult *s = &r->per_start[i];
        cv_row_count(&t, "start", i);
        cv_row_text(&t, "start_smiles", r->start_smiles[i]);
        cv_row_real_or_none(&t, "start_score", s->start_score);
        cv_row_smiles(&t, "best_smiles", s->best_smiles);
        cv_row_real_or_none(&t, "best_score", s->best_score);
        cv_row_real_or_none(&t, "improvement", s->improvement);
        cv_row_real_or_none(&t, "similarity", s->best_sim);
        if (r->has_true) cv_row_flag(&t, "success", s->success);
        else cv_row_real_or_none(&t, "success", NAN);
        cv_row_count(&t, "best_step", s->best_step);
        cv_row_real(&t, "head_start", s->head_start);
        cv_row_real(&t, "head_end", s->head_end);
        cv_row_count(&t, "decoded", s->decoded);
        cv_row_count(&t, "valid", s->valid);
        cv_row_end(&t);
    }
    cv_rows_end(&t);
}

void cv_optimize_summary(const CvOptimizeConfig *c, const CvOptimizeResult *r, FILE *fp) {
    const char *best = r->best_start != SIZE_MAX ? r->per_start[r->best_start].best_any_smiles : 0;
    if (!r->has_true)
        fprintf(fp,
                "chemvae optimize: RDKit cannot compute the objective %s: no true scores "
                "(start_score, best_score, improvement and success are empty); each start's best "
                "molecule is the one decoded where the head's objective was highest; give "
                "--scorer CMD to judge the molecules\n",
                r->objective);
    fprintf(fp,
            "chemvae optimize: objective %s, %zu starts, %zu steps: %zu decodes, %zu valid "
            "(%.1f%%); best found ",
            r->objective, r->n, c->steps, r->decoded, r->valid,
            r->decoded ? 100.0 * (double)r->valid / (double)r->decoded : 0.0);
    if (r->has_true) fprintf(fp, "%.4f (%s)", r->best_found, best ? best : "-");
    else fprintf(fp, "%s (by the head)", best ? best : "-");
    if (r->n_mol && r->has_true)
        fprintf(fp,
                "; %zu start molecules: mean improvement %.4f +- %.4f, success %zu/%zu (%.1f%%)",
                r->n_mol, r->mean_improvement, r->sd_improvement, r->n_success, r->n_mol,
                100.0 * (double)r->n_success / (double)r->n_mol);
    if (r->n_mol && r->has_true && c->delta >= 0) fprintf(fp, " at similarity >= %g", c->delta);
    if (c->scorer)
        fprintf(fp, "; scores by the scorer '%s': %zu molecules in %zu runs of it", c->scorer,
                r->scorer_molecules, r->scorer_calls);
}
