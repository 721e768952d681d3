/* report.c — the HTML report (include/chemvae/report/report.h): opens its inputs, writes the page
 * head, the sections and the foot, and the helpers the sections share.
 *
 * Everything that can fail the report (the output path, the latent map's model and
 * dataset, the DB, the run) is checked before the page is begun; once it is, a section
 * whose read fails warns and shows its "no data" note instead, so one bad table costs one
 * section and not the page. Inline CSS, inline SVG charts (report_svg.c) and RDKit
 * depictions (cv_chem_svg) keep the page free of scripts and of anything it would load. */
#include "report_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "chemvae/chem/chem.h"
#include "chemvae/core/fileio.h"
#include "chemvae/core/parfor.h"
#include "report_svg.h"

void report_warn(const Report *rp, const char *fmt, ...) {
    if (!rp->cfg->warn) return;
    char msg[CV_ERRMSG_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rp->cfg->warn(rp->cfg->warn_user, msg);
}

int report_read_ok(const Report *rp, CvStatus st, const CvError *err) {
    if (st == CV_OK) return 0;
    report_warn(rp, "%s", err->msg);
    return -1;
}

int64_t report_latest_run(const Report *rp, StoreReportRuns which, const char *method) {
    CvError err = {0};
    int64_t id = 0;
    if (report_read_ok(rp, cv_store_report_latest_run(rp->db, rp->scope, which, method, &id, &err),
                       &err))
        return 0;
    return id;
}

void report_empty(const Report *rp, const char *what) {
    fprintf(rp->fp, "<p class=\"empty\">");
    report_html_escape(rp->fp, what);
    fprintf(rp->fp, "</p>\n");
}

void report_empty_err(const Report *rp, const char *what, const CvError *err) {
    report_warn(rp, "%s: %s", what, err->msg);
    char msg[CV_ERRMSG_MAX + 96];
    snprintf(msg, sizeof msg, "No %s: %s", what, err->msg);
    report_empty(rp, msg);
}

CvStatus report_train_rows(const Report *rp, size_t max, uint32_t **rows, size_t *n, CvError *err) {
    uint32_t *all;
    size_t total;
    CvStatus st = cv_dataset_split_indices(rp->latent_data, CV_SPLIT_TRAIN, &all, &total, err);
    if (st) return st;
    if (!total) {
        free(all);
        return cv_error_set(err, CV_ERR_EMPTY, "%s has no training molecules", rp->cfg->data);
    }
    size_t m = max && max < total ? max : total;
    for (size_t i = 0; i < m; i++) all[i] = all[(size_t)((double)i * (double)total / (double)m)];
    *rows = all;
    *n = m;
    return CV_OK;
}

CvStatus report_map_rows(const CvDataset *ds, size_t max, uint32_t **rows, size_t *n,
                         const char **which, CvError *err) {
    *which = "test";
    CvStatus st = cv_dataset_split_indices(ds, CV_SPLIT_TEST, rows, n, err);
    if (st) return st;
    if (*n == 0) {
        *which = "all";
        free(*rows);
        if (!(*rows = malloc((ds->n ? ds->n : 1) * sizeof **rows)))
            return cv_error_set(err, CV_ERR_NOMEM, "out of memory encoding %zu molecules", ds->n);
        for (size_t i = 0; i < ds->n; i++) (*rows)[i] = (uint32_t)i;
        *n = ds->n;
    }
    if (max && *n > max) *n = max;
    return CV_OK;
}

void report_molecule_svg(const Report *rp, const char *smiles, int w, int h) {
    char *svg = cv_chem_svg(smiles, w, h);
    const char *open = svg ? strstr(svg, "<svg") : NULL;
    const char *end = open ? strchr(open, '>') : NULL;
    if (!end) {
        fprintf(rp->fp, "<div class=\"nomol\" style=\"width:%dpx;height:%dpx\">no drawing</div>", w,
                h);
        free(svg);
        return;
    }
    /* replace RDKit's prolog and root attributes (XML namespaces) by plain inline SVG ones */
    fprintf(rp->fp, "<svg class=\"mol\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\"><title>",
            w, h, w, h);
    report_html_escape(rp->fp, smiles);
    fprintf(rp->fp, "</title>");
    fputs(end + 1, rp->fp);
    free(svg);
}

const char *report_text_cell(const StoreTable *t, size_t r, size_t c) {
    const StoreValue *v = &t->cells[r * t->ncol + c];
    return v->type == STORE_TEXT ? v->s : "";
}

const char *cv_report_score_label(const char *score) {
    static const char *const SCORES[][2] = {{"qed", "QED"},
                                            {"penalized_logp", "penalized logP"},
                                            {"logp", "logP"},
                                            {"sa", "SA score"},
                                            {"mw", "MW"}};
    for (size_t i = 0; score && i < sizeof SCORES / sizeof *SCORES; i++)
        if (!strcmp(score, SCORES[i][0])) return SCORES[i][1];
    return NULL;
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
    ".lg{font-size:12px;fill:#222}.nn{font-size:12px;color:#444;border-top:1px dashed "
    "#ddd;margin-top:6px;padding-top:4px}.ex{margin-bottom:4px}.nomol{display:flex;align-items:"
    "center;justify-content:center;"
    "color:#999}";

/* The page up to the first section: style, title, what it covers, the section links. */
static void page_head(const Report *rp) {
    FILE *fp = rp->fp;
    char now[32];
    time_t tt = time(NULL);
    strftime(now, sizeof now, "%Y-%m-%d %H:%M:%S UTC", gmtime(&tt));
    fprintf(fp,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>chemvae "
            "report</title>\n"
            "<style>%s</style></head><body>\n<h1>chemvae report</h1>\n<p class=\"meta\">Database ",
            CSS);
    report_html_escape(fp, cv_store_path(rp->db)); /* a PostgreSQL URI without its password */
    fprintf(fp, " &middot; %s &middot; ", now);
    if (rp->scope) {
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)rp->scope);
        const char *label = rp->cfg->run_label                     ? rp->cfg->run_label
                            : rp->cfg->run == CV_REPORT_RUN_LATEST ? "latest"
                                                                   : id;
        fprintf(fp, "run %lld (%s) and the runs under it", (long long)rp->scope, label);
    } else fprintf(fp, "latest run of each kind");
    fprintf(fp, "</p>\n<nav><a href=\"#runs\">Runs</a><a href=\"#training\">Training</a><a "
                "href=\"#eval\">Evaluation</a><a href=\"#failures\">Failures</a>"
                "<a href=\"#properties\">Properties</a><a href=\"#latent\">Latent space</a>"
                "<a href=\"#predictions\">Predictions</a><a href=\"#top\">Top molecules</a>"
                "<a href=\"#interpolation\">Interpolation</a><a "
                "href=\"#optimization\">Optimization</a><a href=\"#compare\">Models compared</a>"
                "</nav>\n");
}

static void page_foot(const Report *rp) {
    fprintf(rp->fp, "<p class=\"note\">Made by chemvae report. Molecules drawn by RDKit; scores "
                    "are RDKit values "
                    "(QED, Crippen logP, SA score, penalized logP = logP &minus; SA &minus; ring "
                    "penalty).</p>\n"
                    "</body></html>\n");
}

/* The sections in page order, with the names progress reports them by. */
static const struct {
    const char *name;
    void (*write)(Report *rp);
} SECTIONS[] = {
    {"runs", report_runs},
    {"training", report_training},
    {"evaluation", report_eval},
    {"failures", report_failures},
    {"property distributions", report_properties},
    {"latent space", report_latent},
    {"predictions", report_predictions},
    {"top molecules", report_top_molecules},
    {"interpolation", report_interpolation},
    {"optimization", report_optimization},
    {"models compared", report_compare},
};
enum { N_SECTIONS = sizeof SECTIONS / sizeof SECTIONS[0] };
_Static_assert(N_SECTIONS == CV_REPORT_SECTIONS, "report.h counts the sections");

/* Writes the page; returns what h's interrupt poll said when it stopped the page, or 0. */
static int write_page(Report *rp, const CvHooks *h) {
    page_head(rp);
    for (size_t i = 0; i < N_SECTIONS; i++) {
        int stop = cv_hooks_interrupted(h);
        if (stop) return stop;
        SECTIONS[i].write(rp);
        cv_hooks_progress(h, i + 1, N_SECTIONS, SECTIONS[i].name);
    }
    page_foot(rp);
    return 0;
}

static CvStatus check_config(const CvReportConfig *cfg, CvError *err) {
    if (!cfg->db_path || !cfg->out_path)
        return cv_error_set(err, CV_ERR_INVALID, "report: no DB path or no output path");
    if (!cv_report_score_label(cfg->score))
        return cv_error_set(err, CV_ERR_INVALID,
                            "report: score '%s': must be qed, penalized_logp, logp, sa or mw",
                            cfg->score ? cfg->score : "(null)");
    if (cfg->top < 1 || cfg->top > CV_REPORT_MAX_TOP)
        return cv_error_set(err, CV_ERR_INVALID, "report: top %d: must be 1..%d", cfg->top,
                            CV_REPORT_MAX_TOP);
    if (!cfg->model != !cfg->data)
        return cv_error_set(err, CV_ERR_INVALID, "report: a model and a dataset go together");
    if (cfg->compare.n && !cfg->model)
        return cv_error_set(err, CV_ERR_INVALID,
                            "report: --compare needs --model and --data (the dataset the models "
                            "are compared on)");
    if (cfg->run < 0 && cfg->run != CV_REPORT_RUN_LATEST)
        return cv_error_set(err, CV_ERR_INVALID, "report: run %lld: no such run",
                            (long long)cfg->run);
    return CV_OK;
}

/* rp->scope from cfg->run: the newest pipeline run, or the run given once it is found. */
static CvStatus resolve_scope(Report *rp, CvError *err) {
    const CvReportConfig *cfg = rp->cfg;
    rp->scope = 0;
    if (cfg->run == CV_REPORT_RUN_LATEST) {
        CvStatus st =
            cv_store_report_latest_run(rp->db, 0, STORE_REPORT_PIPELINE, NULL, &rp->scope, err);
        if (st) return st;
        if (!rp->scope)
            return cv_error_set(err, CV_ERR_EMPTY,
                                "%s: --run latest: no pipeline run in this database",
                                cv_store_path(rp->db));
        return CV_OK;
    }
    if (cfg->run == 0) return CV_OK;
    StoreTable t = {0};
    CvStatus st = cv_store_run_read(rp->db, STORE_READ_RUN, cfg->run, &t, err);
    size_t found = t.nrow;
    cv_store_table_free(&t);
    if (st) return st;
    if (!found)
        return cv_error_set(err, CV_ERR_INVALID, "%s: no run %lld", cv_store_path(rp->db),
                            (long long)cfg->run);
    rp->scope = cfg->run;
    return CV_OK;
}

/* Writes the page of rp (inputs open) to cfg->out_path through a temporary file. */
static CvStatus write_file(Report *rp, const CvHooks *h, CvReportResult *res, CvError *err) {
    CvAtomicFile af = {0};
    const char *out = rp->cfg->out_path;
    CvStatus st = cv_mkdir_parents(out, err);
    if (!st) st = cv_atomic_open(&af, out, err);
    if (st) return st;
    rp->fp = af.fp;
    int stop = write_page(rp, h);
    rp->fp = NULL;
    if (stop) {
        cv_atomic_abort(&af);
        res->interrupted = stop;
        return CV_OK;
    }
    if ((st = cv_atomic_commit(&af, err))) {
        if (af.fp) cv_atomic_abort(&af);
        return st;
    }
    struct stat sb;
    res->bytes = stat(out, &sb) == 0 ? (int64_t)sb.st_size : -1;
    return CV_OK;
}

CvStatus cv_report_write(const CvReportConfig *cfg, const CvHooks *h, CvReportResult *res,
                         CvError *err) {
    CvReportResult local = {0};
    if (!res) res = &local;
    *res = (CvReportResult){0};
    CvStatus st = check_config(cfg, err);
    if (st) return st;
    Report rp = {.cfg = cfg, .score_label = cv_report_score_label(cfg->score)};
    rp.threads = cfg->threads > 0 ? cfg->threads : 0; /* 0: every CPU (cv_parallel_for) */
    if (rp.threads > CV_PARFOR_MAX_WORKERS) rp.threads = CV_PARFOR_MAX_WORKERS;
    CvModel model = {0};
    CvDataset data = {0};
    if ((st = cv_output_check(cfg->out_path, err))) goto done;
    if (cfg->model) {
        if ((st = report_latent_load(cfg, &model, &data, err))) goto done;
        rp.latent_model = &model;
        rp.latent_data = &data;
    }
    if ((st = cv_store_open(cfg->db_path, STORE_READ_ONLY, &rp.db, err))) goto done;
    if (cv_store_is_immutable(rp.db))
        report_warn(&rp, "%s is on read-only media: read as immutable", cfg->db_path);
    if ((st = resolve_scope(&rp, err))) goto done;
    res->scope = rp.scope;
    st = write_file(&rp, h, res, err);
done:
    cv_store_close(rp.db);
    free(rp.map_rows);
    cv_latent_usage_free(&rp.usage);
    cv_model_free(&model);
    cv_dataset_free(&data);
    return st;
}
