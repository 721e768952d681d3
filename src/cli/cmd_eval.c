/* cmd_eval.c — `chemvae eval`: the eval job (app_eval.h) from the command line.
 * Reconstruction, prior validity / uniqueness / novelty / internal diversity and property
 * MAE of a checkpoint on a dataset split (README "Evaluating"), printed as CSV
 * (metric,value) or JSON and stored in eval_metrics. */
#include <math.h>
#include <stdio.h>

#include "chemvae/app/app_eval.h"
#include "cli.h"
#include "options.h"

typedef struct {
    CvModelOptions model;
    CvEvalConfig job;
    CliRunOptions run;
    int json;
} EvalArgs;

static const CvParam OWN[] = {
    CV_PARAM("json", 0, CV_PARAM_SWITCH, offsetof(EvalArgs, json), NULL, "JSON instead of CSV",
             .flags = CV_PARAM_NOCONFIG),
};
static const CvParamTable OWN_TABLE = CV_PARAM_TABLE(OWN);

static const CliCommand COMMAND = {.name = "eval",
                                   .synopsis = "--model FILE.cvae --data FILE.cvds [options]",
                                   .tables = {{&cv_model_params, offsetof(EvalArgs, model)},
                                              {&cv_eval_params, offsetof(EvalArgs, job)},
                                              {&OWN_TABLE, 0},
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

/* metric,value rows, or one JSON object (names escaped; a metric without a value, NaN, as
 * null); values as %.6g. */
static void print_metrics(const EvalArgs *a, const CvEvalResult *r) {
    CvJson j = {0};
    cv_json_begin_object(&j);
    if (!a->json) fputs("metric,value\n", stdout);
    for (const CvEvalMetric *mt = r->metrics; mt < r->metrics + r->n_metrics; mt++) {
        char num[32];
        snprintf(num, sizeof num, "%.6g", mt->v);
        if (!a->json) printf("%s,%s\n", mt->name, num);
        cv_json_key(&j, mt->name);
        if (isfinite(mt->v)) cv_json_raw(&j, num);
        else cv_json_null(&j);
    }
    cv_json_end_object(&j);
    const char *text = cv_json_text(&j, NULL);
    if (a->json) printf("%s\n", text ? text : "{}");
    cv_json_free(&j);
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
    if (!st) print_metrics(&a, &res);
    else rc = cli_report(COMMAND.name, &err);
    cv_store_close(h.db);
    cv_model_free(&m);
    return rc;
}
