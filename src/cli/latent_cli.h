/* latent_cli.h — what `sample`, `optimize` and `interpolate` share: their --json option,
 * the set-up and tear-down of a job on a model, their result rows, printed as CSV or as
 * JSON from one description of the fields, and their failure classes.
 *
 * A table of rows: CSV is a header line and one line per row (the values as they are, text
 * through the CSV writer); JSON is an array with one object per line (text through the
 * JSON writer, numbers as formatted for the CSV). */
#ifndef CHEMVAE_CLI_LATENT_CLI_H
#define CHEMVAE_CLI_LATENT_CLI_H

#include <stdio.h>

#include "chemvae/app/app_model.h"
#include "chemvae/core/json.h"
#include "chemvae/latent/latent.h"
#include "cli.h"
#include "options.h"

/* --json: an int switch at the table's base offset (JSON instead of CSV), not recorded. */
extern const CvParamTable cli_json_params;

/* A job on a model run from the command line. */
typedef struct {
    CvModel m;
    CvHooks h; /* progress bar and interrupts (cli_hooks_init); h.db once a run is begun */
    CliWatch watch;
    CvError err;
} CliJob;

/* cli_options_parse for a command whose arguments hold the model options at *model: the
 * default checkpoint (cli_default_model) unless --model, and --batch must be positive. */
int cli_job_parse(const struct CliCommand *c, int argc, char **argv, void *args,
                  CvModelOptions *model, int *first_operand);

/* Sets the BLAS threads (0: OpenBLAS's default), silences RDKit's log, installs the hooks
 * labelled cmd and loads the model; CV_OK or the error in j->err. Call cli_job_end after,
 * either way. */
CvStatus cli_job_start(CliJob *j, const char *cmd, const CvModelOptions *model, long threads);
/* cli_record of the job's model into j->h; the error in j->err. */
CvStatus cli_job_record(CliJob *j, const struct CliCommand *c, const void *args,
                        const CliRunOptions *run, uint64_t seed);
/* Ends the progress bar, closes the results DB and frees the model. Returns the exit
 * status: the job's error reported (cli_report: CLI_ERROR) when st is one, else rc. */
int cli_job_end(CliJob *j, const char *cmd, CvStatus st, int rc);

typedef struct {
    FILE *fp;
    int json;
    size_t rows;   /* rows ended */
    size_t fields; /* fields of the current row (the first one begins it) */
    CvJson obj;    /* JSON: the current row */
} CliRows;

/* Starts the table on fp: "[" (JSON) or the CSV header line. */
void cli_rows_begin(CliRows *t, FILE *fp, int json, const char *csv_header);
/* A row's fields, each under its JSON key, in the CSV header's order. A text field (NULL:
 * empty): */
void cli_row_text(CliRows *t, const char *key, const char *s);
void cli_row_count(CliRows *t, const char *key, size_t v);
/* A real as %.4f. */
void cli_row_real(CliRows *t, const char *key, double v);
/* A real as %.4f, or when not finite an empty CSV field / JSON null. */
void cli_row_real_or_none(CliRows *t, const char *key, double v);
/* CSV 0 / 1, JSON false / true. */
void cli_row_flag(CliRows *t, const char *key, int v);
/* mw, logp, qed, sa, penalized_logp as reals. */
void cli_row_scores(CliRows *t, const ChemScores *s);
/* Ends the row. */
void cli_row_end(CliRows *t);
/* Ends the table ("\n]\n" in JSON), flushes fp and frees t's memory. */
void cli_rows_end(CliRows *t);

/* Ends a summary line on stderr: "; run N in DB_PATH" when the hooks record a run, then
 * the newline. */
void cli_print_run_end(const CvHooks *h, const char *db_path);

/* Prints ", failures: syntax 3, ring 1, ..." (the non-zero classes) to fp; nothing if none. */
void cli_print_failures(FILE *fp, const size_t *counts);

#endif
