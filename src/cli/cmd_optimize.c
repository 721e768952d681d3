/* cmd_optimize.c — `chemvae optimize`: the optimize job (app_optimize.h) from the command
 * line. Starts from --start SMILES (repeatable), --starts FILE (its smiles column, the
 * first --limit rows), --from-data X.cvds --top N and --random N. Prints one row per start
 * on stdout (start score, best score, improvement, similarity, success as in the JT-VAE
 * constrained-optimization protocol when --constrained DELTA is given) and the summary
 * (mean improvement, best found, success rate) on stderr; the run, every decode and the
 * summary go to the results DB. The starts are resolved before the run is begun, so a bad
 * start or objective leaves no run behind and the run's config holds how many there are. */
#include <stdio.h>

#include "chemvae/app/app_optimize.h"
#include "cli.h"
#include "latent_cli.h"
#include "options.h"

typedef struct {
    CvModelOptions model;
    CvOptimizeConfig job;
    CliRunOptions run;
    CvRowsFormat format;
} OptArgs;

static const CliCommand COMMAND = {
    .name = "optimize",
    .synopsis = "[options] (--start SMILES | --starts FILE | --from-data X.cvds | --random N)",
    .intro = "Gradient ascent on the property head's objective in latent space from every\n"
             "start given (--start, --starts, --from-data and --random combine).\n",
    .tables = {{&cv_model_params, offsetof(OptArgs, model)},
               {&cv_optimize_params, offsetof(OptArgs, job)},
               {&cv_rows_params, offsetof(OptArgs, format)},
               {&cli_run_params, offsetof(OptArgs, run)}},
    .epilog = "stdout: "
              "start,start_smiles,start_score,best_smiles,best_score,improvement,similarity,"
              "success,\n        best_step,head_start,head_end,decoded,valid\n",
    .max_operands = 0};

static int parse_args(int argc, char **argv, OptArgs *a) {
    *a = (OptArgs){CV_MODEL_OPTIONS_DEFAULTS, CV_OPTIMIZE_DEFAULTS, CLI_RUN_DEFAULTS, 0};
    int rc = cli_job_parse(&COMMAND, argc, argv, a, &a->model, NULL);
    CvError err = {0};
    if (!rc && cv_optimize_check(&a->job, &err)) rc = cli_usage_error(COMMAND.name, "%s", err.msg);
    if (!a->job.from_data) a->job.top = 0; /* stored as 0 without --from-data */
    return rc;
}

/* The run's config: the options', the objective as the job reads it (normalized, "-(...)"
 * when minimized) and the number of starts it resolved. */
static void run_config(const void *user, CvJson *j) {
    const CvOptimizeResult *r = user;
    cv_json_kv_string(j, "objective", r->objective);
    cv_json_kv_int(j, "starts", (int64_t)r->n);
}

/* The rows on stdout and the summary on stderr; CLI_OK. */
static int print_results(const OptArgs *a, const CvOptimizeResult *r, const CvHooks *h) {
    cv_optimize_write(r, stdout, a->format);
    cv_optimize_summary(&a->job, r, stderr);
    cli_print_run_end(h);
    return CLI_OK;
}

/* Prepares the starts (reporting the skipped ones), begins the run and runs the job. */
static CvStatus run_job(OptArgs *a, CliJob *j, CvOptimizeResult *res) {
    CvStatus st = cv_optimize_prepare(&j->m, &a->job, res, &j->err);
    for (size_t i = 0; i < res->n_skipped; i++) {
        fprintf(stderr, "chemvae %s: skipping start: ", COMMAND.name);
        cli_put_safe(stderr, res->skipped[i]);
        fputc('\n', stderr);
    }
    CliRunSpec spec = {COMMAND.name,  j->m.path,  j->m.hash, (int64_t)a->job.seed,
                       a->run.parent, run_config, res};
    if (!st)
        st = cli_begin_run_spec(&COMMAND, a, a->run.no_db, a->run.db_path, &spec, &j->h, &j->err);
    return st ? st : cv_optimize(&j->m, &a->job, &j->h, res, &j->err);
}

int cmd_optimize(int argc, char **argv) {
    OptArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) cv_optimize_config_free(&a.job);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    CliJob j;
    CvOptimizeResult res = {0};
    CvStatus st = cli_job_start(&j, COMMAND.name, &a.model, a.run.threads);
    if (!st) st = run_job(&a, &j, &res);
    cli_watch_finish(&j.watch);
    if (!st && res.interrupted)
        fprintf(stderr, "chemvae %s: interrupted at step %zu (every decode so far is stored)\n",
                COMMAND.name, res.interrupted_step);
    rc = st ? CLI_ERROR : res.interrupted ? 128 + res.interrupted : print_results(&a, &res, &j.h);
    cv_optimize_config_free(&a.job);
    cv_optimize_result_free(&res);
    return cli_job_end(&j, COMMAND.name, st, rc);
}
