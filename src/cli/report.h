/* report.h — what the parts of `chemvae report` share: the page being written, the DB it
 * reads and the scope (which runs a section looks at). cmd_report.c writes the page and the
 * run/training/evaluation sections; report_mols.c the molecule sections (top molecules,
 * interpolation path, optimization trajectories) and the latent-space projection.
 *
 * Scope: with run_id > 0, every section looks only at that run and the runs under it
 * (runs.parent, recursively: a pipeline run, its stages and their commands); with 0, at the
 * whole DB. Within the scope a section shows the latest run of its kind, preferring runs that
 * finished 'ok'. */
#ifndef CHEMVAE_CLI_REPORT_H
#define CHEMVAE_CLI_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "chemvae/dataset.h"
#include "chemvae/store.h"
#include "model_io.h"

typedef struct {
    FILE *fp;
    Store *db;
    int64_t scope;     /* run id, 0 = whole DB */
    const char *score; /* molecules column ranking molecules: qed, logp, sa, penalized_logp, mw */
    const char *score_label;
    int top;                             /* molecules in the top grid */
    const char *model, *data, *color_by; /* latent projection inputs (NULL-able) */
    size_t pca_max;                      /* molecules encoded for the projection */
    CvModel *latent_model;        /* model and data loaded by report_latent_load (NULL when */
    const CvDataset *latent_data; /* no --model was given; encoding writes the model's buffers) */
} Report;

/* The SQL condition "run r is in scope" on a runs alias r, with the scope as parameter ?1. */
#define REPORT_SCOPE_SQL                                                                           \
    "(?1 = 0 OR r.id IN (WITH RECURSIVE tree(id) AS (SELECT ?1 UNION SELECT runs.id FROM runs "    \
    "JOIN tree ON runs.parent = tree.id) SELECT id FROM tree))"

/* Id of the latest run in scope matching `cond` (SQL on alias r; may use ?2 = arg), 'ok'
 * runs first; 0 when none (or on a DB error, which is printed). */
int64_t report_latest_run(Report *rp, const char *cond, const char *arg);

/* Runs a read-only query with parameters (?1 = scope or given ints/texts) into *t; on error
 * prints it and leaves t empty. Returns 0 on success. */
int report_select(Report *rp, const char *sql, const StoreValue *params, size_t n, StoreTable *t);

/* "<p class="empty">...</p>" */
void report_empty(Report *rp, const char *what);

/* An RDKit drawing of `smiles` as inline SVG (w×h), or a placeholder when RDKit cannot
 * draw it. */
void report_molecule_svg(Report *rp, const char *smiles, int w, int h);

/* The molecule sections (report_mols.c). */
void report_top_molecules(Report *rp);
void report_interpolation(Report *rp);
void report_optimization(Report *rp);
void report_latent(Report *rp);
/* Loads --model and --data for the latent section (once, before the page is written, so a
 * model or dataset that cannot be read, or that do not belong together, is an error of the
 * command rather than a thinner report). Free with cv_model_free / dataset_free. */
CvStatus report_latent_load(const Report *rp, CvModel *m, CvDataset *ds, CvError *err);

#endif
