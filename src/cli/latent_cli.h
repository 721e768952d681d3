/* latent_cli.h — what `sample`, `optimize` and `interpolate` share: property-head
 * predictions as JSON, recording decoded molecules in the results DB, reading SMILES
 * lists, printing molecules. */
#ifndef CHEMVAE_CLI_LATENT_CLI_H
#define CHEMVAE_CLI_LATENT_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "chemvae/latent.h"
#include "chemvae/store.h"
#include "model_io.h"

/* Bytes per predicted-JSON string of this model: enough for every property name escaped,
 * its value and an "objective" (the stride of cli_predicted_json's output). */
size_t cli_predicted_stride(const CliModel *m);

/* For each of z (N, Z): the property head's predictions in real units as a JSON object
 * {"<prop name>": value, ...} (plus "objective": head[i] when head is non-NULL) into
 * json + i·stride, stride = cli_predicted_stride(m); json holds N·stride bytes. */
void cli_predicted_json(CliModel *m, const float *z, size_t N, const double *head, char *json);

/* N latent vectors, K decodes each (row i·K + a), as recorded in `generations`. */
typedef struct {
    const char *method; /* "sample", "optimize", "interpolate" */
    size_t N, K, Z;
    const float *z;      /* (N, Z) */
    const int64_t *step; /* (N) step of each vector; NULL: step0 + i */
    int64_t step0;
    const char *const *sources; /* (N) source of each vector, or NULL: `source` for all */
    const char *source;
    const char *predicted; /* (N · pred_stride) from cli_predicted_json, NULL-able */
    size_t pred_stride;    /* cli_predicted_stride of the model */
    const double *sim;     /* (N · K) Tanimoto to the source, NULL-able */
} CliGenBatch;

/* Stores every row of mols (N·K, valid or not) as a generation of run_id (valid rows with
 * their molecule and true scores) in ONE transaction. */
CvStatus cli_store_generations(Store *db, int64_t run_id, const CliGenBatch *b,
                               const LatentMol *mols, CvError *err);

/* Counts the failure classes of mols[0..n) into counts[SMILES_FAIL_COUNT] (added). */
void cli_count_failures(const LatentMol *mols, size_t n, size_t *counts);
/* Prints ", failures: syntax 3, ring 1, ..." (the non-zero classes) to fp; nothing if none. */
void cli_print_failures(FILE *fp, const size_t *counts);

/* A named summary value of a run. */
typedef struct {
    const char *name;
    double v; /* NaN: not stored */
} CliMetric;

/* Stores the metrics of run_id (skipping NaN values) and marks the run ok. */
CvStatus cli_finish_run(Store *db, int64_t run_id, const CliMetric *mt, size_t n, CvError *err);

/* SIGINT / SIGTERM make cli_interrupted() return the signal number instead of killing the
 * process, so a long command can stop between batches, mark its run "interrupted" and keep
 * everything it committed. Exit status then: 128 + signal. */
void cli_catch_interrupts(void);
int cli_interrupted(void);

/* Reads the SMILES column (header "smiles", case-insensitive; else the first column) of a
 * CSV/TSV file into a malloc'd array of malloc'd strings (*out, *n). max > 0 keeps the
 * first max rows. Empty fields are skipped. CV_ERR_PARSE names a file without rows. */
CvStatus cli_read_smiles_csv(const char *path, size_t max, char ***out, size_t *n, CvError *err);
void cli_free_strings(char **s, size_t n);

/* Prints "mw,logp,qed,sa,penalized_logp" values of s as CSV fields (leading comma each) or
 * JSON members (", \"mw\": ..."). */
void cli_print_scores(FILE *fp, const ChemScores *s, int json);

/* Prints a JSON string literal. */
void cli_print_json_string(FILE *fp, const char *s);

#endif
