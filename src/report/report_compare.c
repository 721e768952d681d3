/* report_compare.c — the report's models side by side (see report_internal.h): the --model
 * and each --compare checkpoint, measured on the same molecules of the same dataset: a table
 * of the KL weight each was trained with, reconstruction and validity (the eval job,
 * cv_eval, on compare_n test molecules and compare_samples prior decodes), the KL per
 * molecule and the active units (cv_latent_usage on the latent map's molecules); then per
 * model its latent map (its own principal components) and its KL per dimension. This is the
 * comparison the VAE literature teaches with: a plain autoencoder (β = 0) reconstructs best,
 * spreads its codes far from the prior and decodes few valid molecules from it; a larger β
 * trades reconstruction for a prior that decodes, until dimensions collapse.
 *
 * One compared model is loaded at a time (model batch 64). A model that cannot be loaded or
 * does not fit the dataset is a row saying why; the others go on. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/app/app_eval.h"
#include "report_internal.h"

#define COMPARE_BATCH 64

/* What the table shows of one model. */
typedef struct {
    const char *path;
    char error[CV_ERRMSG_MAX];
    size_t Z;
    long epochs;
    double kl_max, recon, validity, uniqueness;
    size_t n_recon, n_prior;
} Row;

/* kl_max from the checkpoint's training options ("... kl_max=0.05 ..."), NaN when absent. */
static double kl_max_of(const CkptMeta *meta) {
    const char *p = strstr(meta->train_options, "kl_max=");
    return p ? strtod(p + 7, NULL) : NAN;
}

/* Reconstruction and validity of m by the eval job. */
static CvStatus eval_row(Report *rp, CvModel *m, Row *row, CvError *err) {
    CvEvalConfig c = CV_EVAL_DEFAULTS;
    c.data = rp->cfg->data;
    c.split = CV_SPLIT_TEST;
    c.n = rp->cfg->compare_n;
    c.samples = rp->cfg->compare_samples;
    CvEvalResult *res = calloc(1, sizeof *res);
    if (!res) return cv_error_set(err, CV_ERR_NOMEM, "out of memory evaluating %s", m->path);
    CvStatus st = cv_eval(m, &c, NULL, res, err);
    if (!st) {
        row->recon = res->report.reconstruction, row->n_recon = res->report.n_recon;
        row->validity = res->report.validity, row->n_prior = res->report.n_prior;
        row->uniqueness = res->report.uniqueness;
    }
    free(res);
    return st;
}

/* One model measured: its row, and its usage into u unless u is NULL (the report's own
 * model, measured already). */
static CvStatus measure(Report *rp, CvModel *m, Row *row, CvLatentUsage *u, CvError *err) {
    row->Z = (size_t)m->vae.cfg.Z;
    row->epochs = m->meta.epoch;
    row->kl_max = kl_max_of(&m->meta);
    CvStatus st = cv_model_check_dataset(m, rp->latent_data, rp->cfg->data, err);
    if (!st && u)
        st = cv_latent_usage(m, rp->latent_data, rp->cfg->data, rp->map_rows, rp->usage.n, u, err);
    if (!st) st = eval_row(rp, m, row, err);
    return st;
}

/* The card of one model: its map and KL bars. */
static void model_card(Report *rp, const Row *row, const CvLatentUsage *u) {
    FILE *fp = rp->fp;
    fprintf(fp, "<div class=\"card\" style=\"width:420px\"><div class=\"sc\">");
    report_html_escape(fp, row->path);
    fprintf(fp, "</div>");
    CvPca pca;
    CvError err = {0};
    if (cv_pca_fit(u->mu, u->n, u->Z, 2, &pca, &err) ||
        report_latent_scatter(rp, u, rp->map_rows, &pca, NULL, 0, "Latent space (PCA)", 410, 320,
                              &err))
        report_empty_err(rp, "latent map", &err);
    cv_pca_free(&pca);
    report_kl_bars(rp, u, "KL per dimension", 410, 200);
    fprintf(fp, "</div>\n");
}

static void table_row(FILE *fp, const Row *r, const CvLatentUsage *u) {
    fprintf(fp, "<tr><td class=\"smi\">");
    report_html_escape(fp, r->path);
    if (*r->error) {
        fprintf(fp, "</td><td colspan=\"8\" class=\"empty\">");
        report_html_escape(fp, r->error);
        fprintf(fp, "</td></tr>\n");
        return;
    }
    fprintf(fp,
            "</td><td class=\"n\">%zu</td><td class=\"n\">%.4g</td><td class=\"n\">%ld</td><td "
            "class=\"n\">%.1f%%</td><td class=\"n\">%.1f%%</td><td class=\"n\">%.1f%%</td><td "
            "class=\"n\">%.4g</td><td class=\"n\">%zu of %zu</td></tr>\n",
            r->Z, r->kl_max, r->epochs, 100 * r->recon, 100 * r->validity, 100 * r->uniqueness,
            u->kl_total, u->active, u->Z);
}

/* Measures model k (0: the report's own, else --compare k-1) into row and u (for k = 0 a
 * shallow copy of rp->usage, which rp keeps owning). */
static void model_k(Report *rp, size_t k, Row *row, CvLatentUsage *u) {
    CvModel own = {0};
    CvModel *m = rp->latent_model;
    CvError err = {0};
    CvStatus st = CV_OK;
    row->path = k ? rp->cfg->compare.v[k - 1] : rp->cfg->model;
    if (k) {
        st = cv_model_load(&own, row->path, COMPARE_BATCH, &err);
        m = &own;
    } else {
        *u = rp->usage;
    }
    if (!st) st = measure(rp, m, row, k ? u : NULL, &err);
    if (st) {
        snprintf(row->error, sizeof row->error, "%s", err.msg);
        report_warn(rp, "models compared: %s", err.msg);
    }
    cv_model_free(&own);
}

static void compare_models(Report *rp) {
    FILE *fp = rp->fp;
    size_t nm = 1 + rp->cfg->compare.n;
    Row *rows = calloc(nm, sizeof *rows);
    CvLatentUsage *u = calloc(nm, sizeof *u);
    if (!rows || !u) {
        free(rows), free(u);
        return;
    }
    for (size_t k = 0; k < nm; k++) model_k(rp, k, &rows[k], &u[k]);
    fprintf(fp, "<p>Each model on the same %zu molecules of ", rp->usage.n);
    report_html_escape(fp, rp->cfg->data);
    fprintf(fp,
            ": reconstruction of the first %zu test molecules (greedy, exact canonical SMILES), "
            "validity and uniqueness of %zu decodes of z ~ N(0, I) (the eval job's "
            "definitions), the mean KL per molecule and the active units.</p>\n"
            "<table class=\"compare\"><tr><th>model</th><th>Z</th><th>&beta; (kl_max)</th>"
            "<th>epochs</th><th>reconstruction</th><th>validity</th><th>uniqueness</th>"
            "<th>KL (nats)</th><th>active units</th></tr>\n",
            rows[0].n_recon, rows[0].n_prior);
    for (size_t k = 0; k < nm; k++) table_row(fp, &rows[k], &u[k]);
    fprintf(fp, "</table>\n<div class=\"grid\">\n");
    for (size_t k = 0; k < nm; k++)
        if (!*rows[k].error) model_card(rp, &rows[k], &u[k]);
    fprintf(fp, "</div>\n");
    for (size_t k = 1; k < nm; k++) cv_latent_usage_free(&u[k]);
    free(rows);
    free(u);
}

void report_compare(Report *rp) {
    fprintf(rp->fp, "<section id=\"compare\"><h2>Models compared</h2>\n");
    if (!rp->cfg->compare.n)
        report_empty(rp, "No models compared: give --compare MODEL... (with --model and --data), "
                         "e.g. an autoencoder (β = 0) and VAEs trained with several β.");
    else if (!rp->usage.n)
        report_empty(rp, "No models compared: the latent-space map could not be made (see above).");
    else compare_models(rp);
    fprintf(rp->fp, "</section>\n");
}
