/* cmd_interpolate.c — `chemvae interpolate`: the interpolate job (app_interpolate.h) between
 * --from and --to or two SMILES arguments: the distinct valid molecules in path order on
 * stdout, a summary on stderr, the run and every decode in the results DB. The ends are
 * encoded before the run is begun (a bad molecule leaves no run; the run stores them
 * canonical). */
#include <stdio.h>

#include "chemvae/app/app_interpolate.h"
#include "cli.h"
#include "latent_cli.h"
#include "options.h"

typedef struct {
    CvModelOptions model;
    CvInterpolateConfig job;
    CliRunOptions run;
    CvRowsFormat format;
} InterpArgs;

static const CliCommand COMMAND = {
    .name = "interpolate",
    .synopsis = "--from SMILES --to SMILES [options]\n       chemvae interpolate [options] FROM TO",
    .tables = {{&cv_model_params, offsetof(InterpArgs, model)},
               {&cv_interpolate_params, offsetof(InterpArgs, job)},
               {&cv_rows_params, offsetof(InterpArgs, format)},
               {&cli_run_params, offsetof(InterpArgs, run)}},
    .epilog = "stdout: " CV_INTERPOLATE_COLUMNS "\n",
    .max_operands = -1};

static int parse_args(int argc, char **argv, InterpArgs *a) {
    *a = (InterpArgs){CV_MODEL_OPTIONS_DEFAULTS, CV_INTERPOLATE_DEFAULTS, CLI_RUN_DEFAULTS, 0};
    int i, rc = cli_job_parse(&COMMAND, argc, argv, a, &a->model, &i);
    if (rc) return rc;
    const char *cmd = COMMAND.name;
    if (!a->job.from && !a->job.to && argc - i == 2) /* chemvae interpolate FROM TO */
        a->job.from = argv[i], a->job.to = argv[i + 1], i += 2;
    if (i < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
    if (!a->job.from || !a->job.to)
        return cli_usage_error(cmd, "--from and --to (or two SMILES arguments) are required");
    CvError err = {0};
    return cv_interpolate_check(&a->job, &err) ? cli_usage_error(cmd, "%s", err.msg) : CLI_OK;
}

/* The path's molecules on stdout and the summary on stderr (or that it was interrupted). */
static int print_path(const InterpArgs *a, const CvInterpolateResult *r, const CvHooks *h) {
    if (r->interrupted) fprintf(stderr, "chemvae %s: interrupted\n", COMMAND.name);
    if (r->interrupted) return 128 + r->interrupted;
    cv_interpolate_write(&a->job, r, stdout, a->format);
    fprintf(stderr,
            "chemvae %s: %s path of %zu points (latent length %.4f), %zu decodes, %zu valid, "
            "%zu distinct",
            COMMAND.name, a->job.slerp ? "slerp" : "linear", r->n_points,
            r->distance[r->n_points - 1], r->n_decodes, r->n_valid, r->uniq.n);
    cli_print_run_end(h);
    return CLI_OK;
}

int cmd_interpolate(int argc, char **argv) {
    InterpArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    CliJob j;
    CvInterpolateResult res = {0};
    CvStatus st = cli_job_start(&j, COMMAND.name, &a.model, a.run.threads);
    if (!st) st = cv_interpolate_prepare(&j.m, &a.job, &res, &j.err);
    a.job.from = res.from, a.job.to = res.to; /* the run stores the canonical ends */
    if (!st) st = cli_job_record(&j, &COMMAND, &a, &a.run, a.job.seed);
    if (!st) st = cv_interpolate(&j.m, &a.job, &j.h, &res, &j.err);
    cli_watch_finish(&j.watch);
    rc = st ? CLI_ERROR : print_path(&a, &res, &j.h);
    cv_interpolate_result_free(&res);
    return cli_job_end(&j, COMMAND.name, st, rc);
}
