/* cmd_sample.c — `chemvae sample`: the sample job (app_sample.h) from the command line.
 * Prints the distinct valid molecules (CSV or JSON, in order of first appearance, with
 * counts and true scores) on stdout and a summary (valid %, unique, novel vs a dataset's
 * train split, failure classes) on stderr; the run, every decode and the counts go to the
 * results DB. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "chemvae/app/app_sample.h"
#include "cli.h"
#include "latent_cli.h"
#include "options.h"

typedef struct {
    CvModelOptions model;
    CvSampleConfig job;
    CliRunOptions run;
    int json;
} SampleArgs;

static const CvParam OWN[] = {
    CV_PARAM("json", 0, CV_PARAM_SWITCH, offsetof(SampleArgs, json), NULL, "JSON instead of CSV",
             .flags = CV_PARAM_NOCONFIG),
};
static const CvParamTable OWN_TABLE = CV_PARAM_TABLE(OWN);

static const CliCommand COMMAND = {
    .name = "sample",
    .synopsis = "[options]",
    .tables = {{&cv_model_params, offsetof(SampleArgs, model)},
               {&cv_sample_params, offsetof(SampleArgs, job)},
               {&OWN_TABLE, 0},
               {&cli_run_params, offsetof(SampleArgs, run)}},
    .epilog =
        "stdout: smiles,count,first_index,mw,logp,qed,sa,penalized_logp[,similarity][,novel]\n",
    .max_operands = 0};

static int parse_args(int argc, char **argv, SampleArgs *a) {
    *a = (SampleArgs){
        .model = CV_MODEL_OPTIONS_DEFAULTS, .job = CV_SAMPLE_DEFAULTS, .run = CLI_RUN_DEFAULTS};
    a->model.path = cli_default_model();
    int rc = cli_options_parse(&COMMAND, argc, argv, a, NULL);
    if (rc) return rc;
    const char *cmd = COMMAND.name;
    if (a->job.n < 1) return cli_usage_error(cmd, "-n must be at least 1");
    if (a->job.attempts < 1) return cli_usage_error(cmd, "--attempts must be at least 1");
    if (a->model.batch < 1) return cli_usage_error(cmd, "--batch must be positive");
    if (a->job.beam < 1 || (size_t)a->job.beam > a->model.batch)
        return cli_usage_error(cmd, "--beam must be in 1..--batch (%zu)", a->model.batch);
    if (!(a->job.radius >= 0)) return cli_usage_error(cmd, "--radius must be >= 0");
    if (a->job.radius != 1.0 && !a->job.around)
        return cli_usage_error(cmd, "--radius needs --around SMILES");
    return CLI_OK;
}

static void print_molecules(const SampleArgs *a, const CvSampleResult *r) {
    size_t K = a->job.attempts;
    if (a->json) printf("[");
    else
        printf("smiles,count,first_index,mw,logp,qed,sa,penalized_logp%s%s\n",
               r->similarity ? ",similarity" : "", r->novel ? ",novel" : "");
    for (size_t i = 0; i < r->uniq.n; i++) {
        const LatentUniqEntry *e = &r->uniq.items[i];
        if (a->json) {
            printf("%s\n{\"smiles\": ", i ? "," : "");
            cli_print_json_string(stdout, e->smiles);
            printf(", \"count\": %zu, \"first_index\": %zu", e->count, e->first / K);
            cli_print_scores(stdout, &e->scores, 1);
            if (r->similarity) printf(", \"similarity\": %.4f", r->similarity[i]);
            if (r->novel) printf(", \"novel\": %s", r->novel[i] ? "true" : "false");
            printf("}");
        } else {
            printf("%s,%zu,%zu", e->smiles, e->count, e->first / K);
            cli_print_scores(stdout, &e->scores, 0);
            if (r->similarity) printf(",%.4f", r->similarity[i]);
            if (r->novel) printf(",%d", r->novel[i]);
            printf("\n");
        }
    }
    if (a->json) printf("\n]\n");
    fflush(stdout);
}

static void print_summary(const SampleArgs *a, const CvSampleResult *r, const CvHooks *h) {
    const char *cmd = COMMAND.name;
    if (r->interrupted)
        fprintf(stderr, "chemvae %s: interrupted after %zu of %zu vectors\n", cmd, r->n_done,
                a->job.n);
    fprintf(stderr,
            "chemvae %s: %zu vectors x %zu attempts = %zu decodes: valid %zu (%.1f%%), unique "
            "%zu (%.1f%% of valid)",
            cmd, r->n_done, a->job.attempts, r->n_decodes, r->n_valid,
            r->n_decodes ? 100.0 * (double)r->n_valid / (double)r->n_decodes : 0.0, r->uniq.n,
            r->n_valid ? 100.0 * (double)r->uniq.n / (double)r->n_valid : 0.0);
    if (r->novel)
        fprintf(stderr, ", novel %zu (%.1f%% of unique)", r->n_novel,
                r->uniq.n ? 100.0 * (double)r->n_novel / (double)r->uniq.n : 0.0);
    cli_print_failures(stderr, r->failures);
    if (h->db) fprintf(stderr, "; run %lld in %s", (long long)h->run_id, a->run.db_path);
    fprintf(stderr, "\n");
}

int cmd_sample(int argc, char **argv) {
    SampleArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    cli_set_threads((int)a.run.threads);
    cv_chem_log_rdkit(0);
    CvError err = {0};
    CvModel m;
    CvHooks h;
    CliWatch watch;
    cli_hooks_init(&h, &watch, COMMAND.name);
    CvSampleResult res = {0};
    CvStatus st = cv_model_load_with(&m, &a.model, &err);
    if (!st) st = cli_record(&COMMAND, &a, &a.run, "sample", &m, (int64_t)a.job.seed, &h, &err);
    if (!st) st = cv_sample(&m, &a.job, &h, &res, &err);
    cli_watch_finish(&watch);
    if (!st) {
        print_molecules(&a, &res);
        print_summary(&a, &res, &h);
    }
    rc = st ? cli_report(COMMAND.name, &err) : res.interrupted ? 128 + res.interrupted : CLI_OK;
    cv_sample_result_free(&res);
    cv_store_close(h.db);
    cv_model_free(&m);
    return rc;
}
