/* cmd_eval.c — `chemvae eval`: the eval job (app_eval.h) from the command line.
 * Reconstruction, prior validity / uniqueness / novelty / internal diversity and property
 * MAE of a checkpoint on a dataset split (README "Evaluating"), printed as CSV
 * (metric,value) or JSON (--format csv|json, --json) and stored in eval_metrics. */
#include <stdio.h>

#include "chemvae/app/app_eval.h"
#include "chemvae/app/app_rows.h"
#include "cli.h"
#include "options.h"

typedef struct {
    CvModelOptions model;
    CvEvalConfig job;
    CliRunOptions run;
    CvRowsFormat format;
} EvalArgs;

static const CliCommand COMMAND = {
    .name = "eval",
    .synopsis = "--model FILE.cvae --data FILE.cvds [options]",
    .tables = {{&cv_model_params, offsetof(EvalArgs, model)},
               {&cv_eval_params, offsetof(EvalArgs, job)},
               {&cv_rows_csv_json_params, offsetof(EvalArgs, format)},
               {&cli_run_params, offsetof(EvalArgs, run)}},
    .epilog = "stdout: metric,value (or one JSON object)\n",
    .max_operands = 0};

static int parse_args(int argc, char **argv, EvalArgs *a) {
    *a = (EvalArgs){
        .model = CV_MODEL_OPTIONS_DEFAULTS, .job = CV_EVAL_DEFAULTS, .run = CLI_RUN_DEFAULTS};
    a->model.path = cli_default_model();
    int rc = cli_options_parse(&COMMAND, argc, argv, a, NULL);
    if (rc) return rc;
    CvError err = {0};
    rc = cv_eval_check(&a->job, a->model.batch, &err);
    return rc ? cli_usage_error(COMMAND.name, "%s", err.msg) : CLI_OK;
}

int cmd_eval(int argc, char **argv) {
    EvalArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    cli_set_threads((int)a.run.threads);
    CvError err = {0};
    CvModel m;
    CvHooks h = {0};
    CvEvalResult res;
    CvStatus st = cv_model_load_with(&m, &a.model, &err);
    if (!st) st = cli_record(&COMMAND, &a, &a.run, "eval", &m, (int64_t)a.job.seed, &h, &err);
    if (!st) st = cv_eval(&m, &a.job, &h, &res, &err);
    for (size_t i = 0; !st && i < res.n_notes; i++)
        fprintf(stderr, "chemvae eval: %s\n", res.notes[i]);
    if (!st) cv_eval_metrics_write(stdout, res.metrics, res.n_metrics, a.format == CV_ROWS_JSON);
    else rc = cli_report(COMMAND.name, &err);
    cv_store_close(h.db);
    cv_model_free(&m);
    return rc;
}
