/* app.h — what every application job shares. A job (cv_sample, cv_optimize, ...) is one
 * library call: a config struct in, a result struct out, and a CvHooks that lets the
 * caller watch progress, stop the job between batches, receive its rows as they are made,
 * and have them recorded in a results DB. The command line (src/cli/) and the Python
 * package are two callers of the same jobs.
 *
 * Recording: the caller opens the results DB and begins the run (cv_run_begin, with the
 * config it wants stored); the job writes its rows in one transaction per batch, stores
 * its summary metrics and marks the run ok, interrupted or failed. A killed job keeps
 * every batch it committed. */
#ifndef CHEMVAE_APP_H
#define CHEMVAE_APP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chemvae/core/error.h"
#include "chemvae/core/json.h"
#include "chemvae/latent/latent.h"
#include "chemvae/data/smiles_grammar.h"
#include "chemvae/store/store.h"

struct CvGenBatch;

typedef struct {
    /* Called after each batch: `done` of `total` units, and a short status ("valid 97.1%").
     * NULL: silent. */
    void (*progress)(void *user, size_t done, size_t total, const char *status);
    /* Polled between batches; non-zero stops the job, which then returns CV_OK with its
     * result's `interrupted` set to that value. NULL: never. */
    int (*interrupted)(void *user);
    /* The sink for rows: called with each batch of decodes (b describes the latent vectors,
     * mols its N·K decodes, both valid only during the call) before it is recorded. A
     * non-CV_OK return (with err set) fails the job. NULL: none. */
    CvStatus (*rows)(void *user, const struct CvGenBatch *b, const LatentMol *mols, CvError *err);
    void *user;
    /* Where rows are recorded: an open results DB and a run begun in it (cv_run_begin),
     * or db NULL to record nothing. */
    Store *db;
    int64_t run_id;
} CvHooks;

/* Opens the results DB at db_path (read-write) into *db unless *db is already open, and
 * begins a run of `kind` whose stored config is the JSON object in *cfg (freed here in
 * every case) with the chemvae version and commit added; the rest as cv_store_run_begin.
 * CV_OK or the error of whichever step failed. */
CvStatus cv_run_begin(const char *db_path, const char *kind, CvJson *cfg, const char *model_path,
                      const char *model_hash, int64_t seed, int64_t parent, Store **db,
                      int64_t *run_id, CvError *err);

/* A named summary value of a run. */
typedef struct {
    const char *name;
    double v; /* NaN: not stored */
} CvMetric;

/* Stores the metrics of the hooks' run (skipping NaN values) and marks it ok, or
 * interrupted when `interrupted` is non-zero. Nothing without a DB. */
CvStatus cv_run_finish(const CvHooks *h, const CvMetric *mt, size_t n, int interrupted,
                       CvError *err);
/* Marks the hooks' run failed (after an error; its own errors are ignored). */
void cv_run_fail(const CvHooks *h);

/* The hooks' progress and interrupt calls, safe on NULL hooks and NULL members. */
void cv_hooks_progress(const CvHooks *h, size_t done, size_t total, const char *status);
int cv_hooks_interrupted(const CvHooks *h);

/* N latent vectors, K decodes each (row i·K + a), as recorded in `generations`. */
typedef struct CvGenBatch {
    const char *method; /* "sample", "optimize", "interpolate" */
    size_t N, K, Z;
    const float *z;      /* (N, Z) */
    const int64_t *step; /* (N) step of each vector; NULL: step0 + i */
    int64_t step0;
    const char *const *sources; /* (N) source of each vector, or NULL: `source` for all */
    const char *source;
    const char *predicted; /* (N · pred_stride) from cv_model_predicted_json, NULL-able */
    size_t pred_stride;    /* cv_model_predicted_stride of the model */
    const double *sim;     /* (N · K) Tanimoto to the source, NULL-able */
} CvGenBatch;

/* Stores every row of mols (N·K, valid or not) as a generation of run_id (valid rows with
 * their molecule and true scores) in ONE transaction. */
CvStatus cv_store_generations(Store *db, int64_t run_id, const CvGenBatch *b, const LatentMol *mols,
                              CvError *err);

/* Hands the batch to the hooks' row sink, then records it in the hooks' DB (each when
 * present). */
CvStatus cv_hooks_rows(const CvHooks *h, const CvGenBatch *b, const LatentMol *mols, CvError *err);

/* Counts the failure classes of mols[0..n) into counts[SMILES_FAIL_COUNT] (added). */
void cv_count_failures(const LatentMol *mols, size_t n, size_t *counts);

/* The failure counts as metrics fail_<class> (SMILES_FAIL_COUNT - 1 of them, no "none"),
 * written to mt; returns how many. */
size_t cv_failure_metrics(const size_t *counts, CvMetric *mt);

/* Writes ", failures: syntax 3, ring 1, ..." (the non-zero classes of
 * counts[SMILES_FAIL_COUNT], named by cv_smiles_failure_name) to fp; nothing when none is. */
void cv_failures_write(FILE *fp, const size_t *counts);

/* Reads the SMILES column (header "smiles", case-insensitive; else the first column) of a
 * CSV/TSV file, or the molecules of a SMILES file or an SDF (by the name's extension,
 * molin.h: a molblock as its canonical SMILES, a record RDKit cannot read as its name, which
 * then does not parse) into a malloc'd array of malloc'd strings (*out, *n). max > 0 keeps
 * the first max rows. Empty fields are skipped. CV_ERR_PARSE names a file without rows. */
CvStatus cv_read_smiles_csv(const char *path, size_t max, char ***out, size_t *n, CvError *err);
/* The same with the CSV column named `column` (exactly; NULL: as above): a CSV whose header
 * lacks it is CV_ERR_PARSE naming the file and the column. SMILES files and SDF have no
 * columns: `column` does not apply to them. */
CvStatus cv_read_smiles_column(const char *path, const char *column, size_t max, char ***out,
                               size_t *n, CvError *err);
void cv_free_strings(char **s, size_t n);

#endif
