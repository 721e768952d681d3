/* latent_cli.h — what `sample`, `optimize` and `interpolate` share: the set-up and
 * tear-down of a job on a model, and the end of their summary lines on stderr (the run).
 * Their result rows go through the row writer (app_rows.h), their summaries are the jobs'. */
#ifndef CHEMVAE_CLI_LATENT_CLI_H
#define CHEMVAE_CLI_LATENT_CLI_H

#include <stdio.h>

#include "chemvae/app/app_model.h"
#include "chemvae/app/app_rows.h"
#include "chemvae/core/json.h"
#include "chemvae/latent/latent.h"
#include "cli.h"
#include "options.h"

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

/* Ends a summary line on stderr: "; run N in DB_PATH" when the hooks record a run, then
 * the newline. */
void cli_print_run_end(const CvHooks *h);

#endif
