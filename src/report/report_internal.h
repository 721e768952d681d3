/* report_internal.h — what the files of src/report/ share: the page being written, the DB
 * it reads and the scope (which runs a section looks at, store.h "reads for the report").
 * report.c opens the inputs and writes the page around the sections; report_sections.c
 * writes the run, training, evaluation and failure sections; report_mols.c the molecule
 * sections (top molecules, interpolation path, optimization trajectories);
 * report_latent.c the latent-space map; report_svg.c draws. Not a public header. */
#ifndef CHEMVAE_REPORT_INTERNAL_H
#define CHEMVAE_REPORT_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "chemvae/app/app_model.h"
#include "chemvae/data/dataset.h"
#include "chemvae/report/report.h"
#include "chemvae/store/store.h"

typedef struct {
    FILE *fp;
    Store *db;
    int64_t scope;                /* run id, 0 = whole DB */
    const CvReportConfig *cfg;    /* score, top, model, data, color_by, pca_max, warn */
    const char *score_label;      /* display name of cfg->score */
    CvModel *latent_model;        /* model and data of the latent map (NULL when no model */
    const CvDataset *latent_data; /* was given; encoding writes the model's buffers) */
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

/* The sections, in page order (report_sections.c, report_latent.c, report_mols.c). */
void report_runs(Report *rp);
void report_training(Report *rp);
void report_eval(Report *rp);
void report_failures(Report *rp);
void report_latent(Report *rp);
void report_top_molecules(Report *rp);
void report_interpolation(Report *rp);
void report_optimization(Report *rp);

/* Loads cfg->model and cfg->data for the latent map (once, before the page is written, so
 * a model or dataset that cannot be read, or that do not belong together, fails the
 * report rather than thinning it). Free with cv_model_free / cv_dataset_free. */
CvStatus report_latent_load(const CvReportConfig *cfg, CvModel *m, CvDataset *ds, CvError *err);

#endif
