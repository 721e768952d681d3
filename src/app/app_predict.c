/* app_predict.c — the predict job (see app_predict.h). Both inputs come down to batches of
 * SMILES with their true values: the score job's batches (valid rows carry RDKit's
 * scores, from which the properties RDKit computes are taken) or slices of a dataset split
 * (the dataset's own values). A batch is encoded by cv_encode, the head runs on its means
 * a model batch at a time, and the rows go to the sink. */
#include "chemvae/app/app_predict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/app/app_codec.h"
#include "chemvae/app/app_eval.h"
#include "chemvae/core/buf.h"
#include "chemvae/data/dataset.h"
#include "chemvae/latent/latent_objective.h"

#define F(field) offsetof(CvPredictConfig, field)
static const CvParam PARAMS[] = {
    CV_PARAM("data", 'd', CV_PARAM_STRING, F(data), "FILE.cvds",
             "predict a dataset split instead (true values: the dataset's)"),
    CV_PARAM("split", 0, CV_PARAM_SPLIT, F(split), "NAME",
             "with --data: test | valid | train (default test)"),
    CV_PARAM("latent", 0, CV_PARAM_SWITCH, F(latent), NULL,
             "also print the encoder's mean (z0..z{Z-1})"),
};
#undef F
const CvParamTable cv_predict_params = CV_PARAM_TABLE(PARAMS);

enum { BATCH = CV_SCORE_BATCH };

typedef struct {
    CvModel *m;
    const CvPredictSink *sink;
    const CvHooks *h;
    CvPredictResult *res;
    size_t P, Z;
    int rdkit_prop[CKPT_MAX_PROPS]; /* LatentProp of each head property, -1: none */
    float *mu;                      /* (BATCH, Z) */
    float *pred;                    /* (max_B, P) z-scored */
    double *real, *truth;           /* (BATCH, P) */
    CvEncodeRow enc[BATCH];
    CvPredictRow rows[BATCH];
} Predict;

/* RDKit's value of property p for a molecule with scores s. */
static double rdkit_value(LatentProp p, const ChemScores *s) {
    LatentObjective one = {0};
    one.w[p] = 1.0;
    return cv_latent_objective_true(&one, s);
}

/* Encodes smiles[0..n) (their truth rows already in j->truth), predicts, and hands the
 * rows to the sink. inputs: the values as read; errors (NULL-able): a reason a row could not
 * even be read, which replaces the encoder's; first: the index of the first row. */
static CvStatus predict_batch(Predict *j, const char *const *smiles, const char *const *inputs,
                              const char *const *errors, size_t n, size_t first, CvError *err) {
    size_t P = j->P, Z = j->Z, Bmax = j->m->vae.max_B;
    CvStatus st = cv_encode(j->m, smiles, n, j->mu, NULL, j->enc, NULL, err);
    if (st) return st;
    for (size_t s = 0; s < n; s += Bmax) {
        size_t B = n - s < Bmax ? n - s : Bmax;
        cv_vae_prop_forward(&j->m->vae, j->mu + s * Z, B, j->pred);
        for (size_t i = 0; i < B * P; i++)
            j->real[s * P + i] = cv_ckpt_prop_denormalize(&j->m->meta, i % P, j->pred[i]);
    }
    for (size_t i = 0; i < n; i++) {
        int ok = j->enc[i].canonical != NULL;
        j->rows[i] = (CvPredictRow){.index = first + i,
                                    .input = inputs[i],
                                    .canonical = j->enc[i].canonical,
                                    .error = errors && errors[i] ? errors[i] : j->enc[i].error,
                                    .mu = ok ? j->mu + i * Z : NULL,
                                    .pred = ok ? j->real + i * P : NULL,
                                    .truth = j->truth + i * P};
        j->res->n_predicted += (size_t)ok;
        for (size_t p = 0; ok && p < P; p++) {
            double t = j->truth[i * P + p], y = j->real[i * P + p];
            if (!isfinite(t) || !isfinite(y)) continue;
            j->res->mae[p] += fabs(y - t);
            j->res->mae_n[p]++;
        }
    }
    j->res->n_rows += n;
    if (j->sink && j->sink->rows) st = j->sink->rows(j->sink->user, j->rows, n, err);
    cv_encode_rows_free(j->enc, n);
    cv_hooks_progress(j->h, j->res->n_rows, 0, NULL);
    return st;
}

/* The score job's sink: a batch of scored rows, RDKit's values as the truth. An invalid
 * row is handed to cv_encode as it is, which names why it cannot be encoded, unless the
 * reader already said why (a molecule-file record RDKit cannot read). A molecule file's
 * rows are shown by their names. */
static CvStatus on_scored(void *user, const CvScoreRow *rows, size_t n, CvError *err) {
    Predict *j = user;
    const char *smiles[BATCH], *inputs[BATCH], *errors[BATCH];
    for (size_t i = 0; i < n; i++) {
        errors[i] = rows[i].valid ? NULL : rows[i].error;
        smiles[i] = rows[i].valid ? rows[i].canonical : errors[i] ? "" : rows[i].input;
        inputs[i] = rows[i].name && *rows[i].name ? rows[i].name : rows[i].input;
        for (size_t p = 0; p < j->P; p++)
            j->truth[i * j->P + p] =
                rows[i].valid && j->rdkit_prop[p] >= 0
                    ? rdkit_value((LatentProp)j->rdkit_prop[p], &rows[i].scores)
                    : NAN;
    }
    return predict_batch(j, smiles, inputs, errors, n, rows[0].index, err);
}

/* A dataset split, BATCH molecules at a time, its own values as the truth. */
static CvStatus predict_dataset(Predict *j, const CvPredictConfig *c, CvError *err) {
    CvDataset ds = {0};
    uint32_t *idx = NULL;
    size_t n = 0;
    CvStatus st = cv_dataset_load(&ds, c->data, err);
    if (!st) st = cv_dataset_split_indices(&ds, c->split, &idx, &n, err);
    long col[CKPT_MAX_PROPS]; /* the dataset's property of each head property, -1: none */
    for (size_t p = 0; !st && p < j->P; p++) {
        col[p] = -1;
        for (size_t q = 0; q < ds.P; q++)
            if (!strcmp(ds.prop_names[q], j->res->prop_names[p])) col[p] = (long)q;
    }
    const char *smiles[BATCH];
    for (size_t s = 0; !st && s < n && !(j->res->interrupted = cv_hooks_interrupted(j->h));
         s += BATCH) {
        size_t B = n - s < BATCH ? n - s : BATCH;
        for (size_t i = 0; i < B; i++) {
            smiles[i] = dataset_smiles(&ds, idx[s + i]);
            for (size_t p = 0; p < j->P; p++)
                j->truth[i * j->P + p] =
                    col[p] < 0 ? NAN : (double)ds.props[(size_t)idx[s + i] * ds.P + (size_t)col[p]];
        }
        st = predict_batch(j, smiles, smiles, NULL, B, s, err);
    }
    free(idx);
    cv_dataset_free(&ds);
    return st;
}

CvStatus cv_predict(CvModel *m, const CvPredictConfig *cfg, const CvPredictSink *sink,
                    const CvHooks *h, CvPredictResult *res, CvError *err) {
    memset(res, 0, sizeof *res);
    size_t P = (size_t)m->vae.cfg.P, Z = (size_t)m->vae.cfg.Z;
    if (!P) return cv_error_set(err, CV_ERR_INVALID, "%s has no property head", m->path);
    if (cfg->split < 0 || cfg->split >= CV_NSPLITS)
        return cv_error_set(err, CV_ERR_INVALID, "--split %d is not train, valid or test",
                            cfg->split);
    res->P = P, res->Z = Z;
    Predict *j = calloc(1, sizeof *j);
    if (j) {
        *j = (Predict){.m = m, .sink = sink, .h = h, .res = res, .P = P, .Z = Z};
        j->mu = malloc(BATCH * Z * sizeof *j->mu);
        j->pred = malloc(m->vae.max_B * P * sizeof *j->pred);
        j->real = malloc(BATCH * P * sizeof *j->real);
        j->truth = malloc(BATCH * P * sizeof *j->truth);
    }
    CvStatus st = CV_OK;
    if (!j || !j->mu || !j->pred || !j->real || !j->truth)
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    for (size_t p = 0; p < P; p++) {
        res->prop_names[p] = m->meta.prop_names[p];
        if (j)
            j->rdkit_prop[p] =
                cv_latent_prop_lookup(res->prop_names[p], strlen(res->prop_names[p]));
    }
    if (!st && cfg->data) st = predict_dataset(j, cfg, err);
    else if (!st) {
        CvScoreSink scored = {on_scored, j};
        CvScoreResult sr;
        st = cv_score(&cfg->input, &scored, h, &sr, err);
        res->interrupted = sr.interrupted;
    }
    for (size_t p = 0; p < P; p++)
        res->mae[p] = res->mae_n[p] ? res->mae[p] / (double)res->mae_n[p] : NAN;
    if (j) free(j->mu), free(j->pred), free(j->real), free(j->truth);
    free(j);
    return st;
}

void cv_predict_write_begin(CvRows *t, const CvModel *m, const CvPredictConfig *c, FILE *fp,
                            CvRowsFormat format) {
    CvBuf h = {0};
    const char *head = "index,input,smiles";
    cv_buf_append(&h, head, strlen(head));
    char col[96];
    for (int p = 0; p < m->vae.cfg.P; p++) {
        int n =
            snprintf(col, sizeof col, ",%s,%s_true", m->meta.prop_names[p], m->meta.prop_names[p]);
        cv_buf_append(&h, col, (size_t)n);
    }
    for (int k = 0; c->latent && k < m->vae.cfg.Z; k++)
        cv_buf_append(&h, col, (size_t)snprintf(col, sizeof col, ",z%d", k));
    cv_buf_append(&h, ",error", 6);
    cv_rows_begin(t, fp, format, h.p ? h.p : "", "predict");
    free(h.p);
}

void cv_predict_write(CvRows *t, const CvModel *m, const CvPredictConfig *c,
                      const CvPredictRow *rows, size_t n) {
    char key[96];
    for (const CvPredictRow *r = rows; r < rows + n; r++) {
        cv_row_count(t, "index", r->index);
        cv_row_text(t, "input", r->input);
        cv_row_smiles(t, "smiles", r->canonical);
        for (int p = 0; p < m->vae.cfg.P; p++) {
            const char *name = m->meta.prop_names[p];
            cv_row_real_or_none(t, name, r->pred ? r->pred[p] : NAN);
            snprintf(key, sizeof key, "%s_true", name);
            cv_row_real_or_none(t, key, r->truth[p]);
        }
        for (int k = 0; c->latent && k < m->vae.cfg.Z; k++) {
            snprintf(key, sizeof key, "z%d", k);
            cv_row_float(t, key, r->mu ? r->mu[k] : NAN);
        }
        cv_row_text(t, "error", r->error);
        cv_row_end(t);
    }
}
