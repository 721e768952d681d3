/* report_mols.c — the report's molecule sections (see report_internal.h): the top
 * generated/optimized molecules as a grid of RDKit drawings, each with its nearest
 * neighbour in a sample of the training set (Morgan fingerprints of that sample computed
 * here on `threads` workers, CHEM_FP_BITS bits: the fingerprints of `chemvae query
 * similar`), the interpolation path drawn
 * step by step, and the optimization trajectories (true RDKit score of the best valid
 * decode per step, one line per start molecule) with the best molecule found per start.
 *
 * Every number shown is read from the DB (true RDKit scores stored with the molecules) or
 * computed here with RDKit (the start molecules' scores); the property head's predictions
 * are not used. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"
#include "chemvae/core/parfor.h"
#include "report_internal.h"
#include "report_svg.h"

#define MAX_PATHS 3
#define MAX_PATH_MOLS 14
#define MAX_TRAJ 10
#define MAX_STARTS 50 /* rows of the best-per-start table */

static void score_line(FILE *fp, const char *name, double v) {
    if (isfinite(v)) fprintf(fp, "%s %.3f ", name, v);
}

static int64_t cell_int(const StoreTable *t, size_t r, size_t c) {
    return t->cells[r * t->ncol + c].i;
}

/* "Run N (what): decodes, valid share, distinct valid molecules." for a generating run. */
static void run_counts(Report *rp, int64_t run, const char *what) {
    StoreTable t = {0};
    CvError err = {0};
    if (report_read_ok(rp, cv_store_run_read(rp->db, STORE_READ_COUNTS, run, &t, &err), &err) ==
            0 &&
        t.nrow == 1) {
        int cn = cv_store_table_col(&t, "generations"), cv = cv_store_table_col(&t, "valid"),
            cu = cv_store_table_col(&t, "distinct_molecules");
        double n = cn < 0 ? NAN : cv_store_table_real(&t, 0, (size_t)cn),
               v = cv < 0 ? NAN : cv_store_table_real(&t, 0, (size_t)cv),
               u = cu < 0 ? NAN : cv_store_table_real(&t, 0, (size_t)cu);
        fprintf(rp->fp,
                "<p>Run %lld (%s): %.0f decoded strings, %.1f%% valid, %.0f distinct valid "
                "molecules.</p>\n",
                (long long)run, what, n, n > 0 ? 100 * v / n : 0, u);
    }
    cv_store_table_free(&t);
}

/* Fingerprints of a sample of the training set, for nearest neighbours. */
typedef struct {
    const CvDataset *ds;
    uint32_t *rows;
    size_t n;
    unsigned char *fp; /* (n, CHEM_FP_BYTES); an unparsable molecule's is all zero */
} TrainFps;

static void fp_task(void *ctx, size_t b0, size_t b1, int worker) {
    (void)worker;
    TrainFps *t = ctx;
    for (size_t i = b0; i < b1; i++)
        cv_chem_smiles_fp(dataset_smiles(t->ds, t->rows[i]), t->fp + i * CHEM_FP_BYTES);
}

/* Fingerprints neighbours_max training molecules (report_train_rows) on rp->threads
 * workers; -1 (warned, t empty) when there is no training set. */
static int train_fps(Report *rp, TrainFps *t) {
    CvError err = {0};
    memset(t, 0, sizeof *t);
    t->ds = rp->latent_data;
    CvStatus st = report_train_rows(rp, rp->cfg->neighbours_max, &t->rows, &t->n, &err);
    if (!st && !(t->fp = malloc(t->n * CHEM_FP_BYTES)))
        st = cv_error_set(&err, CV_ERR_NOMEM, "out of memory fingerprinting %zu molecules", t->n);
    if (st) {
        report_warn(rp, "nearest neighbours: %s", err.msg);
        free(t->rows);
        memset(t, 0, sizeof *t);
        return -1;
    }
    cv_parallel_for(t->n, rp->threads, 64, fp_task, t);
    return 0;
}

/* The nearest training molecule of `smiles` (Tanimoto on CHEM_FP_BITS Morgan bits): its
 * index into t, or -1 (sim NaN) when smiles is invalid or t empty. sims: t->n doubles. */
static long nearest(const TrainFps *t, const char *smiles, double *sims, double *sim) {
    unsigned char q[CHEM_FP_BYTES];
    *sim = NAN;
    if (!t->n || !cv_chem_smiles_fp(smiles, q)) return -1;
    cv_chem_fp_tanimoto_many(q, t->fp, t->n, sims);
    size_t best = 0;
    for (size_t i = 1; i < t->n; i++)
        if (sims[i] > sims[best]) best = i;
    *sim = sims[best];
    return (long)best;
}

/* The card's nearest-neighbour lines: drawing, SMILES and similarity. */
static void neighbour_lines(Report *rp, const TrainFps *t, const char *smiles, double *sims) {
    double sim;
    long k = nearest(t, smiles, sims, &sim);
    if (k < 0) return;
    FILE *fp = rp->fp;
    const char *nb = dataset_smiles(t->ds, t->rows[k]);
    fprintf(fp,
            "<div class=\"nn\"><div>nearest training molecule, Tanimoto <b "
            "class=\"nn-sim\">%.3f</b>%s</div>",
            sim, !strcmp(nb, smiles) ? " (in the training set)" : "");
    report_molecule_svg(rp, nb, 140, 100);
    fprintf(fp, "<div class=\"smi\">");
    report_html_escape(fp, nb);
    fprintf(fp, "</div></div>");
}

/* One card of the grid: drawing, SMILES, rank, scores, methods (a top_generated row). */
static void molecule_card(Report *rp, const StoreTable *t, size_t r) {
    FILE *fp = rp->fp;
    fprintf(fp, "<div class=\"card\">");
    report_molecule_svg(rp, report_text_cell(t, r, 0), 220, 170);
    fprintf(fp, "<div class=\"smi\">");
    report_html_escape(fp, report_text_cell(t, r, 0));
    fprintf(fp, "</div><div class=\"sc\">#%zu ", r + 1);
    score_line(fp, "QED", cv_store_table_real(t, r, 1));
    score_line(fp, "logP", cv_store_table_real(t, r, 2));
    score_line(fp, "SA", cv_store_table_real(t, r, 3));
    score_line(fp, "pen.logP", cv_store_table_real(t, r, 4));
    fprintf(fp, "&middot; ");
    report_html_escape(fp, report_text_cell(t, r, 5));
    fprintf(fp, "</div>");
}

/* The grid of the top molecules t, each with its nearest training neighbour when a
 * dataset was given. */
static void top_grid(Report *rp, const StoreTable *t) {
    FILE *fp = rp->fp;
    TrainFps tf = {0};
    double *sims = NULL;
    if (rp->latent_model && train_fps(rp, &tf) == 0 && !(sims = malloc(tf.n * sizeof *sims)))
        tf.n = 0;
    fprintf(fp, "<p>The %zu best distinct valid molecules by %s%s", t->nrow, rp->score_label,
            !strcmp(rp->cfg->score, "sa") ? " (lowest first)" : "");
    if (tf.n) {
        fprintf(fp,
                ", each with its nearest neighbour (Morgan fingerprint, radius 2, %d bits, "
                "Tanimoto) among %zu training molecules of ",
                CHEM_FP_BITS, tf.n);
        report_html_escape(fp, rp->cfg->data);
        if (tf.n < rp->latent_data->count[CV_SPLIT_TRAIN])
            fprintf(fp, " (spread evenly over its %zu; --neighbours-max 0 searches them all)",
                    rp->latent_data->count[CV_SPLIT_TRAIN]);
    }
    fprintf(fp, ".</p>\n<div class=\"grid\">\n");
    for (size_t r = 0; r < t->nrow; r++) {
        molecule_card(rp, t, r);
        if (tf.n) neighbour_lines(rp, &tf, report_text_cell(t, r, 0), sims);
        fprintf(fp, "</div>\n");
    }
    fprintf(fp, "</div>\n");
    free(sims);
    free(tf.rows);
    free(tf.fp);
}

void report_top_molecules(Report *rp) {
    FILE *fp = rp->fp;
    const char *score = rp->cfg->score;
    fprintf(fp, "<section id=\"top\"><h2>Top molecules</h2>\n");
    int64_t runs[2] = {report_latest_run(rp, STORE_REPORT_GENERATING, "sample"),
                       report_latest_run(rp, STORE_REPORT_GENERATING, "optimize")};
    static const char *const names[2] = {"sampling", "optimization"};
    for (int k = 0; k < 2; k++)
        if (runs[k]) run_counts(rp, runs[k], names[k]);
    if (!runs[0] && !runs[1]) {
        report_empty(rp, "No generated molecules (run 'chemvae sample' or 'chemvae optimize').");
        fprintf(fp, "</section>\n");
        return;
    }
    int asc = !strcmp(score, "sa");
    StoreTable t = {0};
    CvError err = {0};
    CvStatus st =
        cv_store_report_top_generated(rp->db, runs[0], runs[1], score, asc, rp->cfg->top, &t, &err);
    if (report_read_ok(rp, st, &err) != 0 || t.nrow == 0) {
        report_empty(rp, "The generation runs produced no valid molecule.");
    } else {
        top_grid(rp, &t);
    }
    cv_store_table_free(&t);
    fprintf(fp, "</section>\n");
}

/* The paths of t (STORE_READ_INTERPOLATION): per path its changing molecules, one card
 * per step whose most frequent decode differs from the previous step's. */
static void interpolation_paths(Report *rp, const StoreTable *t) {
    FILE *fp = rp->fp;
    const char *path = NULL, *last = NULL;
    int64_t last_step = -1;
    int paths = 0, drawn = 0;
    for (size_t r = 0; r < t->nrow; r++) {
        const char *src = report_text_cell(t, r, 0), *smi = report_text_cell(t, r, 2);
        int64_t step = cell_int(t, r, 1);
        if (!path || strcmp(src, path)) {
            if (path) fprintf(fp, "</div>\n");
            if (++paths > MAX_PATHS) break;
            fprintf(fp, "<h3 class=\"sc\">");
            report_html_escape(fp, *src ? src : "(path)");
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
                (long long)step, (long long)cell_int(t, r, 3), (long long)cell_int(t, r, 4));
        report_html_escape(fp, smi);
        fprintf(fp, "</div></div>\n");
        last = smi;
        drawn++;
    }
    fprintf(fp, "</div>\n");
}

void report_interpolation(Report *rp) {
    FILE *fp = rp->fp;
    fprintf(fp, "<section id=\"interpolation\"><h2>Interpolation</h2>\n");
    int64_t run = report_latest_run(rp, STORE_REPORT_GENERATING, "interpolate");
    StoreTable t = {0};
    CvError err = {0};
    if (!run) {
        report_empty(rp, "No interpolation (run 'chemvae interpolate').");
    } else if (report_read_ok(rp,
                              cv_store_run_read(rp->db, STORE_READ_INTERPOLATION, run, &t, &err),
                              &err) != 0 ||
               t.nrow == 0) {
        fprintf(fp, "<p>Run %lld.</p>\n", (long long)run);
        report_empty(rp, "The interpolation decoded no valid molecule.");
    } else {
        fprintf(fp,
                "<p>Run %lld: the most frequent valid decode at each step along the latent path; "
                "a molecule is drawn "
                "again only when it changes.</p>\n",
                (long long)run);
        interpolation_paths(rp, &t);
    }
    cv_store_table_free(&t);
    fprintf(fp, "</section>\n");
}

/* What the trajectories are scored by: the run's own objective when it is one RDKit
 * score (minimized when the run minimized it), else the report's score. */
typedef struct {
    const char *score, *label;
    int asc;
} TrajScore;

static TrajScore trajectory_score(Report *rp, int64_t run) {
    TrajScore ts = {rp->cfg->score, rp->score_label, !strcmp(rp->cfg->score, "sa")};
    static const char *const objs[][3] = {{"plogp", "penalized_logp", "penalized logP"},
                                          {"logp", "logp", "logP"},
                                          {"qed", "qed", "QED"},
                                          {"sa", "sa", "SA score"},
                                          {"mw", "mw", "MW"}};
    StoreTable cfg = {0};
    CvError err = {0};
    if (report_read_ok(rp, cv_store_run_read(rp->db, STORE_READ_OBJECTIVE, run, &cfg, &err),
                       &err) == 0 &&
        cfg.nrow == 1 && cfg.cells[0].type == STORE_TEXT)
        for (int k = 0; k < 5; k++)
            if (!strcmp(cfg.cells[0].s, objs[k][0])) {
                ts.score = objs[k][1], ts.label = objs[k][2];
                ts.asc = cv_store_table_real(&cfg, 0, 1) != 0;
            }
    cv_store_table_free(&cfg);
    return ts;
}

/* The intro and the chart of the trajectories t (cv_store_report_trajectories): one series
 * per start, the first MAX_TRAJ of them. Returns -1 when out of memory (nothing written). */
static int trajectory_chart(Report *rp, int64_t run, const StoreTable *t, const TrajScore *ts) {
    size_t n = t->nrow;
    double *xy = malloc(2 * n * sizeof *xy);
    ReportSeries s[MAX_TRAJ];
    char names[MAX_TRAJ][40];
    size_t ns = 0, nsrc = 0;
    if (!xy) return -1;
    for (size_t r = 0; r < n; r++) {
        xy[r] = (double)cell_int(t, r, 1);
        xy[n + r] = cv_store_table_real(t, r, 2);
        const char *src = report_text_cell(t, r, 0);
        if (r == 0 || strcmp(src, report_text_cell(t, r - 1, 0))) {
            nsrc++;
            if (ns < MAX_TRAJ) {
                snprintf(names[ns], sizeof names[ns], "%.24s%s", *src ? src : "start",
                         strlen(src) > 24 ? "…" : "");
                s[ns] = (ReportSeries){names[ns], xy + r, xy + n + r, 0};
                ns++;
            }
        }
        if (nsrc <= MAX_TRAJ) s[ns - 1].n++;
    }
    fprintf(rp->fp,
            "<p>Run %lld: %zu start molecule%s; the true RDKit %s of the best valid decode at each "
            "gradient step "
            "(steps without a valid decode are gaps)%s.</p>\n",
            (long long)run, nsrc, nsrc == 1 ? "" : "s", ts->label,
            nsrc > MAX_TRAJ ? ", the first ten shown" : "");
    char ytitle[64];
    snprintf(ytitle, sizeof ytitle, "%s (RDKit)", ts->label);
    report_plot_lines(rp->fp, "Optimization trajectories", "step", ytitle, s, ns, 760, 360);
    free(xy);
    return 0;
}

/* The RDKit value of score column `score` for SMILES src (NaN when src is empty or not a
 * molecule). */
static double start_score(const char *src, const char *score) {
    ChemScores cs;
    double start = NAN;
    if (*src && cv_chem_score_smiles(src, &cs, NULL)) {
        double v[] = {cs.penalized_logp, cs.qed, cs.logp, cs.sa, cs.mw};
        static const char *const cols[] = {"penalized_logp", "qed", "logp", "sa", "mw"};
        for (int k = 0; k < 5; k++)
            if (!strcmp(score, cols[k])) start = v[k];
    }
    return start;
}

/* One row of the best-per-start table (a cv_store_report_best_per_start row). */
static void best_row(Report *rp, const StoreTable *b, size_t r, const TrajScore *ts) {
    FILE *fp = rp->fp;
    const char *src = report_text_cell(b, r, 0);
    double start = start_score(src, ts->score);
    double best = cv_store_table_real(b, r, 2), sim = cv_store_table_real(b, r, 3);
    fprintf(fp, "<tr><td class=\"smi\">");
    report_html_escape(fp, src);
    fprintf(fp, "</td><td class=\"n\">%.3f</td><td>", start);
    report_molecule_svg(rp, report_text_cell(b, r, 1), 150, 110);
    fprintf(fp, "</td><td class=\"smi\">");
    report_html_escape(fp, report_text_cell(b, r, 1));
    fprintf(fp, "</td><td class=\"n\">%.3f</td><td class=\"n\">%+.3f</td><td class=\"n\">", best,
            ts->asc ? start - best : best - start);
    if (isfinite(sim)) fprintf(fp, "%.3f", sim);
    fprintf(fp, "</td><td class=\"n\">%lld</td></tr>\n", (long long)cell_int(b, r, 4));
}

/* Per start: its own score and the best molecule found. */
static void best_per_start(Report *rp, int64_t run, const TrajScore *ts) {
    StoreTable b = {0};
    CvError err = {0};
    CvStatus st =
        cv_store_report_best_per_start(rp->db, run, ts->score, ts->asc, MAX_STARTS, &b, &err);
    if (report_read_ok(rp, st, &err) == 0 && b.nrow) {
        fprintf(
            rp->fp,
            "<table><tr><th>start</th><th>start %s</th><th>best found</th><th></th><th>best %s</th>"
            "<th>improvement</th><th>similarity</th><th>step</th></tr>\n",
            ts->label, ts->label);
        for (size_t r = 0; r < b.nrow; r++) best_row(rp, &b, r, ts);
        fprintf(rp->fp, "</table>\n");
    }
    cv_store_table_free(&b);
}

void report_optimization(Report *rp) {
    FILE *fp = rp->fp;
    fprintf(fp, "<section id=\"optimization\"><h2>Optimization</h2>\n");
    int64_t run = report_latest_run(rp, STORE_REPORT_GENERATING, "optimize");
    StoreTable t = {0};
    CvError err = {0};
    if (!run) {
        report_empty(rp, "No optimization (run 'chemvae optimize').");
        fprintf(fp, "</section>\n");
        return;
    }
    TrajScore ts = trajectory_score(rp, run);
    CvStatus st = cv_store_report_trajectories(rp->db, run, ts.score, ts.asc, &t, &err);
    if (report_read_ok(rp, st, &err) != 0 || t.nrow == 0) {
        fprintf(fp, "<p>Run %lld.</p>\n", (long long)run);
        report_empty(rp, "The optimization decoded no valid molecule.");
    } else if (trajectory_chart(rp, run, &t, &ts) == 0) {
        best_per_start(rp, run, &ts);
    }
    cv_store_table_free(&t);
    fprintf(fp, "</section>\n");
}
