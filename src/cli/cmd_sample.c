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
    const char *model, *around, *data, *db_path;
    long n, attempts, seed, batch, threads, parent, beam;
    int rescue;
    double radius, temperature, retry_temperature;
    int json, no_db, constrain;
} SampleArgs;

#define F(field) offsetof(SampleArgs, field)
static const CvParam OPTS[] = {
    CV_PARAM("model", 0, CV_PARAM_STRING, F(model), "FILE", CLI_MODEL_HELP,
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM(NULL, 'n', CV_PARAM_LONG, F(n), "N", "latent vectors to draw (default 100)",
             .key = "n"),
    CV_PARAM("around", 0, CV_PARAM_STRING, F(around), "SMILES",
             "draw around this molecule's mu instead of N(0, I)"),
    CV_PARAM("radius", 0, CV_PARAM_DOUBLE, F(radius), "R",
             "noise scale around the molecule (default 1)"),
    CV_PARAM("attempts", 0, CV_PARAM_LONG, F(attempts), "K",
             "decodes per latent vector (default 1)"),
    CV_PARAM("temperature", 0, CV_PARAM_TEMPERATURE, F(temperature), "X",
             "first decode: 0 = greedy (default), > 0 samples softmax(logits/X)"),
    CV_PARAM("retry-temperature", 0, CV_PARAM_TEMPERATURE, F(retry_temperature), "X",
             "decodes 2..K (default 1)"),
    CV_PARAM("seed", 0, CV_PARAM_LONG, F(seed), "N", "seed (default 1)"),
    CV_PARAM("constrain", 0, CV_PARAM_CONSTRAIN, F(constrain), "MODE", CLI_CONSTRAIN_TEXT),
    CV_PARAM(
        "beam", 0, CV_PARAM_LONG, F(beam), "K",
        "the first (greedy) decode of each vector as a beam search of\nK hypotheses (default 1)"),
    CV_PARAM("rescue", 0, CV_PARAM_RESCUE, F(rescue), "K", CLI_RESCUE_TEXT),
    CV_PARAM("data", 0, CV_PARAM_STRING, F(data), "FILE.cvds",
             "count molecules not in its train split as novel"),
    CV_PARAM("json", 0, CV_PARAM_SWITCH, F(json), NULL, "JSON instead of CSV",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("batch", 0, CV_PARAM_LONG, F(batch), "B", "decoding batch (default 256)"),
    CV_PARAM("threads", 0, CV_PARAM_LONG, F(threads), "N", "OpenBLAS threads",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("db", 0, CV_PARAM_STRING, F(db_path), "FILE", CLI_DB_HELP, .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("no-db", 0, CV_PARAM_SWITCH, F(no_db), NULL, "record nothing",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("parent-run", 0, CV_PARAM_LONG, F(parent), "N", "record under run N",
             .flags = CV_PARAM_NOCONFIG),
};
static const CvParamTable OPTS_TABLE = CV_PARAM_TABLE(OPTS);
#undef F

static const CliCommand COMMAND = {
    .name = "sample",
    .synopsis = "[options]",
    .tables = {{&OPTS_TABLE, 0}},
    .epilog =
        "stdout: smiles,count,first_index,mw,logp,qed,sa,penalized_logp[,similarity][,novel]\n",
    .max_operands = 0};

static int parse_args(int argc, char **argv, SampleArgs *a) {
    *a = (SampleArgs){.rescue = CV_DEFAULT_RESCUE,
                      .constrain = CV_DEFAULT_CONSTRAIN,
                      .beam = 1,
                      .model = cli_default_model(),
                      .db_path = CLI_DEFAULT_DB,
                      .n = 100,
                      .attempts = 1,
                      .seed = 1,
                      .batch = 256,
                      .radius = 1.0,
                      .retry_temperature = 1.0};
    int rc = cli_options_parse(&COMMAND, argc, argv, a, NULL);
    if (rc) return rc;
    const char *cmd = COMMAND.name;
    if (a->n < 1) return cli_usage_error(cmd, "-n must be at least 1");
    if (a->attempts < 1) return cli_usage_error(cmd, "--attempts must be at least 1");
    if (a->batch < 1) return cli_usage_error(cmd, "--batch must be positive");
    if (a->beam < 1 || a->beam > a->batch)
        return cli_usage_error(cmd, "--beam must be in 1..--batch (%ld)", a->batch);
    if (!(a->radius >= 0)) return cli_usage_error(cmd, "--radius must be >= 0");
    if (a->radius != 1.0 && !a->around)
        return cli_usage_error(cmd, "--radius needs --around SMILES");
    return CLI_OK;
}

static void print_molecules(const SampleArgs *a, const CvSampleResult *r) {
    size_t K = (size_t)a->attempts;
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
        fprintf(stderr, "chemvae %s: interrupted after %zu of %ld vectors\n", cmd, r->n_done, a->n);
    fprintf(stderr,
            "chemvae %s: %zu vectors x %ld attempts = %zu decodes: valid %zu (%.1f%%), unique "
            "%zu (%.1f%% of valid)",
            cmd, r->n_done, a->attempts, r->n_decodes, r->n_valid,
            r->n_decodes ? 100.0 * (double)r->n_valid / (double)r->n_decodes : 0.0, r->uniq.n,
            r->n_valid ? 100.0 * (double)r->uniq.n / (double)r->n_valid : 0.0);
    if (r->novel)
        fprintf(stderr, ", novel %zu (%.1f%% of unique)", r->n_novel,
                r->uniq.n ? 100.0 * (double)r->n_novel / (double)r->uniq.n : 0.0);
    cli_print_failures(stderr, r->failures);
    if (h->db) fprintf(stderr, "; run %lld in %s", (long long)h->run_id, a->db_path);
    fprintf(stderr, "\n");
}

int cmd_sample(int argc, char **argv) {
    SampleArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    cli_set_threads((int)a.threads);
    cv_chem_log_rdkit(0);
    CvError err = {0};
    CvModel m;
    CvHooks h;
    CliWatch watch;
    cli_hooks_init(&h, &watch, COMMAND.name);
    CvSampleResult res = {0};
    CvSampleConfig cfg = {.n = (size_t)a.n,
                          .attempts = (size_t)a.attempts,
                          .temperature = a.temperature,
                          .retry_temperature = a.retry_temperature,
                          .seed = (uint64_t)a.seed,
                          .around = a.around,
                          .radius = a.radius,
                          .beam = (int)a.beam,
                          .rescue = (int)a.rescue,
                          .train_data = a.data};
    CvStatus st = cv_model_load(&m, a.model, (size_t)a.batch, &err);
    if (!st) st = cv_model_set_constrain(&m, a.constrain, &err);
    if (!st)
        st = cli_begin_run(&COMMAND, &a, a.no_db, a.db_path, "sample", &m, a.seed, a.parent, &h,
                           &err);
    if (!st) st = cv_sample(&m, &cfg, &h, &res, &err);
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
