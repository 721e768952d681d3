/* report_latent.c — the report's latent-space map (see report_internal.h): the latent
 * means of a dataset's test molecules (all molecules when the test split is empty), as
 * encoded by the given model, projected on their first two principal components and drawn
 * as a scatter coloured by one of the dataset's properties.
 *
 * The model and dataset are loaded before the page is begun (report_latent_load), so inputs
 * that cannot be read fail the report; a map these inputs cannot give (an unknown property,
 * too few molecules, a latent size below 2) only turns the section into a note. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chemvae/core/pca.h"
#include "report_internal.h"
#include "report_svg.h"

/* Molecules encoded per batch for the latent map. */
#define LATENT_BATCH 64

CvStatus report_latent_load(const CvReportConfig *cfg, CvModel *m, CvDataset *ds, CvError *err) {
    CvStatus st = cv_model_load(m, cfg->model, LATENT_BATCH, err);
    if (!st) st = cv_dataset_load(ds, cfg->data, err);
    if (!st) st = cv_ckpt_meta_check_vocab(&m->meta, &ds->vocab, cfg->model, cfg->data, err);
    if (!st && (size_t)m->vae.cfg.T != ds->T)
        st = cv_error_set(err, CV_ERR_MISMATCH, "%s has T=%d but %s has T=%zu", cfg->model,
                          m->vae.cfg.T, cfg->data, ds->T);
    return st;
}

/* The molecules mapped and their projection. */
typedef struct {
    uint32_t *idx;        /* (n) dataset rows */
    size_t n;             /* molecules mapped (<= pca_max) */
    const char *which;    /* "test" or "all" */
    size_t prop;          /* property colouring the map (when the dataset has any) */
    float *mu;            /* (n, Z) latent means */
    double *x, *y;        /* (n) first and second principal component */
    double var[2], total; /* variance along them, and in all */
} LatentMap;

static void latent_map_free(LatentMap *lm) {
    free(lm->idx);
    free(lm->mu);
    free(lm->x);
}

/* The rows to map (test split, else all) and the colouring property; checks that a map
 * can be made. */
static CvStatus map_inputs(const Report *rp, LatentMap *lm, CvError *err) {
    const CvReportConfig *cfg = rp->cfg;
    const CvDataset *ds = rp->latent_data;
    lm->which = "test";
    CvStatus st = cv_dataset_split_indices(ds, CV_SPLIT_TEST, &lm->idx, &lm->n, err);
    if (st) return st;
    if (lm->n == 0) {
        lm->which = "all";
        if (!(lm->idx = malloc(ds->n * sizeof *lm->idx)))
            return cv_error_set(err, CV_ERR_NOMEM, "out of memory encoding %zu molecules", ds->n);
        for (size_t i = 0; i < ds->n; i++) lm->idx[i] = (uint32_t)i;
        lm->n = ds->n;
    }
    if (lm->n > cfg->pca_max) lm->n = cfg->pca_max;
    if (cfg->color_by) {
        size_t p = 0;
        while (p < ds->P && strcasecmp(ds->prop_names[p], cfg->color_by)) p++;
        if (p == ds->P)
            return cv_error_set(err, CV_ERR_INVALID, "--color-by %s: %s has no such property",
                                cfg->color_by, cfg->data);
        lm->prop = p;
    }
    size_t Z = (size_t)rp->latent_model->vae.cfg.Z;
    if (Z < 2)
        return cv_error_set(err, CV_ERR_INVALID, "%s: latent size %zu; the map needs 2 or more",
                            cfg->model, Z);
    if (lm->n < 2)
        return cv_error_set(err, CV_ERR_EMPTY, "%s: fewer than 2 molecules to map", cfg->data);
    return CV_OK;
}

/* Encodes the rows in batches of LATENT_BATCH and projects their means on two components. */
static CvStatus map_project(const Report *rp, LatentMap *lm, CvError *err) {
    Vae *vae = &rp->latent_model->vae;
    const CvDataset *ds = rp->latent_data;
    size_t n = lm->n, Z = (size_t)vae->cfg.Z;
    int32_t *ids = malloc(LATENT_BATCH * ds->T * sizeof *ids);
    double *proj = malloc(n * 2 * sizeof *proj);
    lm->mu = malloc(n * Z * sizeof *lm->mu);
    lm->x = malloc(n * 2 * sizeof *lm->x); /* x then y */
    CvStatus st = CV_OK;
    if (!ids || !proj || !lm->mu || !lm->x) {
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory encoding %zu molecules", n);
        goto done;
    }
    for (size_t i = 0; i < n; i += LATENT_BATCH) {
        size_t B = n - i < LATENT_BATCH ? n - i : LATENT_BATCH;
        cv_dataset_fill_ids(ds, lm->idx + i, B, ids);
        cv_vae_encode(vae, ids, B, lm->mu + i * Z, NULL);
    }
    if ((st = cv_pca_project(lm->mu, n, Z, 2, proj, lm->var, &lm->total, err))) goto done;
    lm->y = lm->x + n; /* (n, 2) row-major -> two columns */
    for (size_t i = 0; i < n; i++) {
        lm->x[i] = proj[2 * i];
        lm->y[i] = proj[2 * i + 1];
    }
done:
    free(ids);
    free(proj);
    return st;
}

/* The caption and the scatter of a projected map. */
static CvStatus map_draw(const Report *rp, const LatentMap *lm, CvError *err) {
    FILE *fp = rp->fp;
    const CvDataset *ds = rp->latent_data;
    size_t n = lm->n, Z = (size_t)rp->latent_model->vae.cfg.Z;
    double *color = malloc(n * sizeof *color);
    if (!color) return cv_error_set(err, CV_ERR_NOMEM, "out of memory encoding %zu molecules", n);
    for (size_t i = 0; i < n; i++)
        color[i] = ds->P ? ds->props[(size_t)lm->idx[i] * ds->P + lm->prop] : NAN;
    char xl[64], yl[64];
    double total = lm->total;
    snprintf(xl, sizeof xl, "PC1 (%.1f%% of variance)", total > 0 ? 100 * lm->var[0] / total : 0);
    snprintf(yl, sizeof yl, "PC2 (%.1f%% of variance)", total > 0 ? 100 * lm->var[1] / total : 0);
    fprintf(fp, "<p>Latent means &mu; of %zu %s molecules of ", n, lm->which);
    report_html_escape(fp, rp->cfg->data);
    fprintf(fp, " encoded by ");
    report_html_escape(fp, rp->cfg->model);
    fprintf(
        fp,
        " (Z = %zu), projected on their first two principal components and coloured by %s.</p>\n",
        Z, ds->P ? ds->prop_names[lm->prop] : "nothing (no properties)");
    report_plot_scatter(fp, "Latent space (PCA)", xl, yl, lm->x, lm->y, color, n,
                        ds->P ? ds->prop_names[lm->prop] : "", 640, 480);
    free(color);
    return CV_OK;
}

void report_latent(Report *rp) {
    fprintf(rp->fp, "<section id=\"latent\"><h2>Latent space</h2>\n");
    CvError err = {0};
    LatentMap lm = {0};
    CvStatus st = CV_OK;
    if (!rp->latent_model) {
        report_empty(rp, "No latent-space map: give --model CHECKPOINT --data DATASET.cvds.");
    } else if ((st = map_inputs(rp, &lm, &err)) || (st = map_project(rp, &lm, &err)) ||
               (st = map_draw(rp, &lm, &err))) { /* a map the inputs cannot give */
        report_warn(rp, "latent space: %s", err.msg);
        char msg[CV_ERRMSG_MAX + 64];
        snprintf(msg, sizeof msg, "No latent-space map: %s", err.msg);
        report_empty(rp, msg);
    }
    latent_map_free(&lm);
    fprintf(rp->fp, "</section>\n");
}
