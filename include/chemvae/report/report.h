/* report.h — one self-contained HTML page from the results DB that judges a model: runs,
 * training curves (from the DB, else from the model's own history file), evaluation
 * metrics, why decodes failed, property distributions of generated molecules against the
 * training set, a PCA map of the latent space with sampled and optimized points drawn over
 * it, KL per latent dimension and the active units, the property head's predictions
 * against the true values, the best generated molecules drawn by RDKit with their nearest
 * training neighbours, the interpolation path, the optimization trajectories, and several
 * models side by side (--compare).
 *
 * The page has no scripts and loads nothing (inline CSS, inline SVG charts and RDKit
 * depictions; SMILES as SVG <title> tooltips), so it opens offline and can be mailed as one
 * file. A section without data says so and how to produce it. The DB is opened read-only
 * and the page is written atomically (temp file + rename), so a viewer never sees half a
 * page.
 *
 * Scope: with a run, every section looks only at that run and the runs under it
 * (runs.parent, recursively: a pipeline run, its stages and their commands); without, at
 * the whole DB. Within the scope a section shows the latest run of its kind, preferring
 * runs that finished 'ok'.
 *
 * Cost: the sections that need a model and a dataset are bounded by the size parameters
 * (pca_max molecules encoded, props_max training molecules scored by RDKit, neighbours_max
 * fingerprinted, predict_max predicted, compare_n / compare_samples per compared model),
 * so a report of the shipped model on zinc24k takes seconds, not minutes. */
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
    /* A checkpoint and a dataset (.cvds), both or neither, for the sections that judge the
     * model: the latent map and KL per dimension (the test molecules, all molecules when the
     * test split is empty), the head's predictions (test split), the training set of the
     * property distributions and nearest neighbours (train split), the models compared; and
     * the model's training history file (cv_train_history_path) when the DB holds no
     * training run. A model or dataset that cannot be loaded, or that do not belong
     * together, fails the call; what they cannot give (a color_by property the dataset
     * lacks, fewer than 2 molecules, a latent size below 2, no property head, no training
     * molecules) is a warning and a note in the page. */
    const char *model, *data;
    const char *color_by; /* property colouring the maps (any case); NULL: the first one */
    size_t pca_max;       /* molecules encoded for the map and the KL (and stored latent
                             vectors drawn over the map per run) */
    /* Ranking of the top molecules: qed, penalized_logp, logp, sa (lowest first) or mw;
     * the optimization trajectories use their run's objective when it is one of these. */
    const char *score;
    int top; /* molecules in the top grid, 1..CV_REPORT_MAX_TOP */
    /* With a model and a dataset: the training set the generated molecules are compared
     * with is a stride sample (every k-th row) of the dataset's train split, of at most
     * props_max molecules scored by RDKit for the property distributions, and of at most
     * neighbours_max fingerprinted for each top molecule's nearest neighbour (0: the
     * whole split, for either). */
    size_t props_max, neighbours_max;
    size_t predict_max; /* test molecules the property head predicts (0: the whole split) */
    /* Models shown side by side with the main one (each with the same dataset): latent map,
     * reconstruction of compare_n test molecules and validity of compare_samples prior
     * decodes (the eval job's definitions), KL per dimension on the map's molecules. */
    CvStrings compare;
    size_t compare_n, compare_samples;
    int threads; /* RDKit workers for scoring and fingerprinting; 0: every CPU */
    /* Called with a message for each problem the page is written around (a DB read that
     * failed, leaving its section empty; an unreadable checkpoint summary; the latent map
     * that could not be made; a DB on read-only media read as immutable). NULL: silent. */
    void (*warn)(void *user, const char *msg);
    void *warn_user;
} CvReportConfig;

#define CV_REPORT_DEFAULTS                                                                         \
    {                                                                                              \
        .score = "qed", .top = 12, .pca_max = 2000, .props_max = 2000, .neighbours_max = 20000,    \
        .predict_max = 1000, .compare_n = 200, .compare_samples = 200                              \
    }

/* The report's parameters (app_params.h): db, run (an id or 'latest'), out, model, data,
 * color-by, pca-max, score (one of the names above), top (1..CV_REPORT_MAX_TOP),
 * props-max, neighbours-max, predict-max, compare (repeatable), compare-n,
 * compare-samples, threads; run, score and top are checked as they are read. The help
 * texts name the command line's default paths (results/chemvae.db, results/report.html). */
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
 * (done of CV_REPORT_SECTIONS sections, with the section's name) and is polled for interrupts
 * between sections; its db and rows are not used. CV_ERR_INVALID for a config out of range or a run
 * that is not in the DB; CV_ERR_EMPTY for CV_REPORT_RUN_LATEST in a DB without a pipeline run; the
 * DB's, the model's, the dataset's and the output's errors as they come (no page is written then).
 * *res (NULL-able) is filled on CV_OK. */
CvStatus cv_report_write(const CvReportConfig *cfg, const CvHooks *h, CvReportResult *res,
                         CvError *err);

/* The sections of the page. */
#define CV_REPORT_SECTIONS 11

/* ---- a model's training history (src/report/report_history.c) -------------------------
 * `<model>.training.csv` beside a checkpoint: the training_metrics rows of the run that
 * trained it as CSV with a header (epoch, step, split, loss, recon, kl, prop, beta, lr,
 * accuracy, extra: results/models/zinc24k-small.training.csv). Columns are found by
 * name; epoch and split are required, the others are NaN when absent. */
enum {
    CV_HISTORY_COLS = 8
}; /* epoch, loss, recon, kl, beta, accuracy, tf_exact,
      active_units (the last two from extra's JSON) */
typedef struct {
    size_t n, cap;
    unsigned char *split; /* (n) CV_SPLIT_TRAIN or CV_SPLIT_VALID (rows of other splits are
                             skipped) */
    double *v;            /* (n, CV_HISTORY_COLS) in file order; NaN where not a number */
} CvTrainingHistory;

/* Reads the history file at path into *h (zeroed first; free with cv_report_history_free).
 * Records that are not valid CSV, rows of another split and rows without an epoch are
 * skipped. CV_ERR_IO naming the path when it cannot be read, CV_ERR_PARSE for a file
 * without a header holding epoch and split, CV_ERR_NOMEM. */
CvStatus cv_report_history_read(const char *path, CvTrainingHistory *h, CvError *err);
void cv_report_history_free(CvTrainingHistory *h);

#endif
