/* app_eval.c — the eval job and its parameters (see app_eval.h). Every metric is stored as
 * computed, NaN included (an int_div or property MAE without data), so a run always has the same
 * set of names; that is why the metrics go to the store here rather than through cv_run_finish,
 * which skips NaN. */
#include "chemvae/app/app_eval.h"

#include "chemvae/app/app_metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SPLIT_NAMES[CV_NSPLITS] = {
    [CV_SPLIT_TRAIN] = "train", [CV_SPLIT_VALID] = "valid", [CV_SPLIT_TEST] = "test"};

const char *cv_eval_split_name(int split) {
    return split >= 0 && split < CV_NSPLITS ? SPLIT_NAMES[split] : "?";
}

int cv_eval_split_parse(const char *name) {
    for (int s = 0; s < CV_NSPLITS; s++)
        if (name && !strcmp(name, SPLIT_NAMES[s])) return s;
    return -1;
}

/* A split by name, recorded by name. */
static CvStatus parse_split(const char *name, const char *text, void *field, CvError *err) {
    int split = cv_eval_split_parse(text);
    if (split < 0)
        return cv_error_set(err, CV_ERR_INVALID, "%s must be train, valid or test, got '%s'", name,
                            text);
    *(int *)field = split;
    return CV_OK;
}
static void split_json(CvJson *j, const void *field) {
    cv_json_string(j, cv_eval_split_name(*(const int *)field));
}
const CvParamType CV_PARAM_SPLIT = {1, "NAME", parse_split, split_json};

#define F(field) offsetof(CvEvalConfig, field)
static const CvParam PARAMS[] = {
    CV_PARAM("data", 'd', CV_PARAM_STRING, F(data), "FILE",
             "dataset from `chemvae ingest` (required)"),
    CV_PARAM("split", 0, CV_PARAM_SPLIT, F(split), "NAME", "test | valid | train (default test)"),
    CV_PARAM(NULL, 'n', CV_PARAM_SIZE, F(n), "N",
             "at most N split molecules for reconstruction (default all)", .key = "n"),
    CV_PARAM("samples", 0, CV_PARAM_SIZE, F(samples), "N",
             "prior samples z ~ N(0, I) (default 1000)"),
    CV_PARAM("beam", 0, CV_PARAM_INT, F(beam), "K",
             "reconstruct with a beam of K hypotheses (default 1: greedy)"),
    CV_PARAM("stochastic", 0, CV_PARAM_SIZE, F(stochastic), "N",
             "also JT-VAE's protocol on the first N split molecules:\n10 encodings x 10 sampled "
             "decodes each (default 0)"),
    CV_PARAM("seed", 0, CV_PARAM_U64, F(seed), "N", "seed of the prior samples (default 1)"),
    CV_PARAM("no-moses", 0, CV_PARAM_SWITCH, F(no_moses), NULL,
             "skip MOSES's metrics of the prior samples (moses_*)"),
};
#undef F
const CvParamTable cv_eval_params = CV_PARAM_TABLE(PARAMS);

CvStatus cv_eval_check(const CvEvalConfig *c, size_t batch, CvError *err) {
    if (batch < 1) return cv_error_set(err, CV_ERR_INVALID, "--batch must be positive");
    if (!c->data) return cv_error_set(err, CV_ERR_INVALID, "--data is required");
    if (c->split < 0 || c->split >= CV_NSPLITS)
        return cv_error_set(err, CV_ERR_INVALID, "--split %d is not train, valid or test",
                            c->split);
    if (c->beam < 1 || (size_t)c->beam > batch)
        return cv_error_set(err, CV_ERR_INVALID, "--beam must be in 1..--batch (%zu)", batch);
    return CV_OK;
}

/* The dataset at c->data, which must have the model's vocabulary and length. */
static CvStatus load_data(const CvModel *m, const CvEvalConfig *c, CvDataset *ds, CvError *err) {
    CvStatus st = cv_dataset_load(ds, c->data, err);
    if (!st) st = cv_ckpt_meta_check_vocab(&m->meta, &ds->vocab, m->path, c->data, err);
    if (!st && (size_t)m->meta.cfg.T != ds->T)
        st = cv_error_set(err, CV_ERR_MISMATCH, "%s has T=%d but %s has T=%zu", m->path,
                          m->meta.cfg.T, c->data, ds->T);
    return st;
}

static void add_metric(CvEvalResult *res, const char *prefix, const char *name, double v) {
    if (res->n_metrics >= CV_EVAL_MAX_METRICS) return;
    CvEvalMetric *mt = &res->metrics[res->n_metrics++];
    snprintf(mt->name, sizeof mt->name, "%s%s", prefix, name);
    mt->v = v;
}

/* The report as named metrics, in the order app_eval.h lists. */
static void name_metrics(const CvModel *m, CvEvalResult *res) {
    const EvalReport *r = &res->report;
    add_metric(res, "", "reconstruction", r->reconstruction);
    add_metric(res, "", "recon_molecules", (double)r->n_recon);
    add_metric(res, "", "recon_tanimoto", r->recon_tanimoto);
    if (r->n_stoch) {
        add_metric(res, "", "recon_stochastic", r->stoch_recon);
        add_metric(res, "", "recon_stochastic_molecules", (double)r->n_stoch);
    }
    add_metric(res, "", "validity", r->validity);
    add_metric(res, "", "uniqueness", r->uniqueness);
    add_metric(res, "", "novelty", r->novelty);
    add_metric(res, "", "int_div", r->int_div);
    add_metric(res, "", "prior_samples", (double)r->n_prior);
    for (int f = 1; f < SMILES_FAIL_COUNT; f++)
        add_metric(res, "fail_", cv_smiles_failure_name((SmilesFailure)f), (double)r->fail[f]);
    for (size_t p = 0; p < r->P && p < CKPT_MAX_PROPS; p++)
        add_metric(res, "mae_", m->meta.prop_names[p], r->prop_mae[p]);
}

static CvStatus record(const CvHooks *h, const CvEvalResult *res, CvError *err) {
    if (!h || !h->db) return CV_OK;
    for (size_t i = 0; i < res->n_metrics; i++) {
        CvStatus st = cv_store_insert_eval_metric(h->db, h->run_id, res->metrics[i].name,
                                                  res->metrics[i].v, err);
        if (st) return st;
    }
    return cv_store_run_finish(h->db, h->run_id, STORE_RUN_OK, err);
}

/* The canonical SMILES of a split of ds: *out, a malloc'd array of pointers into ds. */
static CvStatus split_smiles(const CvDataset *ds, int split, const char ***out, size_t *n,
                             CvError *err) {
    uint32_t *idx = NULL;
    CvStatus st = cv_dataset_split_indices(ds, split, &idx, n, err);
    if (st) return st;
    const char **s = malloc((*n ? *n : 1) * sizeof *s);
    for (size_t i = 0; s && i < *n; i++) s[i] = dataset_smiles(ds, idx[i]);
    free(idx);
    *out = s;
    return s ? CV_OK : cv_error_set(err, CV_ERR_NOMEM, "eval: out of memory");
}

/* MOSES's metrics of the prior decodes prior[0..n) against ds's test split (train split for
 * novelty), added as moses_<name>, their notes copied. */
static CvStatus moses_metrics(const CvDataset *ds, char **prior, size_t n, CvEvalResult *res,
                              CvError *err) {
    const char **train = NULL, **test = NULL;
    CvMetricsInput in = {.gen = (const char *const *)prior, .n_gen = n, .train_canonical = 1};
    CvMetricsResult *mr = calloc(1, sizeof *mr);
    CvStatus st = mr ? CV_OK : cv_error_set(err, CV_ERR_NOMEM, "eval: out of memory");
    if (!st) st = split_smiles(ds, CV_SPLIT_TRAIN, &train, &in.n_train, err);
    if (!st) st = split_smiles(ds, CV_SPLIT_TEST, &test, &in.n_test, err);
    in.train = train, in.test = test;
    if (!st) st = cv_metrics_compute(&in, mr, err);
    for (size_t i = 0; !st && i < mr->n_metrics; i++)
        add_metric(res, "moses_", mr->metrics[i].name, mr->metrics[i].v);
    for (size_t i = 0; !st && i < mr->n_notes; i++)
        memcpy(res->notes[res->n_notes++], mr->notes[i], sizeof res->notes[0]);
    free(train), free(test), free(mr);
    return st;
}

CvStatus cv_eval(CvModel *m, const CvEvalConfig *c, const CvHooks *h, CvEvalResult *res,
                 CvError *err) {
    memset(res, 0, sizeof *res);
    CvDataset ds = {0};
    char **prior = NULL;
    CvStatus st = cv_eval_check(c, m->vae.max_B, err);
    if (!st) st = load_data(m, c, &ds, err);
    if (!st && !c->no_moses && !(prior = calloc(c->samples ? c->samples : 1, sizeof *prior)))
        st = cv_error_set(err, CV_ERR_NOMEM, "eval: out of memory");
    if (!st)
        st = cv_eval_run_beam(&m->vae, &ds, c->split, c->n, c->samples, c->seed, c->beam, prior,
                              &res->report, err);
    if (!st && c->stochastic > 0)
        st = cv_eval_stochastic(&m->vae, &ds, c->split, c->stochastic, c->seed, &res->report, err);
    if (!st) name_metrics(m, res);
    if (!st && prior && c->samples) st = moses_metrics(&ds, prior, c->samples, res, err);
    if (!st) st = record(h, res, err);
    if (st) cv_run_fail(h);
    for (size_t i = 0; prior && i < c->samples; i++) free(prior[i]);
    free(prior);
    cv_dataset_free(&ds);
    return st;
}

void cv_eval_metrics_write(FILE *fp, const CvEvalMetric *metrics, size_t n, int json) {
    CvJson j = {0};
    cv_json_begin_object(&j);
    if (!json) fputs("metric,value\n", fp);
    for (const CvEvalMetric *mt = metrics; mt < metrics + n; mt++) {
        char num[32];
        snprintf(num, sizeof num, "%.6g", mt->v);
        if (!json) fprintf(fp, "%s,%s\n", mt->name, num);
        cv_json_key(&j, mt->name);
        if (isfinite(mt->v)) cv_json_raw(&j, num);
        else cv_json_null(&j);
    }
    cv_json_end_object(&j);
    const char *text = cv_json_text(&j, NULL);
    if (json) fprintf(fp, "%s\n", text ? text : "{}");
    cv_json_free(&j);
}
