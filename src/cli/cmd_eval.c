/* cmd_eval.c — `chemvae eval`: the eval job (app_eval.h) from the command line.
 * Reconstruction, prior validity / uniqueness / novelty / internal diversity and property
 * MAE of a checkpoint on a dataset split (README "Evaluating"), printed as CSV
 * (metric,value) or JSON and stored in eval_metrics. */
#include <stdio.h>

#include "chemvae/app/app_eval.h"
#include "cli.h"
#include "options.h"

typedef struct {
    const char *model, *data, *db_path;
    long n, samples, beam, stochastic, seed, batch, threads, parent;
    int split, constrain, json, no_db;
} EvalArgs;

/* --split: train | valid | test, stored by name. */
static CvStatus parse_split(const char *opt, const char *arg, void *field, CvError *err) {
    int split = cv_eval_split_parse(arg);
    if (split < 0) {
        cv_error_set(err, CV_ERR_INVALID, "%s must be train, valid or test, got '%s'", opt, arg);
        return CV_ERR_INVALID;
    }
    *(int *)field = split;
    return CV_OK;
}
static void split_json(CvJson *j, const void *field) {
    cv_json_string(j, cv_eval_split_name(*(const int *)field));
}
static const CvParamType SPLIT = {1, "NAME", parse_split, split_json};

#define F(field) offsetof(EvalArgs, field)
static const CvParam OPTS[] = {
    CV_PARAM("model", 'm', CV_PARAM_STRING, F(model), "FILE", "checkpoint (required)",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("data", 'd', CV_PARAM_STRING, F(data), "FILE",
             "dataset from `chemvae ingest` (required)"),
    CV_PARAM("split", 0, SPLIT, F(split), "NAME", "test | valid | train (default test)"),
    CV_PARAM(NULL, 'n', CV_PARAM_LONG, F(n), "N",
             "at most N split molecules for reconstruction (default all)", .key = "n"),
    CV_PARAM("samples", 0, CV_PARAM_LONG, F(samples), "N",
             "prior samples z ~ N(0, I) (default 1000)"),
    CV_PARAM("beam", 0, CV_PARAM_LONG, F(beam), "K",
             "reconstruct with a beam of K hypotheses (default 1: greedy)"),
    CV_PARAM("stochastic", 0, CV_PARAM_LONG, F(stochastic), "N",
             "also JT-VAE's protocol on the first N split molecules:\n10 encodings x 10 sampled "
             "decodes each (default 0)"),
    CV_PARAM("seed", 0, CV_PARAM_LONG, F(seed), "N", "seed of the prior samples (default 1)"),
    CV_PARAM("constrain", 0, CV_PARAM_CONSTRAIN, F(constrain), "MODE",
             "none | syntax | valence (default): decoding mask, for both\nreconstruction and "
             "prior samples"),
    CV_PARAM("batch", 0, CV_PARAM_LONG, F(batch), "B", "decoding batch (default 256)"),
    CV_PARAM("threads", 0, CV_PARAM_LONG, F(threads), "N", "OpenBLAS threads",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("json", 0, CV_PARAM_SWITCH, F(json), NULL, "JSON instead of CSV",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("db", 0, CV_PARAM_STRING, F(db_path), "FILE", CLI_DB_HELP, .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("no-db", 0, CV_PARAM_SWITCH, F(no_db), NULL, "record nothing",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("parent-run", 0, CV_PARAM_LONG, F(parent), "N", "record under run N",
             .flags = CV_PARAM_NOCONFIG),
};
static const CvParamTable OPTS_TABLE = CV_PARAM_TABLE(OPTS);
#undef F

static const CliCommand COMMAND = {.name = "eval",
                                   .synopsis = "--model FILE.cvae --data FILE.cvds [options]",
                                   .tables = {{&OPTS_TABLE, 0}},
                                   .epilog = "stdout: metric,value (or one JSON object)\n",
                                   .max_operands = 0};

static int parse_args(int argc, char **argv, EvalArgs *a) {
    *a = (EvalArgs){.db_path = CLI_DEFAULT_DB,
                    .split = CV_SPLIT_TEST,
                    .samples = 1000,
                    .beam = 1,
                    .seed = 1,
                    .batch = 256,
                    .constrain = CV_DEFAULT_CONSTRAIN};
    int rc = cli_options_parse(&COMMAND, argc, argv, a, NULL);
    if (rc) return rc;
    const char *cmd = COMMAND.name;
    if (!a->model || !a->data) return cli_usage_error(cmd, "--model and --data are required");
    if (a->batch < 1) return cli_usage_error(cmd, "--batch must be positive");
    if (a->beam < 1 || a->beam > a->batch)
        return cli_usage_error(cmd, "--beam must be in 1..--batch (%ld)", a->batch);
    return CLI_OK;
}

static void print_metrics(const EvalArgs *a, const CvEvalResult *r) {
    if (a->json) printf("{");
    else printf("metric,value\n");
    for (size_t i = 0; i < r->n_metrics; i++) {
        const CvEvalMetric *mt = &r->metrics[i];
        if (a->json) printf("%s\"%s\": %.6g", i ? ", " : "", mt->name, mt->v);
        else printf("%s,%.6g\n", mt->name, mt->v);
    }
    if (a->json) printf("}\n");
}

int cmd_eval(int argc, char **argv) {
    EvalArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    cli_set_threads((int)a.threads);
    CvError err = {0};
    CvModel m;
    CvHooks h = {0};
    CvEvalResult res;
    CvEvalConfig cfg = {.data = a.data,
                        .split = a.split,
                        .n = (size_t)a.n,
                        .samples = (size_t)a.samples,
                        .beam = (int)a.beam,
                        .stochastic = (size_t)a.stochastic,
                        .seed = (uint64_t)a.seed};
    CvStatus st = cv_model_load(&m, a.model, (size_t)a.batch, &err);
    if (!st) st = cv_model_set_constrain(&m, a.constrain, &err);
    if (!st)
        st =
            cli_begin_run(&COMMAND, &a, a.no_db, a.db_path, "eval", &m, a.seed, a.parent, &h, &err);
    if (!st) st = cv_eval(&m, &cfg, &h, &res, &err);
    if (!st) print_metrics(&a, &res);
    rc = st ? cli_report(COMMAND.name, &err) : CLI_OK;
    cv_store_close(h.db);
    cv_model_free(&m);
    return rc;
}
