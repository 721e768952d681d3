/* report_internal.h — what the files of src/report/ share: the page being written, the DB
 * it reads and the scope (which runs a section looks at, store.h "reads for the report").
 * report.c opens the inputs and writes the page around the sections; report_sections.c
 * writes the run, training, evaluation and failure sections; report_props.c the property
 * distributions; report_latent.c the latent-space map and the KL per dimension;
 * report_predict.c the head's predictions; report_mols.c the molecule sections (top
 * molecules with their nearest training neighbours, interpolation path, optimization
 * trajectories); report_compare.c the models side by side; report_history.c reads a
 * model's training history file; report_svg.c and report_plots.c draw. Not a public
 * header. */
#ifndef CHEMVAE_REPORT_INTERNAL_H
#define CHEMVAE_REPORT_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "chemvae/app/app_model.h"
#include "chemvae/app/app_usage.h"
#include "chemvae/core/pca.h"
#include "chemvae/data/dataset.h"
#include "chemvae/report/report.h"
#include "chemvae/store/store.h"
#include "report_svg.h"

typedef struct {
    FILE *fp;
    Store *db;
    int64_t scope;                /* run id, 0 = whole DB */
    const CvReportConfig *cfg;    /* score, top, model, data, color_by, pca_max, warn */
    const char *score_label;      /* display name of cfg->score */
    CvModel *latent_model;        /* model and data of the latent map (NULL when no model */
    const CvDataset *latent_data; /* was given; encoding writes the model's buffers) */
    /* The molecules the latent sections encode (test split, else all; at most pca_max) and
     * what the encoder says of them: filled by the latent section, used by the later ones
     * (usage.n == 0 when the map could not be made). */
    uint32_t *map_rows;
    CvLatentUsage usage;
    int threads; /* RDKit workers, 0..CV_PARFOR_MAX_WORKERS; 0: every CPU */
} Report;

/* Hands "<fmt...>" to the config's warn callback (when there is one). */
void report_warn(const Report *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 0 when st is CV_OK; else warns with err's message and returns -1 (the section then
 * shows what it has, usually its "no data" note). */
int report_read_ok(const Report *rp, CvStatus st, const CvError *err);

/* Id of the newest run in scope of the kind `which` says ('ok' runs first; method for
 * STORE_REPORT_GENERATING); 0 when none or on a DB error (warned). */
int64_t report_latest_run(const Report *rp, StoreReportRuns which, const char *method);

/* "<p class="empty">...</p>" */
void report_empty(const Report *rp, const char *what);

/* An RDKit drawing of `smiles` as inline SVG (w×h), or a placeholder when RDKit cannot
 * draw it. */
void report_molecule_svg(const Report *rp, const char *smiles, int w, int h);

/* The text of cell (r, c) of t, "" when it is not TEXT. */
const char *report_text_cell(const StoreTable *t, size_t r, size_t c);

/* An HTML table of up to max_rows rows of t (BLOB cells elided, reals to 4 digits). */
void report_html_table(FILE *fp, const StoreTable *t, size_t max_rows);

/* "<p class="empty">No <what>: <err's message></p>" and the same as a warning. */
void report_empty_err(const Report *rp, const char *what, const CvError *err);

/* A stride sample of the latent dataset's train split: at most max rows (0: all), every
 * k-th, ascending, into a malloc'd *rows. CV_ERR_EMPTY when the split is empty. */
CvStatus report_train_rows(const Report *rp, size_t max, uint32_t **rows, size_t *n, CvError *err);

/* The rows a model's latent sections encode: the test split of ds (all rows when it is
 * empty), the first max of them (0: all); *which is "test" or "all". */
CvStatus report_map_rows(const CvDataset *ds, size_t max, uint32_t **rows, size_t *n,
                         const char **which, CvError *err);

/* The scatter of u's molecules (dataset rows `rows`) projected by pca, coloured by the
 * report's colour property, each with its SMILES as tooltip, over[0..nover) drawn on top.
 * CV_ERR_INVALID for a colour property the dataset lacks, CV_ERR_NOMEM. */
CvStatus report_latent_scatter(const Report *rp, const CvLatentUsage *u, const uint32_t *rows,
                               const CvPca *pca, const ReportPoints *over, size_t nover,
                               const char *title, int w, int h, CvError *err);

/* A bar chart of u's KL per dimension, inactive dimensions grey, each bar's numbers as
 * its tooltip. */
void report_kl_bars(const Report *rp, const CvLatentUsage *u, const char *title, int w, int h);

/* The sections, in page order (report_sections.c, report_props.c, report_latent.c,
 * report_predict.c, report_mols.c, report_compare.c). */
void report_runs(Report *rp);
void report_training(Report *rp);
void report_eval(Report *rp);
void report_failures(Report *rp);
void report_properties(Report *rp);
void report_latent(Report *rp);
void report_predictions(Report *rp);
void report_top_molecules(Report *rp);
void report_interpolation(Report *rp);
void report_optimization(Report *rp);
void report_compare(Report *rp);

/* Loads cfg->model and cfg->data for the latent map (once, before the page is written, so
 * a model or dataset that cannot be read, or that do not belong together, fails the
 * report rather than thinning it). Free with cv_model_free / cv_dataset_free. */
CvStatus report_latent_load(const CvReportConfig *cfg, CvModel *m, CvDataset *ds, CvError *err);

#endif
