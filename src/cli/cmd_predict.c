/* cmd_predict.c — `chemvae predict`: the predict job (app_predict.h) from the command line.
 * One row per input molecule on stdout (CSV, JSON, SDF or SMILES file): the input, the
 * SMILES encoded, each head property's prediction and its true value (<name>_true), with
 * --latent the mean mu, and why a row has no prediction; the MAE per property on stderr. */
#include <stdio.h>

#include "chemvae/app/app_predict.h"
#include "chemvae/app/app_rows.h"
#include "cli.h"
#include "latent_cli.h"
#include "options.h"

typedef struct {
    CvModelOptions model;
    CvPredictConfig job;
    CvRowsFormat format;
    const CvModel *m; /* once loaded: the property names and Z */
    CvRows out;
} PredictArgs;

static const CliCommand COMMAND = {
    .name = "predict",
    .synopsis = "[options] [SMILES ...]   (or --input FILE, or --data FILE.cvds)",
    .intro = "The property head's predictions for each molecule, beside RDKit's value of each\n"
             "property RDKit computes (with --data: the dataset's own values).\n",
    .tables = {{&cv_model_params, offsetof(PredictArgs, model)},
               {&cv_score_params, offsetof(PredictArgs, job.input)},
               {&cv_predict_params, offsetof(PredictArgs, job)},
               {&cv_rows_params, offsetof(PredictArgs, format)}},
    .epilog = "stdout: index,input,smiles,<prop>,<prop>_true...[,z0...],error\n",
    .max_operands = -1};

static CvStatus print_rows(void *user, const CvPredictRow *rows, size_t n, CvError *err) {
    PredictArgs *a = user;
    cv_predict_write(&a->out, a->m, &a->job, rows, n);
    return ferror(stdout) ? cv_error_set(err, CV_ERR_IO, "stdout: write failed") : CV_OK;
}

static void print_summary(const CvPredictResult *r) {
    fprintf(stderr, "chemvae predict: %zu rows, %zu predicted; MAE", r->n_rows, r->n_predicted);
    for (size_t p = 0; p < r->P; p++)
        fprintf(stderr, "%s %s %.4g (%zu)", p ? "," : "", r->prop_names[p], r->mae[p], r->mae_n[p]);
    fputc('\n', stderr);
}

int cmd_predict(int argc, char **argv) {
    PredictArgs a = {.model = CV_MODEL_OPTIONS_DEFAULTS, .job = CV_PREDICT_DEFAULTS};
    int first = argc, rc = cli_job_parse(&COMMAND, argc, argv, &a, &a.model, &first);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    if (first < argc && (a.job.input.input || a.job.data))
        return cli_usage_error(COMMAND.name, "give SMILES arguments, --input or --data");
    a.job.input.smiles = first < argc ? (const char *const *)argv + first : NULL;
    a.job.input.n_smiles = (size_t)(argc - first);
    CliJob j;
    CvPredictResult res = {0};
    CvStatus st = cli_job_start(&j, COMMAND.name, &a.model, a.job.input.threads);
    a.m = &j.m;
    if (!st) cv_predict_write_begin(&a.out, &j.m, &a.job, stdout, a.format);
    if (!st) st = cv_predict(&j.m, &a.job, &(CvPredictSink){print_rows, &a}, &j.h, &res, &j.err);
    cli_watch_finish(&j.watch);
    if (!st) cv_rows_end(&a.out);
    if (!st) print_summary(&res);
    rc = res.interrupted ? 128 + res.interrupted : CLI_OK;
    return cli_job_end(&j, COMMAND.name, st, rc);
}
