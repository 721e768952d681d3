/* report_sections.c — the report's sections about runs (see report_internal.h): the runs in
 * scope, the training curves of the latest train run (with the runs it resumed; without
 * one, the model's own history file), and the latest evaluation's metrics, its MOSES metrics
 * also beside MOSES's published models. Tables are shown as the
 * store returns them (store.h, "reads for the report"); the training curves are drawn as line
 * charts (report_svg.c), one per loss term or monitor, train and validation together. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/app/app_train.h"
#include "chemvae/model/checkpoint.h"
#include "report_internal.h"
#include "report_svg.h"

void report_html_table(FILE *fp, const StoreTable *t, size_t max_rows) {
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
        report_html_table(rp->fp, &t, 25);
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
    fprintf(fp, "<p>This database holds no training run: the model was trained elsewhere. Its "
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

static void training_intro(FILE *fp, const char *source, size_t epochs) {
    fprintf(fp,
            "<p>%s: %zu epochs. Loss terms are per-molecule means (recon = summed token "
            "cross-entropy, KL in nats, loss = recon + &beta;&middot;KL + property term); "
            "accuracy is the share of tokens predicted correctly with teacher forcing; exact "
            "strings is the share of validation molecules whose every token is predicted "
            "correctly (a bound on greedy reconstruction); active units are latent dimensions "
            "whose mean varies across validation molecules (variance &gt; 0.01).</p>\n<div "
            "class=\"grid\">\n",
            source, epochs);
}

/* The rows of split sp of h as columns: x (epochs) and y (CV_HISTORY_COLS - 1 columns of
 * n values each), into buf (CV_HISTORY_COLS · h->n doubles); returns n. */
static size_t split_columns(const CvTrainingHistory *h, unsigned char sp, double *buf) {
    size_t n = 0;
    for (size_t r = 0; r < h->n; r++) n += h->split[r] == sp;
    size_t k = 0;
    for (size_t r = 0; r < h->n; r++) {
        if (h->split[r] != sp) continue;
        for (size_t c = 0; c < CV_HISTORY_COLS; c++) buf[c * n + k] = h->v[r * CV_HISTORY_COLS + c];
        k++;
    }
    return n;
}

/* One chart per curve of h, train and validation together (validation-only monitors
 * alone, left out when no row has them). */
static void training_charts(FILE *fp, const CvTrainingHistory *h) {
    static const char *const titles[] = {"Loss",
                                         "Reconstruction (CE)",
                                         "KL divergence",
                                         "KL weight β",
                                         "Token accuracy",
                                         "Exact strings (teacher forced)",
                                         "Active latent units"};
    double *buf = malloc(2 * CV_HISTORY_COLS * (h->n ? h->n : 1) * sizeof *buf);
    if (!buf) return;
    double *tb = buf, *vb = buf + CV_HISTORY_COLS * h->n;
    size_t nt = split_columns(h, CV_SPLIT_TRAIN, tb), nv = split_columns(h, CV_SPLIT_VALID, vb);
    for (size_t c = 1; c < CV_HISTORY_COLS; c++) {
        ReportSeries s[2] = {{"train", tb, tb + c * nt, nt}, {"valid", vb, vb + c * nv, nv}};
        if (c >= 6) { /* validation-only monitors (older runs lack them) */
            int any = 0;
            for (size_t r = 0; r < nv; r++) any |= isfinite(s[1].y[r]);
            if (any)
                report_plot_lines(fp, titles[c - 1], "epoch", titles[c - 1], s + 1, 1, 380, 250);
            continue;
        }
        size_t ns = c == 4 ? 1 : 2; /* beta is the same for both splits */
        report_plot_lines(fp, titles[c - 1], "epoch", titles[c - 1], s, ns, 380, 250);
    }
    free(buf);
}

/* The curves of h, drawn under "<source>: N epochs ...". */
static void training_curves(Report *rp, const char *source, const CvTrainingHistory *h) {
    size_t epochs[2] = {0, 0};
    for (size_t r = 0; r < h->n; r++) epochs[h->split[r] == CV_SPLIT_VALID]++;
    training_intro(rp->fp, source, epochs[0] > epochs[1] ? epochs[0] : epochs[1]);
    training_charts(rp->fp, h);
    fprintf(rp->fp, "</div>\n");
}

/* t (STORE_READ_TRAINING_CURVES: split, epoch, loss, recon, kl, beta, accuracy, tf_exact,
 * active_units) as a history; -1 when out of memory. */
static int history_of_table(const StoreTable *t, CvTrainingHistory *h) {
    memset(h, 0, sizeof *h);
    h->split = malloc(t->nrow ? t->nrow : 1);
    h->v = malloc((t->nrow ? t->nrow : 1) * CV_HISTORY_COLS * sizeof *h->v);
    if (!h->split || !h->v) return -1;
    for (size_t r = 0; r < t->nrow; r++) {
        const char *sp = report_text_cell(t, r, 0);
        if (strcmp(sp, "train") && strcmp(sp, "valid")) continue;
        h->split[h->n] = strcmp(sp, "train") ? CV_SPLIT_VALID : CV_SPLIT_TRAIN;
        for (size_t c = 0; c < CV_HISTORY_COLS; c++)
            h->v[h->n * CV_HISTORY_COLS + c] = cv_store_table_real(t, r, c + 1);
        h->n++;
    }
    h->cap = t->nrow;
    return 0;
}

/* The training run's curves from the DB; -1 when there are none. */
static int db_curves(Report *rp, int64_t run) {
    StoreTable t = {0};
    CvError err = {0};
    CvTrainingHistory h = {0};
    int rc = -1;
    if (!report_read_ok(rp, cv_store_run_read(rp->db, STORE_READ_TRAINING_CURVES, run, &t, &err),
                        &err) &&
        history_of_table(&t, &h) == 0 && h.n) {
        char source[48];
        snprintf(source, sizeof source, "Run %lld", (long long)run);
        training_curves(rp, source, &h);
        rc = 0;
    }
    cv_report_history_free(&h);
    cv_store_table_free(&t);
    return rc;
}

/* The model's history file beside its checkpoint (report.h); -1 when there is none. */
static int file_curves(Report *rp) {
    char *path = cv_train_history_path(rp->latent_model->path);
    CvTrainingHistory h = {0};
    CvError err = {0};
    int rc = -1;
    if (path && access(path, F_OK) == 0) {
        if (cv_report_history_read(path, &h, &err)) report_warn(rp, "%s", err.msg);
        else if (h.n) {
            size_t len = strlen(path) + 64;
            char *source = malloc(len);
            if (source) {
                snprintf(source, len, "The model's training history %s", path);
                training_curves(rp, source, &h);
                rc = 0;
            }
            free(source);
        }
    }
    cv_report_history_free(&h);
    free(path);
    return rc;
}

/* Training rows of the latest train run, joined with the earlier runs it resumed; without
 * any, the model's history file beside its checkpoint and the checkpoint's own summary when
 * a model was given. */
void report_training(Report *rp) {
    FILE *fp = rp->fp;
    fprintf(fp, "<section id=\"training\"><h2>Training</h2>\n");
    int64_t run = report_latest_run(rp, STORE_REPORT_TRAINING, NULL);
    if (run) {
        if (db_curves(rp, run)) report_empty(rp, "No training metrics.");
    } else if (!rp->cfg->model) {
        report_empty(rp, "No training metrics (train a model with 'chemvae train').");
    } else {
        int summary = model_summary(rp), curves = rp->latent_model ? file_curves(rp) : -1;
        if (curves) {
            char *path = rp->latent_model ? cv_train_history_path(rp->latent_model->path) : NULL;
            char msg[4200];
            snprintf(msg, sizeof msg,
                     "No training curves: neither this database nor %s holds them.",
                     path ? path : "a history file");
            free(path);
            if (summary) report_empty(rp, msg);
            else fprintf(fp, "<p class=\"note\">%s</p>\n", msg);
        }
    }
    fprintf(fp, "</section>\n");
}

/* MOSES's published models: the means of the MOSES README's metrics table (columns "Test";
 * github.com/molecularsets/moses), in the order of MOSES_COLS; README.md "Metrics". */
enum { MOSES_NCOL = 11 };
static const char *const MOSES_COLS[MOSES_NCOL] = {
    "valid", "unique@1000", "unique@10000", "FCD",     "SNN",    "Frag",
    "Scaf",  "IntDiv1",     "IntDiv2",      "Filters", "novelty"};
static const struct {
    const char *model;
    double v[MOSES_NCOL];
} MOSES_ROWS[] = {
    {"MOSES: VAE",
     {0.9767, 1.0, 0.9984, 0.099, 0.6257, 0.9994, 0.9386, 0.8558, 0.8498, 0.997, 0.6949}},
    {"MOSES: CharRNN",
     {0.9748, 1.0, 0.9994, 0.0732, 0.6015, 0.9998, 0.9242, 0.8562, 0.8503, 0.9943, 0.8419}},
    {"MOSES: JT-VAE",
     {1.0, 1.0, 0.9996, 0.3954, 0.5477, 0.9965, 0.8964, 0.8551, 0.8493, 0.976, 0.9143}},
};

static void moses_row(FILE *fp, const char *model, const double *v) {
    fprintf(fp, "<tr><td>");
    report_html_escape(fp, model);
    fprintf(fp, "</td>");
    for (int k = 0; k < MOSES_NCOL; k++)
        fprintf(fp, isfinite(v[k]) ? "<td class=\"n\">%.4g</td>" : "<td class=\"n\">&ndash;</td>",
                v[k]);
    fprintf(fp, "</tr>\n");
}

/* The eval run's MOSES metrics (moses_<name>, eval_metrics) beside MOSES's published rows;
 * nothing when the run has none (eval --no-moses, or an older run). */
static void moses_table(FILE *fp, const StoreTable *t) {
    int name = cv_store_table_col(t, "name"), value = cv_store_table_col(t, "value");
    double mine[MOSES_NCOL];
    size_t found = 0;
    for (int k = 0; k < MOSES_NCOL; k++) {
        mine[k] = NAN;
        for (size_t r = 0; name >= 0 && value >= 0 && r < t->nrow; r++) {
            const StoreValue *n = &t->cells[r * t->ncol + name],
                             *v = &t->cells[r * t->ncol + value];
            if (n->type == STORE_TEXT && !strncmp(n->s, "moses_", 6) &&
                !strcmp(n->s + 6, MOSES_COLS[k]) && v->type == STORE_REAL)
                mine[k] = v->d, found++;
        }
    }
    if (!found) return;
    fprintf(fp, "<h3>MOSES's metrics</h3>\n<p>The prior samples' MOSES metrics beside the "
                "published means of MOSES's VAE, CharRNN and JT-VAE. Those were trained on "
                "MOSES's 1.6 M filtered ZINC molecules and measured against its test set of "
                "about 176,000, this model against its dataset's test split: the same "
                "definitions, not the same data (README \"Metrics\"). FCD is not computed "
                "(no Debian package ships ChemNet's weights).</p>\n<table><tr><th>model</th>");
    for (int k = 0; k < MOSES_NCOL; k++) fprintf(fp, "<th>%s</th>", MOSES_COLS[k]);
    fprintf(fp, "</tr>\n");
    for (size_t i = 0; i < sizeof MOSES_ROWS / sizeof MOSES_ROWS[0]; i++)
        moses_row(fp, MOSES_ROWS[i].model, MOSES_ROWS[i].v);
    moses_row(fp, "this model", mine);
    fprintf(fp, "</table>\n");
}

void report_eval(Report *rp) {
    fprintf(rp->fp, "<section id=\"eval\"><h2>Evaluation</h2>\n");
    int64_t run = report_latest_run(rp, STORE_REPORT_EVAL, NULL);
    StoreTable t = {0};
    CvError err = {0};
    if (run && cv_store_run_read(rp->db, STORE_READ_EVAL_METRICS, run, &t, &err) == CV_OK &&
        t.nrow) {
        fprintf(rp->fp, "<p>Run %lld.</p>\n", (long long)run);
        report_html_table(rp->fp, &t, 100);
        moses_table(rp->fp, &t);
    } else {
        report_empty(rp, "No evaluation metrics (run 'chemvae eval').");
    }
    cv_store_table_free(&t);
    fprintf(rp->fp, "</section>\n");
}
