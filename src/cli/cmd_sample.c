/* cmd_sample.c — `chemvae sample`: the sample job (app_sample.h) from the command line.
 * Prints the distinct valid molecules (CSV or JSON, in order of first appearance, with
 * counts and true scores) on stdout and a summary (valid %, unique, novel vs a dataset's
 * train split, failure classes) on stderr; the run, every decode and the counts go to the
 * results DB. */
#include <stdio.h>

#include "chemvae/app/app_sample.h"
#include "cli.h"
#include "latent_cli.h"
#include "options.h"

typedef struct {
    CvModelOptions model;
    CvSampleConfig job;
    CliRunOptions run;
    CvRowsFormat format;
} SampleArgs;

static const CliCommand COMMAND = {
    .name = "sample",
    .synopsis = "[options]",
    .tables = {{&cv_model_params, offsetof(SampleArgs, model)},
               {&cv_sample_params, offsetof(SampleArgs, job)},
               {&cv_rows_params, offsetof(SampleArgs, format)},
               {&cli_run_params, offsetof(SampleArgs, run)}},
    .epilog =
        "stdout: "
        "smiles,count,first_index,mw,logp,qed,sa,penalized_logp[,similarity][,novel][,score]\n",
    .max_operands = 0};

static int parse_args(int argc, char **argv, SampleArgs *a) {
    *a = (SampleArgs){
        .model = CV_MODEL_OPTIONS_DEFAULTS, .job = CV_SAMPLE_DEFAULTS, .run = CLI_RUN_DEFAULTS};
    int rc = cli_job_parse(&COMMAND, argc, argv, a, &a->model, NULL);
    if (rc) return rc;
    const char *cmd = COMMAND.name;
    if (a->job.n < 1) return cli_usage_error(cmd, "-n must be at least 1");
    if (a->job.attempts < 1) return cli_usage_error(cmd, "--attempts must be at least 1");
    if (a->job.beam < 1 || (size_t)a->job.beam > a->model.batch)
        return cli_usage_error(cmd, "--beam must be in 1..--batch (%zu)", a->model.batch);
    if (!(a->job.radius >= 0)) return cli_usage_error(cmd, "--radius must be >= 0");
    if (a->job.radius != 1.0 && !a->job.around)
        return cli_usage_error(cmd, "--radius needs --around SMILES");
    return CLI_OK;
}

int cmd_sample(int argc, char **argv) {
    SampleArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    CliJob j;
    CvSampleResult res = {0};
    CvStatus st = cli_job_start(&j, COMMAND.name, &a.model, a.run.threads);
    if (!st) st = cli_job_record(&j, &COMMAND, &a, &a.run, a.job.seed);
    if (!st) st = cv_sample(&j.m, &a.job, &j.h, &res, &j.err);
    cli_watch_finish(&j.watch);
    if (!st) {
        cv_sample_write(&a.job, &res, stdout, a.format);
        cv_sample_summary(&a.job, &res, stderr);
        cli_print_run_end(&j.h);
    }
    rc = res.interrupted ? 128 + res.interrupted : CLI_OK;
    cv_sample_result_free(&res);
    return cli_job_end(&j, COMMAND.name, st, rc);
}
