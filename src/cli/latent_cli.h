/* latent_cli.h — what `sample`, `optimize` and `interpolate` share: property-head
 * predictions as JSON, recording decoded molecules in the results DB, reading SMILES
 * lists, printing molecules. */
#ifndef CHEMVAE_CLI_LATENT_CLI_H
#define CHEMVAE_CLI_LATENT_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "chemvae/latent.h"
#include "chemvae/store.h"
#include "chemvae/app.h"
#include "model_io.h"

/* Prints ", failures: syntax 3, ring 1, ..." (the non-zero classes) to fp; nothing if none. */
void cli_print_failures(FILE *fp, const size_t *counts);

/* Stores the metrics of run_id (skipping NaN values) and marks the run ok. */
CvStatus cli_finish_run(Store *db, int64_t run_id, const CvMetric *mt, size_t n, CvError *err);

/* Prints "mw,logp,qed,sa,penalized_logp" values of s as CSV fields (leading comma each) or
 * JSON members (", \"mw\": ..."). */
void cli_print_scores(FILE *fp, const ChemScores *s, int json);

/* Prints a JSON string literal. */
void cli_print_json_string(FILE *fp, const char *s);

#endif
