/* report_props.c — the report's property distributions (see report_internal.h): logP,
 * QED, SA score and MW of the latest sampling run's valid decodes (the RDKit values stored
 * with their molecules) against the training set, as overlaid histograms and a table of
 * means and standard deviations.
 *
 * The training set is a stride sample of the --data dataset's train split (props_max
 * molecules, report_train_rows) scored here by RDKit with the score job (cv_score: the same
 * functions that scored the stored molecules, on `threads` workers): the dataset's own
 * property columns need not be these four, nor computed the same way. Optimized molecules
 * are left out: an optimization moves them away from the training distribution on
 * purpose. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/app/app_score.h"
#include "report_internal.h"

enum { NPROP = 4 };
static const char *const NAMES[NPROP] = {"logP", "QED", "SA score", "MW"};

/* Property values of a set of molecules: NPROP columns of n. */
typedef struct {
    double *v;
    size_t n;
} PropSet;

static CvStatus score_rows(void *user, const CvScoreRow *rows, size_t n, CvError *err) {
    (void)err;
    PropSet *ps = user;
    for (size_t i = 0; i < n; i++) {
        const CvScoreRow *r = &rows[i];
        double v[NPROP] = {r->scores.logp, r->scores.qed, r->scores.sa, r->scores.mw};
        for (size_t k = 0; k < NPROP; k++) ps->v[k * ps->n + r->index] = r->valid ? v[k] : NAN;
    }
    return CV_OK;
}

/* RDKit's values of the training sample into *ps. */
static CvStatus training_props(const Report *rp, PropSet *ps, CvError *err) {
    uint32_t *rows;
    size_t n;
    CvStatus st = report_train_rows(rp, rp->cfg->props_max, &rows, &n, err);
    if (st) return st;
    const char **smiles = malloc(n * sizeof *smiles);
    ps->v = malloc(n * NPROP * sizeof *ps->v);
    ps->n = n;
    if (!smiles || !ps->v)
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory scoring %zu molecules", n);
    for (size_t i = 0; !st && i < n; i++) smiles[i] = dataset_smiles(rp->latent_data, rows[i]);
    if (!st) {
        CvScoreConfig c = CV_SCORE_DEFAULTS;
        c.smiles = smiles, c.n_smiles = n, c.threads = rp->threads;
        CvScoreSink sink = {score_rows, ps};
        CvScoreResult res;
        st = cv_score(&c, &sink, NULL, &res, err);
    }
    free(rows);
    free(smiles);
    return st;
}

/* The stored values of run `run`'s valid decodes into *ps; CV_OK with ps->n == 0 when it
 * has none. */
static CvStatus generated_props(const Report *rp, int64_t run, PropSet *ps, CvError *err) {
    StoreTable t = {0};
    CvStatus st = cv_store_run_read(rp->db, STORE_READ_GENERATED_PROPS, run, &t, err);
    size_t n = t.nrow;
    if (!st && n) {
        if (!(ps->v = malloc(n * NPROP * sizeof *ps->v)))
            st = cv_error_set(err, CV_ERR_NOMEM, "out of memory reading %zu molecules", n);
        for (size_t r = 0; !st && r < n; r++)
            for (size_t k = 0; k < NPROP; k++) ps->v[k * n + r] = cv_store_table_real(&t, r, k);
        if (!st) ps->n = n;
    }
    cv_store_table_free(&t);
    return st;
}

/* Mean and standard deviation of the finite values of v[0..n). */
static void mean_sd(const double *v, size_t n, double *mean, double *sd) {
    double s = 0, s2 = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) s += v[i], s2 += v[i] * v[i], m++;
    *mean = m ? s / (double)m : NAN;
    *sd = m > 1 ? sqrt(fmax(0, (s2 - s * s / (double)m) / (double)(m - 1))) : NAN;
}

static void props_table(FILE *fp, const PropSet *gen, const PropSet *train) {
    fprintf(fp, "<table class=\"props\"><tr><th>property</th><th>generated mean</th><th>generated "
                "sd</th><th>training mean</th><th>training sd</th></tr>\n");
    for (size_t k = 0; k < NPROP; k++) {
        double gm, gs, tm = NAN, ts = NAN;
        mean_sd(gen->v + k * gen->n, gen->n, &gm, &gs);
        if (train->n) mean_sd(train->v + k * train->n, train->n, &tm, &ts);
        fprintf(fp,
                "<tr><td>%s</td><td class=\"n\">%.4g</td><td class=\"n\">%.4g</td><td "
                "class=\"n\">%.4g</td><td class=\"n\">%.4g</td></tr>\n",
                NAMES[k], gm, gs, tm, ts);
    }
    fprintf(fp, "</table>\n");
}

/* The histograms and the table of gen against train (train->n == 0: none). */
static void props_charts(Report *rp, int64_t run, const PropSet *gen, const PropSet *train) {
    FILE *fp = rp->fp;
    fprintf(fp,
            "<p>RDKit's logP, QED, SA score and MW of the %zu valid decodes of sampling run "
            "%lld",
            gen->n, (long long)run);
    if (train->n) {
        fprintf(fp, " against %zu training molecules of ", train->n);
        report_html_escape(fp, rp->cfg->data);
        size_t all = rp->latent_data->count[CV_SPLIT_TRAIN];
        if (train->n < all) fprintf(fp, " (spread evenly over its %zu training molecules)", all);
        else fprintf(fp, " (its whole train split)");
    }
    fprintf(fp, "; each histogram shows the share of its set per bin.</p>\n<div class=\"grid\">\n");
    for (size_t k = 0; k < NPROP; k++) {
        ReportSample s[2] = {{"generated", gen->v + k * gen->n, gen->n},
                             {"training", train->n ? train->v + k * train->n : NULL, train->n}};
        report_plot_hist(fp, NAMES[k], NAMES[k], s, train->n ? 2 : 1, 30, 560, 260);
    }
    fprintf(fp, "</div>\n");
    props_table(fp, gen, train);
}

void report_properties(Report *rp) {
    FILE *fp = rp->fp;
    fprintf(fp, "<section id=\"properties\"><h2>Property distributions</h2>\n");
    int64_t run = report_latest_run(rp, STORE_REPORT_GENERATING, "sample");
    PropSet gen = {0}, train = {0};
    CvError err = {0};
    if (!run) {
        report_empty(rp, "No sampled molecules (run 'chemvae sample').");
    } else if (generated_props(rp, run, &gen, &err)) {
        report_empty_err(rp, "generated molecules", &err);
    } else if (!gen.n) {
        report_empty(rp, "The sampling run decoded no valid molecule.");
    } else {
        if (!rp->latent_model)
            fprintf(fp, "<p class=\"note\">No training set to compare with: give --model "
                        "CHECKPOINT --data DATASET.cvds.</p>\n");
        else if (training_props(rp, &train, &err)) {
            report_warn(rp, "property distributions: %s", err.msg);
            fprintf(fp, "<p class=\"note\">No training set: ");
            report_html_escape(fp, err.msg);
            fprintf(fp, "</p>\n");
            free(train.v);
            train = (PropSet){0};
        }
        props_charts(rp, run, &gen, &train);
    }
    free(gen.v);
    free(train.v);
    fprintf(fp, "</section>\n");
}
