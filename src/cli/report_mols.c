/* report_mols.c — the molecule sections of `chemvae report` (see report.h): the top
 * generated/optimized molecules as a grid of RDKit drawings, the interpolation path drawn
 * step by step, the optimization trajectories (true RDKit score of the best valid decode per
 * step, one line per start molecule), and the latent-space map (PCA of the latent means of
 * the dataset's test molecules, coloured by a property).
 *
 * Every number shown is read from the DB (true RDKit scores stored with the molecules) or
 * computed here with RDKit (the start molecules' scores); the property head's predictions
 * are not used. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chemvae/chem.h"
#include "chemvae/dataset.h"
#include "chemvae/pca.h"
#include "model_io.h"
#include "report.h"
#include "report_svg.h"

#define MAX_PATHS 3
#define MAX_PATH_MOLS 14
#define MAX_TRAJ 10

static const char *text_cell(const StoreTable *t, size_t r, size_t c) {
    const StoreValue *v = &t->cells[r * t->ncol + c];
    return v->type == STORE_TEXT ? v->s : "";
}

static void score_line(FILE *fp, const char *name, double v) {
    if (isfinite(v)) fprintf(fp, "%s %.3f ", name, v);
}

/* The newest run in scope that stored generations of `method` (0 when none). */
static int64_t latest_run_with(Report *rp, const char *method) {
    return report_latest_run(
        rp, "EXISTS (SELECT 1 FROM generations g WHERE g.run_id = r.id AND g.method = ?2)", method);
}

void report_top_molecules(Report *rp) {
    FILE *fp = rp->fp;
    fprintf(fp, "<section id=\"top\"><h2>Top molecules</h2>\n");
    int64_t runs[2] = {latest_run_with(rp, "sample"), latest_run_with(rp, "optimize")};
    static const char *const names[2] = {"sampling", "optimization"};
    for (int k = 0; k < 2; k++) {
        if (!runs[k]) continue;
        StoreValue p = {.type = STORE_INT, .i = runs[k]};
        StoreTable t;
        if (report_select(rp,
                          "SELECT count(*), sum(valid), count(DISTINCT molecule_id) FROM "
                          "generations WHERE run_id = ?1",
                          &p, 1, &t) == 0 &&
            t.nrow == 1) {
            double n = store_table_real(&t, 0, 0), v = store_table_real(&t, 0, 1),
                   u = store_table_real(&t, 0, 2);
            fprintf(fp,
                    "<p>Run %lld (%s): %.0f decoded strings, %.1f%% valid, %.0f distinct valid "
                    "molecules.</p>\n",
                    (long long)runs[k], names[k], n, n > 0 ? 100 * v / n : 0, u);
        }
        store_table_free(&t);
    }
    if (!runs[0] && !runs[1]) {
        report_empty(rp, "No generated molecules (run 'chemvae sample' or 'chemvae optimize').");
        fprintf(fp, "</section>\n");
        return;
    }
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT m.smiles, m.qed, m.logp, m.sa, m.penalized_logp, group_concat(DISTINCT "
             "g.method) AS methods "
             "FROM generations g JOIN molecules m ON m.id = g.molecule_id WHERE g.run_id IN (?1, "
             "?2) AND g.valid "
             "AND m.%s IS NOT NULL GROUP BY m.id ORDER BY m.%s %s, m.id LIMIT ?3",
             rp->score, rp->score, strcmp(rp->score, "sa") ? "DESC" : "ASC");
    StoreValue p[3] = {{.type = STORE_INT, .i = runs[0]},
                       {.type = STORE_INT, .i = runs[1]},
                       {.type = STORE_INT, .i = rp->top}};
    StoreTable t;
    if (report_select(rp, sql, p, 3, &t) != 0 || t.nrow == 0) {
        report_empty(rp, "The generation runs produced no valid molecule.");
    } else {
        fprintf(fp, "<p>The %zu best distinct valid molecules by %s%s.</p>\n<div class=\"grid\">\n",
                t.nrow, rp->score_label, strcmp(rp->score, "sa") ? "" : " (lowest first)");
        for (size_t r = 0; r < t.nrow; r++) {
            fprintf(fp, "<div class=\"card\">");
            report_molecule_svg(rp, text_cell(&t, r, 0), 220, 170);
            fprintf(fp, "<div class=\"smi\">");
            html_escape(fp, text_cell(&t, r, 0));
            fprintf(fp, "</div><div class=\"sc\">#%zu ", r + 1);
            score_line(fp, "QED", store_table_real(&t, r, 1));
            score_line(fp, "logP", store_table_real(&t, r, 2));
            score_line(fp, "SA", store_table_real(&t, r, 3));
            score_line(fp, "pen.logP", store_table_real(&t, r, 4));
            fprintf(fp, "&middot; ");
            html_escape(fp, text_cell(&t, r, 5));
            fprintf(fp, "</div></div>\n");
        }
        fprintf(fp, "</div>\n");
    }
    store_table_free(&t);
    fprintf(fp, "</section>\n");
}

void report_interpolation(Report *rp) {
    FILE *fp = rp->fp;
    fprintf(fp, "<section id=\"interpolation\"><h2>Interpolation</h2>\n");
    int64_t run = latest_run_with(rp, "interpolate");
    if (!run) {
        report_empty(rp, "No interpolation (run 'chemvae interpolate').");
        fprintf(fp, "</section>\n");
        return;
    }
    StoreValue p = {.type = STORE_INT, .i = run};
    StoreTable t;
    /* per (path, step) the most frequent valid decode */
    const char *sql = "SELECT coalesce(g.source, ''), g.step, m.smiles, count(*) AS n, "
                      "(SELECT count(*) FROM generations h WHERE h.run_id = ?1 AND h.step = g.step "
                      "AND h.source IS g.source) AS tries FROM generations g JOIN molecules m ON "
                      "m.id = g.molecule_id "
                      "WHERE g.run_id = ?1 AND g.valid AND g.method = 'interpolate' GROUP BY "
                      "g.source, g.step, m.id "
                      "ORDER BY (SELECT min(h.id) FROM generations h WHERE h.run_id = ?1 AND "
                      "h.source IS g.source), g.step, n DESC, "
                      "m.id";
    if (report_select(rp, sql, &p, 1, &t) != 0 || t.nrow == 0) {
        fprintf(fp, "<p>Run %lld.</p>\n", (long long)run);
        report_empty(rp, "The interpolation decoded no valid molecule.");
        store_table_free(&t);
        fprintf(fp, "</section>\n");
        return;
    }
    fprintf(fp,
            "<p>Run %lld: the most frequent valid decode at each step along the latent path; a "
            "molecule is drawn "
            "again only when it changes.</p>\n",
            (long long)run);
    const char *path = NULL, *last = NULL;
    int64_t last_step = -1;
    int paths = 0, drawn = 0;
    for (size_t r = 0; r < t.nrow; r++) {
        const char *src = text_cell(&t, r, 0), *smi = text_cell(&t, r, 2);
        int64_t step = t.cells[r * t.ncol + 1].i;
        if (!path || strcmp(src, path)) {
            if (path) fprintf(fp, "</div>\n");
            if (++paths > MAX_PATHS) break;
            fprintf(fp, "<h3 class=\"sc\">");
            html_escape(fp, *src ? src : "(path)");
            fprintf(fp, "</h3><div class=\"path\">\n");
            path = src;
            last = NULL;
            last_step = -1;
            drawn = 0;
        }
        if (step == last_step) continue; /* a less frequent decode of the same step */
        last_step = step;
        if (last && !strcmp(last, smi)) continue;
        if (drawn == MAX_PATH_MOLS) continue;
        if (drawn) fprintf(fp, "<span class=\"arrow\">&rarr;</span>");
        fprintf(fp, "<div class=\"card\" style=\"width:170px\">");
        report_molecule_svg(rp, smi, 160, 130);
        fprintf(fp,
                "<div class=\"sc\">step %lld &middot; %lld/%lld decodes</div><div class=\"smi\">",
                (long long)step, (long long)t.cells[r * t.ncol + 3].i,
                (long long)t.cells[r * t.ncol + 4].i);
        html_escape(fp, smi);
        fprintf(fp, "</div></div>\n");
        last = smi;
        drawn++;
    }
    fprintf(fp, "</div>\n");
    store_table_free(&t);
    fprintf(fp, "</section>\n");
}

void report_optimization(Report *rp) {
    FILE *fp = rp->fp;
    fprintf(fp, "<section id=\"optimization\"><h2>Optimization</h2>\n");
    int64_t run = latest_run_with(rp, "optimize");
    if (!run) {
        report_empty(rp, "No optimization (run 'chemvae optimize').");
        fprintf(fp, "</section>\n");
        return;
    }
    /* score the trajectories by the run's own objective when it is one RDKit score */
    const char *score = rp->score, *slabel = rp->score_label;
    int asc = !strcmp(score, "sa");
    StoreTable cfg;
    static const char *const objs[][3] = {{"plogp", "penalized_logp", "penalized logP"},
                                          {"logp", "logp", "logP"},
                                          {"qed", "qed", "QED"},
                                          {"sa", "sa", "SA score"},
                                          {"mw", "mw", "MW"}};
    if (report_select(rp,
                      "SELECT json_extract(config, '$.objective'), coalesce(json_extract(config, "
                      "'$.minimize'), 0) "
                      "FROM runs WHERE id = ?1 AND json_valid(config)",
                      &(StoreValue){.type = STORE_INT, .i = run}, 1, &cfg) == 0 &&
        cfg.nrow == 1 && cfg.cells[0].type == STORE_TEXT)
        for (int k = 0; k < 5; k++)
            if (!strcmp(cfg.cells[0].s, objs[k][0])) {
                score = objs[k][1], slabel = objs[k][2];
                asc = store_table_real(&cfg, 0, 1) != 0;
            }
    store_table_free(&cfg);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(g.source, ''), g.step, %s(m.%s), max(g.similarity) FROM generations "
             "g JOIN molecules m "
             "ON m.id = g.molecule_id WHERE g.run_id = ?1 AND g.valid AND g.method = 'optimize' "
             "AND m.%s IS NOT NULL "
             "GROUP BY g.source, g.step ORDER BY (SELECT min(h.id) FROM generations h WHERE "
             "h.run_id = ?1 AND h.source "
             "IS g.source), g.step",
             asc ? "min" : "max", score, score);
    StoreValue p = {.type = STORE_INT, .i = run};
    StoreTable t;
    if (report_select(rp, sql, &p, 1, &t) != 0 || t.nrow == 0) {
        fprintf(fp, "<p>Run %lld.</p>\n", (long long)run);
        report_empty(rp, "The optimization decoded no valid molecule.");
        store_table_free(&t);
        fprintf(fp, "</section>\n");
        return;
    }
    size_t n = t.nrow;
    double *xy = malloc(2 * n * sizeof *xy);
    PlotSeries s[MAX_TRAJ];
    char names[MAX_TRAJ][40];
    size_t ns = 0, nsrc = 0;
    if (!xy) goto out;
    for (size_t r = 0; r < n; r++) {
        xy[r] = (double)t.cells[r * t.ncol + 1].i;
        xy[n + r] = store_table_real(&t, r, 2);
        const char *src = text_cell(&t, r, 0);
        if (r == 0 || strcmp(src, text_cell(&t, r - 1, 0))) {
            nsrc++;
            if (ns < MAX_TRAJ) {
                snprintf(names[ns], sizeof names[ns], "%.24s%s", *src ? src : "start",
                         strlen(src) > 24 ? "…" : "");
                s[ns] = (PlotSeries){names[ns], xy + r, xy + n + r, 0};
                ns++;
            }
        }
        if (nsrc <= MAX_TRAJ) s[ns - 1].n++;
    }
    fprintf(fp,
            "<p>Run %lld: %zu start molecule%s; the true RDKit %s of the best valid decode at each "
            "gradient step "
            "(steps without a valid decode are gaps)%s.</p>\n",
            (long long)run, nsrc, nsrc == 1 ? "" : "s", slabel,
            nsrc > MAX_TRAJ ? ", the first ten shown" : "");
    char ytitle[64];
    snprintf(ytitle, sizeof ytitle, "%s (RDKit)", slabel);
    plot_lines(fp, "Optimization trajectories", "step", ytitle, s, ns, 760, 360);
    /* per start: its own score and the best molecule found */
    snprintf(sql, sizeof sql,
             "SELECT src, smiles, score, similarity, step FROM (SELECT coalesce(g.source, '') AS "
             "src, m.smiles, "
             "m.%s AS score, g.similarity, g.step, row_number() OVER (PARTITION BY g.source ORDER "
             "BY m.%s %s, g.id) "
             "AS k, min(g.id) OVER (PARTITION BY g.source) AS first FROM generations g JOIN "
             "molecules m ON m.id = "
             "g.molecule_id WHERE g.run_id = ?1 AND g.valid AND g.method = 'optimize' AND m.%s IS "
             "NOT NULL) "
             "WHERE k = 1 ORDER BY first LIMIT 50",
             score, score, asc ? "ASC" : "DESC", score);
    StoreTable b;
    if (report_select(rp, sql, &p, 1, &b) == 0 && b.nrow) {
        fprintf(
            fp,
            "<table><tr><th>start</th><th>start %s</th><th>best found</th><th></th><th>best %s</th>"
            "<th>improvement</th><th>similarity</th><th>step</th></tr>\n",
            slabel, slabel);
        for (size_t r = 0; r < b.nrow; r++) {
            const char *src = text_cell(&b, r, 0);
            ChemScores cs;
            double start = NAN;
            if (*src && chem_score_smiles(src, &cs, NULL)) {
                double v[] = {cs.penalized_logp, cs.qed, cs.logp, cs.sa, cs.mw};
                static const char *const cols[] = {"penalized_logp", "qed", "logp", "sa", "mw"};
                for (int k = 0; k < 5; k++)
                    if (!strcmp(score, cols[k])) start = v[k];
            }
            double best = store_table_real(&b, r, 2), sim = store_table_real(&b, r, 3);
            fprintf(fp, "<tr><td class=\"smi\">");
            html_escape(fp, src);
            fprintf(fp, "</td><td class=\"n\">%.3f</td><td>", start);
            report_molecule_svg(rp, text_cell(&b, r, 1), 150, 110);
            fprintf(fp, "</td><td class=\"smi\">");
            html_escape(fp, text_cell(&b, r, 1));
            fprintf(fp, "</td><td class=\"n\">%.3f</td><td class=\"n\">%+.3f</td><td class=\"n\">",
                    best, asc ? start - best : best - start);
            if (isfinite(sim)) fprintf(fp, "%.3f", sim);
            fprintf(fp, "</td><td class=\"n\">%lld</td></tr>\n",
                    (long long)b.cells[r * b.ncol + 4].i);
        }
        fprintf(fp, "</table>\n");
    }
    store_table_free(&b);
out:
    free(xy);
    store_table_free(&t);
    fprintf(fp, "</section>\n");
}

/* Molecules encoded per batch for the latent map. */
#define LATENT_BATCH 64

CvStatus report_latent_load(const Report *rp, CvModel *m, CvDataset *ds, CvError *err) {
    CvStatus st = cv_model_load(m, rp->model, LATENT_BATCH, err);
    if (!st) st = dataset_load(ds, rp->data, err);
    if (!st) st = ckpt_meta_check_vocab(&m->meta, &ds->vocab, rp->model, rp->data, err);
    if (!st && (size_t)m->vae.cfg.T != ds->T)
        st = cv_error_set(err, CV_ERR_MISMATCH, "%s has T=%d but %s has T=%zu", rp->model,
                          m->vae.cfg.T, rp->data, ds->T);
    return st;
}

/* Encodes up to rp->pca_max test molecules (all molecules when the test split is empty) of
 * the loaded dataset with the loaded model. */
static CvStatus latent_map(Report *rp, CvError *err) {
    FILE *fp = rp->fp;
    Vae *vae = &rp->latent_model->vae;
    const CvDataset *ds = rp->latent_data;
    uint32_t *idx = NULL;
    int32_t *ids = NULL;
    float *mu = NULL;
    double *proj = NULL, *cols = NULL, *color = NULL;
    const size_t MB = LATENT_BATCH;
    size_t n = 0;
    CvStatus st;
    const char *which = "test";
    if ((st = dataset_split_indices(ds, CV_SPLIT_TEST, &idx, &n, err))) goto done;
    if (n == 0) {
        which = "all";
        if (!(idx = malloc(ds->n * sizeof *idx))) goto oom;
        for (size_t i = 0; i < ds->n; i++) idx[i] = (uint32_t)i;
        n = ds->n;
    }
    if (n > rp->pca_max) n = rp->pca_max;
    size_t Z = (size_t)vae->cfg.Z, p = 0;
    if (rp->color_by) {
        for (p = 0; p < ds->P && strcasecmp(ds->prop_names[p], rp->color_by); p++) continue;
        if (p == ds->P) {
            st = cv_error_set(err, CV_ERR_INVALID, "--color-by %s: %s has no such property",
                              rp->color_by, rp->data);
            goto done;
        }
    }
    if (Z < 2) {
        st = cv_error_set(err, CV_ERR_INVALID, "%s: latent size %zu; the map needs 2 or more",
                          rp->model, Z);
        goto done;
    }
    if (n < 2) {
        st = cv_error_set(err, CV_ERR_EMPTY, "%s: fewer than 2 molecules to map", rp->data);
        goto done;
    }
    if (!(ids = malloc(MB * ds->T * sizeof *ids)) || !(mu = malloc(n * Z * sizeof *mu)) ||
        !(proj = malloc(n * 2 * sizeof *proj)) || !(cols = malloc(n * 2 * sizeof *cols)) ||
        !(color = malloc(n * sizeof *color)))
        goto oom;
    for (size_t i = 0; i < n; i += MB) {
        size_t B = n - i < MB ? n - i : MB;
        dataset_fill_ids(ds, idx + i, B, ids);
        vae_encode(vae, ids, B, mu + i * Z, NULL);
    }
    double var[2] = {0, 0}, total = 0;
    if ((st = pca_project(mu, n, Z, 2, proj, var, &total, err))) goto done;
    double *x = cols, *y = cols + n; /* (n, 2) row-major -> two columns */
    for (size_t i = 0; i < n; i++) {
        x[i] = proj[2 * i];
        y[i] = proj[2 * i + 1];
    }
    for (size_t i = 0; i < n; i++) color[i] = ds->P ? ds->props[(size_t)idx[i] * ds->P + p] : NAN;
    char xl[64], yl[64];
    snprintf(xl, sizeof xl, "PC1 (%.1f%% of variance)", total > 0 ? 100 * var[0] / total : 0);
    snprintf(yl, sizeof yl, "PC2 (%.1f%% of variance)", total > 0 ? 100 * var[1] / total : 0);
    fprintf(fp, "<p>Latent means &mu; of %zu %s molecules of ", n, which);
    html_escape(fp, rp->data);
    fprintf(fp, " encoded by ");
    html_escape(fp, rp->model);
    fprintf(
        fp,
        " (Z = %zu), projected on their first two principal components and coloured by %s.</p>\n",
        Z, ds->P ? ds->prop_names[p] : "nothing (no properties)");
    plot_scatter(fp, "Latent space (PCA)", xl, yl, x, y, color, n, ds->P ? ds->prop_names[p] : "",
                 640, 480);
    st = CV_OK;
    goto done;
oom:
    st = cv_error_set(err, CV_ERR_NOMEM, "out of memory encoding %zu molecules", n);
done:
    free(idx);
    free(ids);
    free(mu);
    free(proj);
    free(cols);
    free(color);
    return st;
}

void report_latent(Report *rp) {
    fprintf(rp->fp, "<section id=\"latent\"><h2>Latent space</h2>\n");
    CvError err = {0};
    if (!rp->latent_model) {
        report_empty(rp, "No latent-space map: give --model CHECKPOINT --data DATASET.cvds.");
    } else if (latent_map(rp, &err) != CV_OK) { /* a map the inputs cannot give */
        fprintf(stderr, "chemvae report: latent space: %s\n", err.msg);
        char msg[CV_ERRMSG_MAX + 64];
        snprintf(msg, sizeof msg, "No latent-space map: %s", err.msg);
        report_empty(rp, msg);
    }
    fprintf(rp->fp, "</section>\n");
}
