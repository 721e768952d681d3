/* cmd_report.c — `chemvae report`: one self-contained HTML file from the results DB.
 *
 * The page has no scripts, no external fonts, images or style sheets: inline CSS, inline
 * SVG charts (report_svg.c) and RDKit depictions (chem_svg), so it opens offline and can be
 * mailed as one file. Sections: runs, training curves, evaluation, latent space (PCA of test
 * molecules' latent means, needs --model and --data), top molecules, interpolation path,
 * optimization trajectories. A section without data says so and how to produce it.
 * The file is written atomically (temp + rename), so a viewer never sees half a page. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "chemvae/csvin.h"
#include "chemvae/checkpoint.h"
#include "chemvae/chem.h"
#include "chemvae/dataset.h"
#include "chemvae/fileio.h"
#include "report.h"
#include "report_svg.h"
#include "cli.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: chemvae report [options]\n"
            "\n"
            "Writes a self-contained HTML report (inline SVG, no scripts, no network): training\n"
            "curves, evaluation metrics, a PCA map of the latent space, the best generated and\n"
            "optimized molecules drawn by RDKit, the interpolation path and the optimization\n"
            "trajectories.\n"
            "\n"
            "  --db FILE         results DB (default " CLI_DEFAULT_DB ")\n"
            "  --run ID|latest   only this run and the runs under it (e.g. a pipeline run);\n"
            "                    'latest' = the newest pipeline run (default: whole DB, the\n"
            "                    latest run of each kind)\n"
            "  --out FILE        HTML file to write (default results/report.html)\n"
            "  --model FILE      checkpoint for the latent-space map (with --data)\n"
            "  --data FILE       dataset (.cvds) whose test molecules are mapped\n"
            "  --color-by NAME   property colouring the map (default: the dataset's first)\n"
            "  --pca-max N       molecules encoded for the map (default 2000)\n"
            "  --score NAME      ranking of the top molecules: qed (default), penalized_logp,\n"
            "                    logp, sa (lower is better), mw; optimization trajectories use\n"
            "                    the run's objective when it is one of these, else this score\n"
            "  --top N           molecules in the top grid (default 12)\n"
            "Prints 'report,bytes' CSV on stdout.\n");
}

int report_select(Report *rp, const char *sql, const StoreValue *params, size_t n, StoreTable *t) {
    CvError err = {0};
    memset(t, 0, sizeof *t);
    if (store_select(rp->db, sql, params, n, t, &err) == CV_OK) return 0;
    fprintf(stderr, "chemvae report: %s\n", err.msg);
    store_table_free(t);
    return -1;
}

int64_t report_latest_run(Report *rp, const char *cond, const char *arg) {
    char sql[2048];
    snprintf(
        sql, sizeof sql,
        "SELECT r.id FROM runs r WHERE %s AND %s ORDER BY r.status = 'ok' DESC, r.id DESC LIMIT 1",
        cond, REPORT_SCOPE_SQL);
    StoreValue p[2] = {{.type = STORE_INT, .i = rp->scope},
                       {.type = STORE_TEXT, .s = arg ? arg : "", .len = arg ? strlen(arg) : 0}};
    StoreTable t;
    int64_t id = 0;
    if (report_select(rp, sql, p, arg ? 2 : 1, &t) == 0 && t.nrow == 1 &&
        t.cells[0].type == STORE_INT)
        id = t.cells[0].i;
    store_table_free(&t);
    return id;
}

void report_empty(Report *rp, const char *what) {
    fprintf(rp->fp, "<p class=\"empty\">");
    html_escape(rp->fp, what);
    fprintf(rp->fp, "</p>\n");
}

void report_molecule_svg(Report *rp, const char *smiles, int w, int h) {
    char *svg = chem_svg(smiles, w, h);
    const char *open = svg ? strstr(svg, "<svg") : NULL;
    const char *end = open ? strchr(open, '>') : NULL;
    if (!end) {
        fprintf(rp->fp, "<div class=\"nomol\" style=\"width:%dpx;height:%dpx\">no drawing</div>", w,
                h);
        free(svg);
        return;
    }
    /* replace RDKit's prolog and root attributes (XML namespaces) by plain inline SVG ones */
    fprintf(rp->fp, "<svg class=\"mol\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", w, h, w,
            h);
    fputs(end + 1, rp->fp);
    free(svg);
}

/* An HTML table of up to max_rows rows of t (BLOB cells elided). */
static void html_table(FILE *fp, const StoreTable *t, size_t max_rows) {
    fprintf(fp, "<table><tr>");
    for (size_t c = 0; c < t->ncol; c++) {
        fprintf(fp, "<th>");
        html_escape(fp, t->names[c]);
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
            if (v->type == STORE_TEXT) html_escape(fp, v->s);
            if (v->type == STORE_BLOB) fprintf(fp, "(%zu bytes)", v->len);
            fprintf(fp, "</td>");
        }
        fprintf(fp, "</tr>\n");
    }
    fprintf(fp, "</table>\n");
    if (t->nrow > max_rows)
        fprintf(fp, "<p class=\"note\">%zu more rows not shown.</p>\n", t->nrow - max_rows);
}

/* A section holding one table: `select` (its WHERE filled with the report's scope by
 * %s) run with the scope as ?1, shown after `intro` (NULL = none), or `empty` when it has
 * no rows. */
static void section_table(Report *rp, const char *id, const char *title, const char *select,
                          const char *intro, const char *empty) {
    fprintf(rp->fp, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
    StoreTable t;
    char sql[1024];
    snprintf(sql, sizeof sql, select, REPORT_SCOPE_SQL);
    StoreValue p = {.type = STORE_INT, .i = rp->scope};
    if (report_select(rp, sql, &p, 1, &t) == 0 && t.nrow) {
        if (intro) fprintf(rp->fp, "<p>%s</p>\n", intro);
        html_table(rp->fp, &t, 25);
    } else {
        report_empty(rp, empty);
    }
    store_table_free(&t);
    fprintf(rp->fp, "</section>\n");
}

static void section_runs(Report *rp) {
    section_table(rp, "runs", "Runs",
                  "SELECT r.id, r.kind, r.status, r.started_at, r.finished_at, r.parent, r.seed, "
                  "(SELECT count(*) FROM generations g WHERE g.run_id = r.id) AS generations, "
                  "(SELECT count(*) FROM generations g WHERE g.run_id = r.id AND g.valid) AS valid "
                  "FROM runs r WHERE %s ORDER BY r.id DESC",
                  NULL, "No runs in this database yet.");
}

/* Without training rows in the DB (e.g. a shipped model): what the checkpoint itself says
 * about its training. Returns 0 when something was written. */
static int model_summary(Report *rp) {
    CkptMeta m = {0};
    CvError err = {0};
    if (ckpt_read_meta(rp->model, &m, &err) != CV_OK) {
        fprintf(stderr, "chemvae report: %s\n", err.msg);
        return -1;
    }
    char cfg[512];
    vae_config_describe(&m.cfg, cfg, sizeof cfg);
    FILE *fp = rp->fp;
    fprintf(fp, "<p>This database holds no training curves: the model was trained elsewhere. Its "
                "checkpoint "
                "says:</p>\n<table><tr><th>checkpoint</th><td>");
    html_escape(fp, rp->model);
    fprintf(fp,
            "</td></tr><tr><th>epochs</th><td class=\"n\">%ld</td></tr><tr><th>optimizer steps</th>"
            "<td class=\"n\">%ld</td></tr><tr><th>best validation loss</th><td "
            "class=\"n\">%.4f</td></tr>"
            "<tr><th>model</th><td>",
            m.epoch, m.step, m.best_val);
    html_escape(fp, cfg);
    fprintf(fp, "</td></tr><tr><th>training options</th><td>");
    html_escape(fp, m.train_options);
    fprintf(fp, "</td></tr></table>\n");
    ckpt_meta_free(&m);
    return 0;
}

/* Training rows of the latest train run, joined with the earlier runs it resumed (same
 * checkpoint path, back to the last run that did not resume): for each (epoch, split) the
 * newest run's row. */
static void section_training(Report *rp) {
    FILE *fp = rp->fp;
    fprintf(fp, "<section id=\"training\"><h2>Training</h2>\n");
    int64_t run = report_latest_run(
        rp, "r.kind = 'train' AND EXISTS (SELECT 1 FROM training_metrics t WHERE t.run_id = r.id)",
        NULL);
    if (!run) {
        if (!rp->model || model_summary(rp) != 0)
            report_empty(rp, "No training metrics (train a model with 'chemvae train').");
        fprintf(fp, "</section>\n");
        return;
    }
    const char *sql = "WITH b AS (SELECT id, model_path FROM runs WHERE id = ?1), "
                      "s AS (SELECT max(r.id) AS id FROM runs r, b WHERE r.kind = 'train' AND "
                      "r.model_path IS b.model_path "
                      "AND r.id <= b.id AND coalesce(json_extract(r.config, '$.resume'), 0) = 0), "
                      "chain AS (SELECT r.id FROM runs r, b, s WHERE r.kind = 'train' AND "
                      "r.model_path IS b.model_path "
                      "AND r.id BETWEEN coalesce(s.id, b.id) AND b.id) "
                      "SELECT t.split, t.epoch, t.loss, t.recon, t.kl, t.beta, t.accuracy, "
                      "json_extract(t.extra, '$.tf_exact'), json_extract(t.extra, "
                      "'$.active_units') FROM training_metrics t "
                      "WHERE t.run_id IN chain AND NOT EXISTS (SELECT 1 FROM training_metrics u "
                      "WHERE u.run_id IN chain "
                      "AND u.epoch = t.epoch AND u.split = t.split AND u.run_id > t.run_id) ORDER "
                      "BY t.split, t.epoch, t.step";
    StoreValue p = {.type = STORE_INT, .i = run};
    StoreTable t;
    if (report_select(rp, sql, &p, 1, &t) != 0 || t.nrow == 0) {
        report_empty(rp, "No training metrics.");
        store_table_free(&t);
        fprintf(fp, "</section>\n");
        return;
    }
    size_t n = t.nrow;
    enum { NCOL = 8 }; /* epoch, loss, recon, kl, beta, accuracy, tf_exact, active units */
    double *col = malloc(n * NCOL * sizeof *col);
    if (!col) {
        store_table_free(&t);
        fprintf(fp, "</section>\n");
        return;
    }
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < NCOL; c++) col[c * n + r] = store_table_real(&t, r, c + 1);
    /* rows are ordered by split: "train" rows then "valid" rows (other splits ignored) */
    size_t ntrain = 0, nvalid = 0, vstart = 0;
    for (size_t r = 0; r < n; r++) {
        const char *sp = t.cells[r * t.ncol].s;
        if (!sp) continue;
        if (!strcmp(sp, "train")) ntrain++;
        if (!strcmp(sp, "valid")) {
            if (!nvalid) vstart = r;
            nvalid++;
        }
    }
    size_t tstart = 0;
    for (size_t r = 0; r < n; r++)
        if (t.cells[r * t.ncol].s && !strcmp(t.cells[r * t.ncol].s, "train")) {
            tstart = r;
            break;
        }
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
            (long long)run, ntrain > nvalid ? ntrain : nvalid);
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
        PlotSeries s[2] = {{"train", epoch + tstart, y + tstart, ntrain},
                           {"valid", epoch + vstart, y + vstart, nvalid}};
        if (c >= 6) { /* validation-only monitors (older runs lack them) */
            int any = 0;
            for (size_t r = vstart; r < vstart + nvalid; r++) any |= y[r] == y[r];
            if (!any) continue;
            plot_lines(fp, titles[c - 1], "epoch", titles[c - 1], s + 1, 1, 380, 250);
            continue;
        }
        size_t ns = c == 4 ? 1 : 2; /* beta is the same for both splits */
        plot_lines(fp, titles[c - 1], "epoch", titles[c - 1], s, ns, 380, 250);
    }
    fprintf(fp, "</div>\n");
    free(col);
    store_table_free(&t);
    fprintf(fp, "</section>\n");
}

/* Why decodes failed: invalid generations of each run by failure class. */
static void section_failures(Report *rp) {
    section_table(
        rp, "failures", "Why decodes failed",
        "SELECT g.run_id AS run, r.kind, json_extract(r.config, '$.constrain') AS constrain, "
        "count(*) AS decodes, sum(g.valid) AS valid, "
        "sum(g.failure = 'syntax') AS syntax, sum(g.failure = 'ring') AS ring, "
        "sum(g.failure = 'valence') AS valence, sum(g.failure = 'aromaticity') AS aromaticity, "
        "sum(g.failure = 'length') AS length, sum(g.failure = 'other') AS other "
        "FROM generations g JOIN runs r ON r.id = g.run_id WHERE %s GROUP BY g.run_id ORDER BY "
        "g.run_id DESC",
        "Invalid decodes by the first rule they break (syntax, ring closure, valence, "
        "aromaticity/kekulization, maximum length) — from the SMILES state machine, else from "
        "RDKit; constrain is the decoding mask in force.",
        "No generations yet.");
}

static void section_eval(Report *rp) {
    fprintf(rp->fp, "<section id=\"eval\"><h2>Evaluation</h2>\n");
    int64_t run = report_latest_run(
        rp, "r.kind = 'eval' AND EXISTS (SELECT 1 FROM eval_metrics e WHERE e.run_id = r.id)",
        NULL);
    StoreTable t = {0};
    CvError err = {0};
    if (run && store_eval_metrics(rp->db, run, &t, &err) == CV_OK && t.nrow) {
        fprintf(rp->fp, "<p>Run %lld.</p>\n", (long long)run);
        html_table(rp->fp, &t, 100);
    } else {
        report_empty(rp, "No evaluation metrics (run 'chemvae eval').");
    }
    store_table_free(&t);
    fprintf(rp->fp, "</section>\n");
}

static const char CSS[] =
    "body{font-family:sans-serif;margin:24px auto;max-width:1240px;color:#222;background:#fafafa}"
    "h1{margin-bottom:4px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:32px}"
    "nav a{margin-right:14px}section{background:#fff;padding:4px 16px 16px;border:1px solid "
    "#e4e4e4}"
    "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px "
    "7px;text-align:left}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f0f0f0}"
    ".grid{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid "
    "#ddd;padding:6px;width:230px;background:#fff}"
    ".smi{font-family:monospace;font-size:11px;word-break:break-all}td.smi{max-width:280px}.sc{"
    "font-size:12px;color:#444}"
    ".path{display:flex;flex-wrap:wrap;align-items:center;gap:4px}.arrow{font-size:22px;color:#888}"
    ".empty{color:#a33;font-style:italic}.note,.meta{color:#666;font-size:13px}"
    ".ct{font-size:14px;font-weight:bold}.tk{font-size:11px;fill:#444}.al{font-size:12px;fill:#222}"
    ".lg{font-size:12px;fill:#222}.nomol{display:flex;align-items:center;justify-content:center;"
    "color:#999}";

static int write_report(Report *rp, const char *db_path, const char *run_text) {
    FILE *fp = rp->fp;
    char now[32];
    time_t tt = time(NULL);
    strftime(now, sizeof now, "%Y-%m-%d %H:%M:%S UTC", gmtime(&tt));
    fprintf(fp,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>chemvae "
            "report</title>\n"
            "<style>%s</style></head><body>\n<h1>chemvae report</h1>\n<p class=\"meta\">Database ",
            CSS);
    html_escape(fp, db_path);
    fprintf(fp, " &middot; %s &middot; ", now);
    if (rp->scope)
        fprintf(fp, "run %lld (%s) and the runs under it", (long long)rp->scope, run_text);
    else fprintf(fp, "latest run of each kind");
    fprintf(fp, "</p>\n<nav><a href=\"#runs\">Runs</a><a href=\"#training\">Training</a><a "
                "href=\"#eval\">Evaluation</a><a href=\"#failures\">Failures</a>"
                "<a href=\"#latent\">Latent space</a><a href=\"#top\">Top molecules</a>"
                "<a href=\"#interpolation\">Interpolation</a><a "
                "href=\"#optimization\">Optimization</a></nav>\n");
    section_runs(rp);
    section_training(rp);
    section_eval(rp);
    section_failures(rp);
    report_latent(rp);
    report_top_molecules(rp);
    report_interpolation(rp);
    report_optimization(rp);
    fprintf(fp, "<p class=\"note\">Made by chemvae report. Molecules drawn by RDKit; scores are "
                "RDKit values "
                "(QED, Crippen logP, SA score, penalized logP = logP &minus; SA &minus; ring "
                "penalty).</p>\n"
                "</body></html>\n");
    return 0;
}

int cmd_report(int argc, char **argv) {
    const char *cmd = "report";
    const char *db_path = CLI_DEFAULT_DB, *out = "results/report.html", *run_text = NULL;
    Report rp = {.score = "qed", .top = 12, .pca_max = 2000};
    enum { O_DB = 256, O_RUN, O_OUT, O_MODEL, O_DATA, O_COLOR, O_PCAMAX, O_SCORE, O_TOP };
    static const struct option opts[] = {{"db", required_argument, 0, O_DB},
                                         {"run", required_argument, 0, O_RUN},
                                         {"out", required_argument, 0, O_OUT},
                                         {"model", required_argument, 0, O_MODEL},
                                         {"data", required_argument, 0, O_DATA},
                                         {"color-by", required_argument, 0, O_COLOR},
                                         {"pca-max", required_argument, 0, O_PCAMAX},
                                         {"score", required_argument, 0, O_SCORE},
                                         {"top", required_argument, 0, O_TOP},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    long lv;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_DB:
            db_path = optarg;
            break;
        case O_RUN:
            run_text = optarg;
            break;
        case O_OUT:
            out = optarg;
            break;
        case O_MODEL:
            rp.model = optarg;
            break;
        case O_DATA:
            rp.data = optarg;
            break;
        case O_COLOR:
            rp.color_by = optarg;
            break;
        case O_SCORE:
            rp.score = optarg;
            break;
        case O_PCAMAX:
            if (cli_parse_long(cmd, "--pca-max", optarg, &lv)) return CLI_USAGE;
            rp.pca_max = (size_t)lv;
            break;
        case O_TOP:
            if (cli_parse_long(cmd, "--top", optarg, &lv)) return CLI_USAGE;
            if (lv < 1 || lv > 200) return cli_usage_error(cmd, "--top must be 1..200");
            rp.top = (int)lv;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    static const char *const scores[][2] = {{"qed", "QED"},
                                            {"penalized_logp", "penalized logP"},
                                            {"logp", "logP"},
                                            {"sa", "SA score"},
                                            {"mw", "MW"}};
    for (size_t i = 0; i < 5; i++)
        if (!strcmp(rp.score, scores[i][0])) rp.score_label = scores[i][1];
    if (!rp.score_label)
        return cli_usage_error(cmd, "--score must be qed, penalized_logp, logp, sa or mw");
    if (!rp.model != !rp.data) return cli_usage_error(cmd, "--model and --data go together");

    CvError err = {0};
    CvAtomicFile af = {0};
    int rc = CLI_ERROR;
    CvModel latent_model = {0};
    CvDataset latent_data = {0};
    if (cv_output_check(out, &err)) goto fail;
    if (rp.model) {
        if (report_latent_load(&rp, &latent_model, &latent_data, &err)) goto fail;
        rp.latent_model = &latent_model;
        rp.latent_data = &latent_data;
    }
    if (store_open(db_path, STORE_READ_ONLY, &rp.db, &err)) goto fail;
    if (store_is_immutable(rp.db))
        fprintf(stderr, "chemvae report: %s is on read-only media: read as immutable\n", db_path);
    if (run_text && !strcmp(run_text, "latest")) {
        rp.scope = 0;
        rp.scope = report_latest_run(&rp, "r.kind = 'pipeline'", NULL);
        if (!rp.scope) {
            cv_error_set(&err, CV_ERR_EMPTY, "%s: --run latest: no pipeline run in this database",
                         db_path);
            goto fail;
        }
    } else if (run_text) {
        if (cli_parse_long(cmd, "--run", run_text, &lv)) {
            rc = CLI_USAGE;
            goto done;
        }
        rp.scope = lv;
        StoreTable t = {0};
        if (store_get_run(rp.db, rp.scope, &t, &err)) goto fail;
        size_t found = t.nrow;
        store_table_free(&t);
        if (!found) {
            cv_error_set(&err, CV_ERR_INVALID, "%s: no run %lld", db_path, (long long)rp.scope);
            goto fail;
        }
    }
    chem_log_rdkit(0);
    if (cv_mkdir_parents(out, &err) || cv_atomic_open(&af, out, &err)) goto fail;
    rp.fp = af.fp;
    write_report(&rp, db_path, run_text ? run_text : "");
    if (cv_atomic_commit(&af, &err)) goto fail;
    struct stat sb;
    printf("report,bytes\n");
    csvin_write_field(stdout, out, strlen(out));
    printf(",%lld\n", stat(out, &sb) == 0 ? (long long)sb.st_size : -1LL);
    rc = CLI_OK;
    goto done;
fail:
    if (af.fp) cv_atomic_abort(&af);
    rc = cli_report(cmd, &err);
done:
    store_close(rp.db);
    cv_model_free(&latent_model);
    dataset_free(&latent_data);
    return rc;
}
