/* report_latent.c — the report's latent-space section (see report_internal.h): the latent
 * means of a dataset's test molecules (all molecules when the test split is empty), as
 * encoded by the given model, projected on their first two principal components and drawn
 * as a scatter coloured by one of the dataset's properties, with the latest sampling run's
 * latent vectors and the latest optimization run's paths drawn over it (their stored z,
 * projected on the same components); then the KL of each latent dimension and the active
 * units over the same molecules (cv_latent_usage, app_usage.h).
 *
 * The model and dataset are loaded before the page is begun (report_latent_load), so inputs
 * that cannot be read fail the report; a map these inputs cannot give (an unknown property,
 * too few molecules, a latent size below 2) only turns the section into a note. Stored
 * latent vectors of a run made by another checkpoint (its model_hash differs from the
 * model's) or of another latent size are not drawn: they live in another space. */
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
    if (!st) st = cv_model_check_dataset(m, ds, cfg->data, err);
    return st;
}

/* The property colouring the maps (cfg->color_by, else the first); CV_ERR_INVALID when the
 * dataset lacks it. */
static CvStatus colour_prop(const Report *rp, size_t *prop, CvError *err) {
    const CvDataset *ds = rp->latent_data;
    *prop = 0;
    if (!rp->cfg->color_by) return CV_OK;
    while (*prop < ds->P && strcasecmp(ds->prop_names[*prop], rp->cfg->color_by)) (*prop)++;
    if (*prop == ds->P)
        return cv_error_set(err, CV_ERR_INVALID, "--color-by %s: %s has no such property",
                            rp->cfg->color_by, rp->cfg->data);
    return CV_OK;
}

CvStatus report_latent_scatter(const Report *rp, const CvLatentUsage *u, const uint32_t *rows,
                               const CvPca *pca, const ReportPoints *over, size_t nover,
                               const char *title, int w, int h, CvError *err) {
    const CvDataset *ds = rp->latent_data;
    size_t n = u->n, prop = 0;
    CvStatus st = colour_prop(rp, &prop, err);
    if (st) return st;
    double *xy = malloc(n * 2 * sizeof *xy), *x = malloc(n * 3 * sizeof *x);
    const char **tips = malloc(n * sizeof *tips);
    if (!xy || !x || !tips) {
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory drawing %zu molecules", n);
    } else {
        cv_pca_apply(pca, u->mu, n, xy);
        double *y = x + n, *c = x + 2 * n;
        for (size_t i = 0; i < n; i++) {
            x[i] = xy[2 * i], y[i] = xy[2 * i + 1];
            c[i] = ds->P ? ds->props[(size_t)rows[i] * ds->P + prop] : NAN;
            tips[i] = dataset_smiles(ds, rows[i]);
        }
        char xl[64], yl[64];
        double total = pca->total_var;
        snprintf(xl, sizeof xl, "PC1 (%.1f%% of variance)",
                 total > 0 ? 100 * pca->var[0] / total : 0);
        snprintf(yl, sizeof yl, "PC2 (%.1f%% of variance)",
                 total > 0 ? 100 * pca->var[1] / total : 0);
        ReportScatter sc = {
            title, xl, yl, ds->P ? ds->prop_names[prop] : "", x, y, c, tips, n, over, nover, w, h};
        report_plot_scatter(rp->fp, &sc);
    }
    free(xy);
    free(x);
    free(tips);
    return st;
}

/* Points of one run's stored latent vectors, projected, with their tooltips and (for an
 * optimization) one group per start, ordered by start then step. */
typedef struct {
    ReportPoints p;
    double *xy;  /* x then y */
    char **tips; /* (n) malloc'd */
    int *group;  /* (n) */
    size_t n;
    int64_t run;
} Overlay;

static void overlay_free(Overlay *o) {
    for (size_t i = 0; o->tips && i < o->n; i++) free(o->tips[i]);
    free(o->tips);
    free(o->xy);
    free(o->group);
    memset(o, 0, sizeof *o);
}

/* A little-endian float32 BLOB of Z values into z; 0 when its length is not Z·4. */
static int blob_floats(const StoreValue *v, size_t Z, float *z) {
    if (v->type != STORE_BLOB || v->len != Z * 4) return 0;
    const unsigned char *b = (const unsigned char *)v->s;
    for (size_t d = 0; d < Z; d++) {
        uint32_t u = (uint32_t)b[4 * d] | (uint32_t)b[4 * d + 1] << 8 |
                     (uint32_t)b[4 * d + 2] << 16 | (uint32_t)b[4 * d + 3] << 24;
        memcpy(&z[d], &u, sizeof u);
    }
    return 1;
}

/* 1 when run `run` may have used the loaded model: its model_hash is the model's, or
 * unknown. */
static int same_model(const Report *rp, int64_t run) {
    StoreTable t = {0};
    CvError err = {0};
    int ok = 1;
    if (cv_store_run_read(rp->db, STORE_READ_RUN, run, &t, &err) == CV_OK && t.nrow == 1) {
        int c = cv_store_table_col(&t, "model_hash");
        const char *h = c >= 0 ? report_text_cell(&t, 0, (size_t)c) : "";
        ok = !*h || !strcmp(h, rp->latent_model->hash);
    }
    cv_store_table_free(&t);
    return ok;
}

/* Group ids by source in order of first appearance, and the rows' order: by group, then
 * step (insertion sort: the rows come nearly in that order per step). */
static void order_by_source(const StoreTable *t, int *group, size_t *order) {
    size_t n = t->nrow;
    for (size_t r = 0; r < n; r++) {
        group[r] = (int)r;
        for (size_t q = 0; q < r; q++)
            if (!strcmp(report_text_cell(t, q, 0), report_text_cell(t, r, 0))) {
                group[r] = group[q];
                break;
            }
        order[r] = r;
    }
    for (size_t i = 1; i < n; i++) {
        size_t k = order[i], j = i;
        while (j > 0 && (group[order[j - 1]] > group[k] ||
                         (group[order[j - 1]] == group[k] &&
                          t->cells[order[j - 1] * t->ncol + 1].i > t->cells[k * t->ncol + 1].i))) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
}

/* One point's tooltip: "<what> <source> step N: SMILES" (or "invalid decode"). */
static char *point_tip(const StoreTable *t, size_t r, int optimize) {
    const char *smi = report_text_cell(t, r, 3);
    char buf[1024];
    if (optimize)
        snprintf(buf, sizeof buf, "optimized from %s, step %lld: %s", report_text_cell(t, r, 0),
                 (long long)t->cells[r * t->ncol + 1].i, *smi ? smi : "invalid decode");
    else snprintf(buf, sizeof buf, "sampled: %s", *smi ? smi : "invalid decode");
    return strdup(buf);
}

/* Fills o from the rows t of cv_store_report_latent_points, projected by pca. */
static CvStatus overlay_fill(Overlay *o, const StoreTable *t, const CvPca *pca, int optimize,
                             CvError *err) {
    size_t n = t->nrow, Z = pca->D, m = 0;
    float *z = malloc(Z * sizeof *z);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    int *group = malloc((n ? n : 1) * sizeof *group);
    o->xy = malloc((n ? n : 1) * 2 * sizeof *o->xy);
    o->tips = calloc(n ? n : 1, sizeof *o->tips);
    o->group = malloc((n ? n : 1) * sizeof *o->group);
    CvStatus st = CV_OK;
    if (!z || !order || !group || !o->xy || !o->tips || !o->group) {
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory drawing %zu latent points", n);
        goto done;
    }
    order_by_source(t, group, order);
    for (size_t i = 0; i < n; i++) {
        size_t r = optimize ? order[i] : i;
        if (!blob_floats(&t->cells[r * t->ncol + 2], Z, z)) continue;
        double p[2];
        cv_pca_apply(pca, z, 1, p);
        o->xy[m] = p[0], o->xy[n + m] = p[1];
        o->group[m] = group[r];
        if (!(o->tips[m] = point_tip(t, r, optimize))) {
            st = cv_error_set(err, CV_ERR_NOMEM, "out of memory drawing %zu latent points", n);
            goto done;
        }
        o->n = ++m;
    }
    o->p = (ReportPoints){optimize ? "optimization paths" : "prior samples",
                          o->xy,
                          o->xy + n,
                          m,
                          (const char *const *)o->tips,
                          optimize ? o->group : NULL,
                          optimize ? "#d62728" : "#ff7f0e"};
done:
    free(z);
    free(order);
    free(group);
    return st;
}

/* The overlay of the latest run in scope with generations of `method` (o->n == 0: none,
 * or not drawable, with the reason appended to note). */
static void overlay_read(const Report *rp, const CvPca *pca, const char *method, Overlay *o,
                         char *note, size_t cap) {
    int64_t run = report_latest_run(rp, STORE_REPORT_GENERATING, method);
    if (!run) return;
    size_t len = strlen(note);
    if (!same_model(rp, run)) {
        snprintf(note + len, cap - len, " Run %lld (%s) used another model: not drawn.",
                 (long long)run, method);
        return;
    }
    StoreTable t = {0};
    CvError err = {0};
    CvStatus st = cv_store_report_latent_points(rp->db, run, method, rp->cfg->pca_max, &t, &err);
    if (!report_read_ok(rp, st, &err) &&
        report_read_ok(rp, overlay_fill(o, &t, pca, !strcmp(method, "optimize"), &err), &err))
        overlay_free(o);
    o->run = run;
    if (t.nrow && !o->n)
        snprintf(note + len, cap - len, " Run %ld (%s) stored no latent vector of size %zu.",
                 (long)run, method, pca->D);
    cv_store_table_free(&t);
}

/* The caption, the map with its overlays. */
static CvStatus map_section(Report *rp, const char *which, CvError *err) {
    FILE *fp = rp->fp;
    const CvLatentUsage *u = &rp->usage;
    CvPca pca;
    CvStatus st = cv_pca_fit(u->mu, u->n, u->Z, 2, &pca, err);
    Overlay ov[2];
    memset(ov, 0, sizeof ov);
    char note[512] = "";
    if (!st) {
        overlay_read(rp, &pca, "sample", &ov[0], note, sizeof note);
        overlay_read(rp, &pca, "optimize", &ov[1], note, sizeof note);
        size_t prop = 0;
        const CvDataset *ds = rp->latent_data;
        st = colour_prop(rp, &prop, err);
        if (!st) {
            fprintf(fp, "<p>Latent means &mu; of %zu %s molecules of ", u->n, which);
            report_html_escape(fp, rp->cfg->data);
            fprintf(fp, " encoded by ");
            report_html_escape(fp, rp->cfg->model);
            fprintf(fp,
                    " (Z = %zu), projected on their first two principal components and coloured "
                    "by %s",
                    u->Z, ds->P ? ds->prop_names[prop] : "nothing (no properties)");
            for (int k = 0; k < 2; k++)
                if (ov[k].n)
                    fprintf(fp, "; %s: %zu latent vectors of run %lld", ov[k].p.label, ov[k].n,
                            (long long)ov[k].run);
            fprintf(fp, ". Hover a point for its SMILES.%s</p>\n", note);
        }
    }
    ReportPoints over[2];
    size_t nover = 0;
    for (int k = 0; k < 2; k++)
        if (ov[k].n) over[nover++] = ov[k].p;
    if (!st)
        st = report_latent_scatter(rp, u, rp->map_rows, &pca, over, nover, "Latent space (PCA)",
                                   640, 480, err);
    overlay_free(&ov[0]);
    overlay_free(&ov[1]);
    cv_pca_free(&pca);
    return st;
}

void report_kl_bars(const Report *rp, const CvLatentUsage *u, const char *title, int w, int h) {
    size_t Z = u->Z;
    unsigned char *active = malloc(Z ? Z : 1);
    char *text = malloc((Z ? Z : 1) * 96);
    const char **tips = malloc((Z ? Z : 1) * sizeof *tips);
    if (active && text && tips) {
        for (size_t d = 0; d < Z; d++) {
            active[d] = u->mu_var[d] > CV_ACTIVE_UNIT_THRESHOLD;
            snprintf(text + d * 96, 96, "z%zu: KL %.4g nats, Var(mu) %.4g (%s)", d, u->kl_dim[d],
                     u->mu_var[d], active[d] ? "active" : "inactive");
            tips[d] = text + d * 96;
        }
        report_plot_bars(rp->fp, title, "latent dimension", "KL (nats)", u->kl_dim, active, tips, Z,
                         w, h);
    }
    free(active);
    free(text);
    free(tips);
}

/* KL per dimension and active units of the map's molecules. */
static void usage_section(const Report *rp) {
    const CvLatentUsage *u = &rp->usage;
    FILE *fp = rp->fp;
    fprintf(fp,
            "<h3 id=\"kl\">KL per latent dimension</h3>\n<p>Over the same %zu molecules: KL of "
            "each dimension, the mean of 0.5&middot;(&mu;&sup2; + &sigma;&sup2; &minus; log "
            "&sigma;&sup2; &minus; 1), totalling <span class=\"kl-total\">%.6g</span> nats per "
            "molecule; active units (Burda et al.: Cov<sub>x</sub>(E[z|x]) &gt; %.2g): "
            "<b class=\"active-units\">%zu</b> of %zu. Dimensions drawn grey are inactive: the "
            "decoder gets nothing from them. Hover a bar for its numbers.</p>\n",
            u->n, u->kl_total, CV_ACTIVE_UNIT_THRESHOLD, u->active, u->Z);
    report_kl_bars(rp, u, "KL per latent dimension", 900, 260);
}

/* Encodes the map's molecules into rp->usage; *which says which ones. */
static CvStatus encode_map(Report *rp, const char **which, CvError *err) {
    size_t n, Z = (size_t)rp->latent_model->vae.cfg.Z, prop;
    CvStatus st = colour_prop(rp, &prop, err);
    if (!st) st = report_map_rows(rp->latent_data, rp->cfg->pca_max, &rp->map_rows, &n, which, err);
    if (st) return st;
    if (Z < 2)
        return cv_error_set(err, CV_ERR_INVALID, "%s: latent size %zu; the map needs 2 or more",
                            rp->cfg->model, Z);
    if (n < 2)
        return cv_error_set(err, CV_ERR_EMPTY, "%s: fewer than 2 molecules to map", rp->cfg->data);
    return cv_latent_usage(rp->latent_model, rp->latent_data, rp->cfg->data, rp->map_rows, n,
                           &rp->usage, err);
}

void report_latent(Report *rp) {
    fprintf(rp->fp, "<section id=\"latent\"><h2>Latent space</h2>\n");
    CvError err = {0};
    const char *which = "test";
    if (!rp->latent_model) {
        report_empty(rp, "No latent-space map: give --model CHECKPOINT --data DATASET.cvds.");
    } else if (encode_map(rp, &which, &err) || map_section(rp, which, &err)) {
        report_empty_err(rp, "latent-space map", &err);
        if (rp->usage.n) usage_section(rp);
    } else {
        usage_section(rp);
    }
    fprintf(rp->fp, "</section>\n");
}
