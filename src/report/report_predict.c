/* report_predict.c — the report's predictions section (see report_internal.h): the property
 * head's predictions against the true values on the test split of --data, one scatter per
 * property (each point's SMILES and values as its tooltip) and a table of MAE, RMSE and R².
 *
 * The predictions are the predict job's (cv_predict with the dataset: each molecule
 * canonicalized and encoded alone, the head on its mean mu, true values the dataset's own),
 * so the MAE here is `chemvae predict`'s and eval's on the same molecules. The job runs in
 * batches of CV_SCORE_BATCH molecules; the sink keeps the first predict_max rows and stops
 * it after the batch that reaches them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/app/app_predict.h"
#include "report_internal.h"

typedef struct {
    size_t n, max, P;
    double *pred, *truth; /* (max, P) */
    char **smiles;        /* (max) */
    int full;             /* max rows kept: the job was stopped */
} Kept;

static void kept_free(Kept *k) {
    for (size_t i = 0; k->smiles && i < k->n; i++) free(k->smiles[i]);
    free(k->smiles);
    free(k->pred);
    free(k->truth);
}

static CvStatus keep_rows(void *user, const CvPredictRow *rows, size_t n, CvError *err) {
    Kept *k = user;
    for (size_t i = 0; i < n && k->n < k->max; i++) {
        if (!rows[i].canonical) continue;
        if (!(k->smiles[k->n] = strdup(rows[i].canonical)))
            return cv_error_set(err, CV_ERR_NOMEM, "out of memory keeping predictions");
        memcpy(k->pred + k->n * k->P, rows[i].pred, k->P * sizeof *k->pred);
        memcpy(k->truth + k->n * k->P, rows[i].truth, k->P * sizeof *k->truth);
        k->n++;
    }
    if (k->n < k->max) return CV_OK;
    k->full = 1;
    return cv_error_set(err, CV_ERR_INTERRUPTED, "enough predictions");
}

/* Runs the predict job on the test split into *k. */
static CvStatus predict_test(Report *rp, Kept *k, CvPredictResult *res, CvError *err) {
    const CvDataset *ds = rp->latent_data;
    size_t all = ds->count[CV_SPLIT_TEST];
    k->P = (size_t)rp->latent_model->vae.cfg.P;
    k->max = rp->cfg->predict_max && rp->cfg->predict_max < all ? rp->cfg->predict_max : all;
    if (!k->P) return cv_error_set(err, CV_ERR_INVALID, "%s has no property head", rp->cfg->model);
    if (!k->max) return cv_error_set(err, CV_ERR_EMPTY, "%s has no test molecules", rp->cfg->data);
    k->pred = malloc(k->max * k->P * sizeof *k->pred);
    k->truth = malloc(k->max * k->P * sizeof *k->truth);
    k->smiles = calloc(k->max, sizeof *k->smiles);
    if (!k->pred || !k->truth || !k->smiles)
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory predicting %zu molecules", k->max);
    CvPredictConfig c = CV_PREDICT_DEFAULTS;
    c.data = rp->cfg->data;
    c.split = CV_SPLIT_TEST;
    CvPredictSink sink = {keep_rows, k};
    CvStatus st = cv_predict(rp->latent_model, &c, &sink, NULL, res, err);
    if (st == CV_ERR_INTERRUPTED && k->full) {
        cv_error_clear(err);
        st = CV_OK;
    }
    if (!st && !k->n)
        st = cv_error_set(err, CV_ERR_EMPTY, "no test molecule of %s could be encoded",
                          rp->cfg->data);
    return st;
}

/* MAE, RMSE and R² of property p over the rows with both values; their count. */
static size_t fit_stats(const Kept *k, size_t p, double *mae, double *rmse, double *r2) {
    double sa = 0, s2 = 0, st = 0, stt = 0;
    size_t m = 0;
    for (size_t i = 0; i < k->n; i++) {
        double y = k->pred[i * k->P + p], t = k->truth[i * k->P + p];
        if (!isfinite(y) || !isfinite(t)) continue;
        sa += fabs(y - t), s2 += (y - t) * (y - t), st += t, stt += t * t, m++;
    }
    double ss_tot = m ? stt - st * st / (double)m : 0;
    *mae = m ? sa / (double)m : NAN;
    *rmse = m ? sqrt(s2 / (double)m) : NAN;
    *r2 = ss_tot > 0 ? 1 - s2 / ss_tot : NAN;
    return m;
}

/* The scatter of property p. */
static void prop_scatter(FILE *fp, const Kept *k, size_t p, const char *name) {
    size_t n = k->n;
    double *x = malloc(2 * n * sizeof *x);
    char *text = malloc(n * 200);
    const char **tips = malloc(n * sizeof *tips);
    if (x && text && tips) {
        for (size_t i = 0; i < n; i++) {
            x[i] = k->truth[i * k->P + p], x[n + i] = k->pred[i * k->P + p];
            snprintf(text + i * 200, 200, "%.150s: true %.4g, predicted %.4g", k->smiles[i], x[i],
                     x[n + i]);
            tips[i] = text + i * 200;
        }
        char yl[80], xl[80];
        snprintf(xl, sizeof xl, "true %s", name);
        snprintf(yl, sizeof yl, "predicted %s", name);
        report_plot_xy(fp, name, xl, yl, x, x + n, tips, n, 400, 380);
    }
    free(x);
    free(text);
    free(tips);
}

static void predictions(Report *rp, const Kept *k) {
    FILE *fp = rp->fp;
    const CkptMeta *meta = &rp->latent_model->meta;
    fprintf(fp,
            "<p>The property head's predictions from the latent mean &mu; against the "
            "dataset's values for %zu test molecules of ",
            k->n);
    report_html_escape(fp, rp->cfg->data);
    fprintf(fp, " (the predict job's; the dashed line is y = x). Hover a point for its "
                "SMILES.</p>\n<div class=\"grid\">\n");
    for (size_t p = 0; p < k->P; p++) prop_scatter(fp, k, p, meta->prop_names[p]);
    fprintf(fp, "</div>\n<table class=\"predictions\"><tr><th>property</th><th>molecules</th>"
                "<th>MAE</th><th>RMSE</th><th>R&sup2;</th></tr>\n");
    for (size_t p = 0; p < k->P; p++) {
        double mae, rmse, r2;
        size_t m = fit_stats(k, p, &mae, &rmse, &r2);
        fprintf(fp, "<tr><td>");
        report_html_escape(fp, meta->prop_names[p]);
        fprintf(fp,
                "</td><td class=\"n\">%zu</td><td class=\"n mae\">%.6g</td><td "
                "class=\"n\">%.4g</td><td class=\"n\">%.4g</td></tr>\n",
                m, mae, rmse, r2);
    }
    fprintf(fp, "</table>\n");
}

void report_predictions(Report *rp) {
    FILE *fp = rp->fp;
    fprintf(fp, "<section id=\"predictions\"><h2>Property predictions</h2>\n");
    if (!rp->latent_model) {
        report_empty(rp, "No predictions: give --model CHECKPOINT --data DATASET.cvds.");
    } else {
        Kept k = {0};
        CvPredictResult res;
        CvError err = {0};
        if (predict_test(rp, &k, &res, &err)) report_empty_err(rp, "predictions", &err);
        else predictions(rp, &k);
        kept_free(&k);
    }
    fprintf(fp, "</section>\n");
}
