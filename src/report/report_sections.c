/* report_sections.c — the report's sections about runs (see report_internal.h): the runs in
 * scope, the training curves of the latest train run (with the runs it resumed), the
 * latest evaluation's metrics, and why decodes failed. Tables are shown as the store
 * returns them (store.h, "reads for the report"); the training curves are drawn as line
 * charts (report_svg.c), one per loss term or monitor, train and validation together. */
#include <stdlib.h>
#include <string.h>

#include "chemvae/model/checkpoint.h"
#include "report_internal.h"
#include "report_svg.h"

/* An HTML table of up to max_rows rows of t (BLOB cells elided). */
static void html_table(FILE *fp, const StoreTable *t, size_t max_rows) {
    fprintf(fp, "<table><tr>");
    for (size_t c = 0; c < t->ncol; c++) {
        fprintf(fp, "<th>");
        report_html_escape(fp, t->names[c]);
        fprintf(fp, "</th>");
    }
    fprintf(fp, "</tr>\n");
    for (size_t r = 0; r < t->nrow && r < max_rows; r++) {
        fprintf(fp, "<tr>");
        for (size_t c = 0; c < t->ncol; c++) {
            const StoreValue *v = &t->cells[r * t->ncol + c];
            fprintf(fp,
                    v->type == STORE_INT || v->type == STORE_REAL ? "<td class=\"n\">" : "<td>");
            if (v->type == STORE_INT) fprintf(fp, "%lld", (long long)v->i);
            if (v->type == STORE_REAL) fprintf(fp, "%.4g", v->d);
            if (v->type == STORE_TEXT) report_html_escape(fp, v->s);
            if (v->type == STORE_BLOB) fprintf(fp, "(%zu bytes)", v->len);
            fprintf(fp, "</td>");
        }
        fprintf(fp, "</tr>\n");
    }
    fprintf(fp, "</table>\n");
    if (t->nrow > max_rows)
        fprintf(fp, "<p class=\"note\">%zu more rows not shown.</p>\n", t->nrow - max_rows);
}

/* A section holding one table, `read` (cv_store_run_read) of the report's scope, shown after
 * `intro` (NULL = none), or `empty` when it has no rows. */
static void section_table(Report *rp, const char *id, const char *title, StoreRunRead read,
                          const char *intro, const char *empty) {
    fprintf(rp->fp, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
    StoreTable t = {0};
    CvError err = {0};
    if (report_read_ok(rp, cv_store_run_read(rp->db, read, rp->scope, &t, &err), &err) == 0 &&
        t.nrow) {
        if (intro) fprintf(rp->fp, "<p>%s</p>\n", intro);
        html_table(rp->fp, &t, 25);
    } else {
        report_empty(rp, empty);
    }
    cv_store_table_free(&t);
    fprintf(rp->fp, "</section>\n");
}

void report_runs(Report *rp) {
    section_table(rp, "runs", "Runs", STORE_READ_SCOPE_RUNS, NULL, "No runs in this database yet.");
}

/* Without training rows in the DB (e.g. a shipped model): what the checkpoint itself says
 * about its training. Returns 0 when something was written. */
static int model_summary(Report *rp) {
    CkptMeta m = {0};
    CvError err = {0};
    if (cv_ckpt_read_meta(rp->cfg->model, &m, &err) != CV_OK) {
        report_warn(rp, "%s", err.msg);
        return -1;
    }
    char cfg[512];
    cv_vae_config_describe(&m.cfg, cfg, sizeof cfg);
    FILE *fp = rp->fp;
    fprintf(fp, "<p>This database holds no training curves: the model was trained elsewhere. Its "
                "checkpoint "
                "says:</p>\n<table><tr><th>checkpoint</th><td>");
    report_html_escape(fp, rp->cfg->model);
    fprintf(fp,
            "</td></tr><tr><th>epochs</th><td class=\"n\">%ld</td></tr><tr><th>optimizer steps</th>"
            "<td class=\"n\">%ld</td></tr><tr><th>best validation loss</th><td "
            "class=\"n\">%.4f</td></tr>"
            "<tr><th>model</th><td>",
            m.epoch, m.step, m.best_val);
    report_html_escape(fp, cfg);
    fprintf(fp, "</td></tr><tr><th>training options</th><td>");
    report_html_escape(fp, m.train_options);
    fprintf(fp, "</td></tr></table>\n");
    cv_ckpt_meta_free(&m);
    return 0;
}

/* The curves: epoch and the plotted values as columns of (n) doubles. */
enum { NCOL = 8 }; /* epoch, loss, recon, kl, beta, accuracy, tf_exact, active units */

/* Where the "train" and "valid" rows of the curves are: rows come ordered by split, so each
 * split is one run of rows (other splits are ignored). */
typedef struct {
    size_t tstart, ntrain, vstart, nvalid;
} SplitRows;

static SplitRows split_rows(const StoreTable *t) {
    SplitRows s = {0};
    for (size_t r = 0; r < t->nrow; r++) {
        const char *sp = t->cells[r * t->ncol].s;
        if (!sp) continue;
        if (!strcmp(sp, "train")) s.ntrain++;
        if (!strcmp(sp, "valid")) {
            if (!s.nvalid) s.vstart = r;
            s.nvalid++;
        }
    }
    for (size_t r = 0; r < t->nrow; r++)
        if (t->cells[r * t->ncol].s && !strcmp(t->cells[r * t->ncol].s, "train")) {
            s.tstart = r;
            break;
        }
    return s;
}

static void training_intro(FILE *fp, int64_t run, size_t epochs) {
    fprintf(fp,
            "<p>Run %lld: %zu epochs. Loss terms are per-molecule means (recon = summed token "
            "cross-entropy, "
            "KL in nats, loss = recon + &beta;&middot;KL + property term); accuracy is the share "
            "of tokens "
            "predicted correctly with teacher forcing; exact strings is the share of validation "
            "molecules whose "
            "every token is predicted correctly (a bound on greedy reconstruction); active units "
            "are latent "
            "dimensions whose mean varies across validation molecules (variance &gt; "
            "0.01).</p>\n<div class=\"grid\">\n",
            (long long)run, epochs);
}

/* One chart per column of col (NCOL columns of n rows, column 0 the epoch). */
static void training_charts(FILE *fp, const double *col, size_t n, SplitRows sr) {
    static const char *const titles[] = {"Loss",
                                         "Reconstruction (CE)",
                                         "KL divergence",
                                         "KL weight β",
                                         "Token accuracy",
                                         "Exact strings (teacher forced)",
                                         "Active latent units"};
    const double *epoch = col;
    for (size_t c = 1; c < NCOL; c++) {
        const double *y = col + c * n;
        ReportSeries s[2] = {{"train", epoch + sr.tstart, y + sr.tstart, sr.ntrain},
                             {"valid", epoch + sr.vstart, y + sr.vstart, sr.nvalid}};
        if (c >= 6) { /* validation-only monitors (older runs lack them) */
            int any = 0;
            for (size_t r = sr.vstart; r < sr.vstart + sr.nvalid; r++) any |= y[r] == y[r];
            if (!any) continue;
            report_plot_lines(fp, titles[c - 1], "epoch", titles[c - 1], s + 1, 1, 380, 250);
            continue;
        }
        size_t ns = c == 4 ? 1 : 2; /* beta is the same for both splits */
        report_plot_lines(fp, titles[c - 1], "epoch", titles[c - 1], s, ns, 380, 250);
    }
}

/* The curves of t (STORE_READ_TRAINING_CURVES of run) as the intro and the charts. */
static void training_curves(Report *rp, int64_t run, const StoreTable *t) {
    size_t n = t->nrow;
    double *col = malloc(n * NCOL * sizeof *col);
    if (!col) return;
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < NCOL; c++) col[c * n + r] = cv_store_table_real(t, r, c + 1);
    SplitRows sr = split_rows(t);
    training_intro(rp->fp, run, sr.ntrain > sr.nvalid ? sr.ntrain : sr.nvalid);
    training_charts(rp->fp, col, n, sr);
    fprintf(rp->fp, "</div>\n");
    free(col);
}

/* Training rows of the latest train run, joined with the earlier runs it resumed; without
 * any, the checkpoint's own summary when a model was given. */
void report_training(Report *rp) {
    FILE *fp = rp->fp;
    fprintf(fp, "<section id=\"training\"><h2>Training</h2>\n");
    int64_t run = report_latest_run(rp, STORE_REPORT_TRAINING, NULL);
    StoreTable t = {0};
    CvError err = {0};
    if (!run) {
        if (!rp->cfg->model || model_summary(rp) != 0)
            report_empty(rp, "No training metrics (train a model with 'chemvae train').");
    } else if (report_read_ok(rp,
                              cv_store_run_read(rp->db, STORE_READ_TRAINING_CURVES, run, &t, &err),
                              &err) ||
               t.nrow == 0) {
        report_empty(rp, "No training metrics.");
    } else {
        training_curves(rp, run, &t);
    }
    cv_store_table_free(&t);
    fprintf(fp, "</section>\n");
}

void report_eval(Report *rp) {
    fprintf(rp->fp, "<section id=\"eval\"><h2>Evaluation</h2>\n");
    int64_t run = report_latest_run(rp, STORE_REPORT_EVAL, NULL);
    StoreTable t = {0};
    CvError err = {0};
    if (run && cv_store_run_read(rp->db, STORE_READ_EVAL_METRICS, run, &t, &err) == CV_OK &&
        t.nrow) {
        fprintf(rp->fp, "<p>Run %lld.</p>\n", (long long)run);
        html_table(rp->fp, &t, 100);
    } else {
        report_empty(rp, "No evaluation metrics (run 'chemvae eval').");
    }
    cv_store_table_free(&t);
    fprintf(rp->fp, "</section>\n");
}

/* Why decodes failed: invalid generations of each run by failure class. */
void report_failures(Report *rp) {
    section_table(
        rp, "failures", "Why decodes failed", STORE_READ_SCOPE_FAILURES,
        "Invalid decodes by the first rule they break (syntax, ring closure, valence, "
        "aromaticity/kekulization, maximum length) — from the SMILES state machine, else from "
        "RDKit; constrain is the decoding mask in force.",
        "No generations yet.");
}
