/* report.h — one self-contained HTML page from the results DB: runs, training curves,
 * evaluation metrics, why decodes failed, a PCA map of the latent space, the best
 * generated molecules drawn by RDKit, the interpolation path and the optimization
 * trajectories.
 *
 * The page has no scripts and loads nothing (inline CSS, inline SVG charts and RDKit
 * depictions), so it opens offline and can be mailed as one file. A section without data
 * says so and how to produce it. The DB is opened read-only and the page is written
 * atomically (temp file + rename), so a viewer never sees half a page.
 *
 * Scope: with a run, every section looks only at that run and the runs under it
 * (runs.parent, recursively: a pipeline run, its stages and their commands); without, at
 * the whole DB. Within the scope a section shows the latest run of its kind, preferring
 * runs that finished 'ok'. */
#ifndef CHEMVAE_REPORT_H
#define CHEMVAE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/app/app.h"
#include "chemvae/app/app_params.h"
#include "chemvae/core/error.h"

/* CvReportConfig.run: the newest pipeline run of the DB. */
#define CV_REPORT_RUN_LATEST (-1)
/* The largest top-molecule grid. */
#define CV_REPORT_MAX_TOP 200

typedef struct {
    const char *db_path;  /* results DB (must exist; opened read-only) */
    const char *out_path; /* HTML file to write (parent directories are created) */
    /* 0: the whole DB; > 0: this run and the runs under it (CV_ERR_INVALID when absent);
     * CV_REPORT_RUN_LATEST: the newest pipeline run (CV_ERR_EMPTY when there is none) */
    int64_t run;
    /* How the run was chosen, shown in the page header as "run N (label)"; NULL: "latest"
     * for CV_REPORT_RUN_LATEST, else the run id. */
    const char *run_label;
    /* The latent-space map: a checkpoint and a dataset (.cvds) whose test molecules (all
     * molecules when the test split is empty) it encodes, both or neither. A model or
     * dataset that cannot be loaded, or that do not belong together, fails the call; a map
     * they cannot give (a color_by property the dataset lacks, fewer than 2 molecules, a
     * latent size below 2) is a warning and a note in the page. */
    const char *model, *data;
    const char *color_by; /* property colouring the map (any case); NULL: the first one */
    size_t pca_max;       /* molecules encoded for the map */
    /* Ranking of the top molecules: qed, penalized_logp, logp, sa (lowest first) or mw;
     * the optimization trajectories use their run's objective when it is one of these. */
    const char *score;
    int top; /* molecules in the top grid, 1..CV_REPORT_MAX_TOP */
    /* Called with a message for each problem the page is written around (a DB read that
     * failed, leaving its section empty; an unreadable checkpoint summary; the latent map
     * that could not be made; a DB on read-only media read as immutable). NULL: silent. */
    void (*warn)(void *user, const char *msg);
    void *warn_user;
} CvReportConfig;

#define CV_REPORT_DEFAULTS                                                                         \
    { .score = "qed", .top = 12, .pca_max = 2000 }

/* The report's parameters (app_params.h): db, run (an id or 'latest'), out, model, data,
 * color-by, pca-max, score (one of the names above), top (1..CV_REPORT_MAX_TOP); run,
 * score and top are checked as they are read. The help texts name the command line's
 * default paths (results/chemvae.db, results/report.html). */
extern const CvParamTable cv_report_params;

typedef struct {
    int64_t scope;   /* the run the page covers (0: the whole DB) */
    int64_t bytes;   /* size of out_path once written (0 for a device), -1 when unknown */
    int interrupted; /* what CvHooks.interrupted returned (then no page was written), or 0 */
} CvReportResult;

/* The display name of a score ("qed" -> "QED"), or NULL when `score` is not one of
 * CvReportConfig.score's names. */
const char *cv_report_score_label(const char *score);

/* Writes the page cfg describes. h (NULL-able) gets progress after each section
 * (done of 8 sections, with the section's name) and is polled for interrupts between
 * sections; its db and rows are not used. CV_ERR_INVALID for a config out of range or a
 * run that is not in the DB; CV_ERR_EMPTY for CV_REPORT_RUN_LATEST in a DB without a
 * pipeline run; the DB's, the model's, the dataset's and the output's errors as they come
 * (no page is written then). *res (NULL-able) is filled on CV_OK. */
CvStatus cv_report_write(const CvReportConfig *cfg, const CvHooks *h, CvReportResult *res,
                         CvError *err);

#endif
