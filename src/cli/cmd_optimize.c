/* cmd_optimize.c — `chemvae optimize`: the optimize job (app_optimize.h) from the command
 * line. Starts from --start SMILES (repeatable), --starts FILE (its smiles column, the
 * first --limit rows), --from-data X.cvds --top N and --random N. Prints one row per start
 * on stdout (start score, best score, improvement, similarity, success as in the JT-VAE
 * constrained-optimization protocol when --constrained DELTA is given) and the summary
 * (mean improvement, best found, success rate) on stderr; the run, every decode and the
 * summary go to the results DB. The starts are resolved before the run is begun, so a bad
 * start or objective leaves no run behind and the run's config holds how many there are. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/app/app_optimize.h"
#include "cli.h"
#include "latent_cli.h"
#include "options.h"

enum { MAX_START_ARGS = 256 };

/* --start SMILES, repeatable */
typedef struct {
    const char *v[MAX_START_ARGS];
    size_t n;
} StartArgs;

typedef struct {
    StartArgs start;
    const char *objective, *model, *starts_file, *data, *db_path;
    long limit, top, random, steps, decode_every, decodes, seed, threads, parent, beam;
    int rescue;
    double lr, prior, trust, temperature, delta;
    int minimize, json, no_db, constrain;
} OptArgs;

static CvStatus parse_start(const char *opt, const char *arg, void *field, CvError *err) {
    StartArgs *s = field;
    if (s->n < MAX_START_ARGS) {
        s->v[s->n++] = arg;
        return CV_OK;
    }
    cv_error_set(err, CV_ERR_INVALID, "more than %d %s; use --starts FILE", MAX_START_ARGS, opt);
    return CV_ERR_INVALID;
}
static void start_json(CvJson *j, const void *field) {
    const StartArgs *s = field;
    cv_json_begin_array(j);
    for (size_t i = 0; i < s->n; i++) cv_json_string(j, s->v[i]);
    cv_json_end_array(j);
}
static const CvParamType START_LIST = {1, "SMILES", parse_start, start_json};

static CvStatus parse_path(const char *opt, const char *arg, void *field, CvError *err) {
    (void)opt, (void)err;
    *(const char **)field = arg;
    return CV_OK;
}
/* "" when not given, as optimize's runs have always stored it */
static void path_json(CvJson *j, const void *field) {
    const char *s = *(const char *const *)field;
    cv_json_string(j, s ? s : "");
}
static const CvParamType PATH_OR_EMPTY = {1, "FILE", parse_path, path_json};

#define F(field) offsetof(OptArgs, field)
static const CvParam OPTS[] = {
    /* the run stores the objective as the job reads it (begin_run) */
    CV_PARAM("objective", 0, CV_PARAM_STRING, F(objective), "EXPR",
             "plogp (default), logp, qed, sa, mw, or a linear mix:\n'5*qed-sa', 'logp-sa'",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("minimize", 0, CV_PARAM_SWITCH, F(minimize), NULL, "minimize instead of maximize",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("start", 0, START_LIST, F(start), "SMILES", "a start molecule (repeatable)",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("starts", 0, PATH_OR_EMPTY, F(starts_file), "FILE",
             "CSV with a smiles column (e.g.\ndatasets/zinc_opt_starts200.csv)",
             .key = "starts_file"),
    CV_PARAM("limit", 0, CV_PARAM_LONG, F(limit), "N", "use the first N molecules of --starts"),
    CV_PARAM("from-data", 0, PATH_OR_EMPTY, F(data), "X.cvds",
             "the best train-split molecules of a dataset by the\nobjective"),
    CV_PARAM("top", 0, CV_PARAM_LONG, F(top), "N", "how many of them (default 10)"),
    CV_PARAM("random", 0, CV_PARAM_LONG, F(random), "N", "N starts z ~ N(0, I)"),
    CV_PARAM("steps", 0, CV_PARAM_LONG, F(steps), "N", "gradient steps (default 100)"),
    CV_PARAM("lr", 0, CV_PARAM_DOUBLE, F(lr), "X", "step length in latent units (default 0.3)"),
    CV_PARAM("prior", 0, CV_PARAM_DOUBLE, F(prior), "X",
             "lambda of the lambda/2*|z|^2 penalty (default 0.01)"),
    CV_PARAM("trust-radius", 0, CV_PARAM_DOUBLE, F(trust), "R",
             "stay within R of the start z (default 0: off)"),
    CV_PARAM("decode-every", 0, CV_PARAM_LONG, F(decode_every), "K",
             "decode every K steps (default 5)"),
    CV_PARAM("decodes", 0, CV_PARAM_LONG, F(decodes), "K",
             "decodes per z at each decode point: greedy + K-1\nsampled (default 8)"),
    CV_PARAM("temperature", 0, CV_PARAM_TEMPERATURE, F(temperature), "X",
             "temperature of the sampled decodes (default 0.7)"),
    CV_PARAM("constrained", 0, CV_PARAM_DOUBLE, F(delta), "DELTA",
             "only molecules with Tanimoto >= DELTA to the start\ncount"),
    CV_PARAM("constrain", 0, CV_PARAM_CONSTRAIN, F(constrain), "MODE", CLI_CONSTRAIN_TEXT),
    CV_PARAM("beam", 0, CV_PARAM_LONG, F(beam), "K",
             "the greedy decode at each decode point as a beam of K"),
    CV_PARAM("rescue", 0, CV_PARAM_RESCUE, F(rescue), "K", CLI_RESCUE_TEXT),
    CV_PARAM("model", 0, CV_PARAM_STRING, F(model), "FILE", CLI_MODEL_HELP,
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("seed", 0, CV_PARAM_LONG, F(seed), "N", "seed (default 1)",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("json", 0, CV_PARAM_SWITCH, F(json), NULL, "JSON instead of CSV",
             .flags = CV_PARAM_NOCONFIG),
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
    .name = "optimize",
    .synopsis = "[options] (--start SMILES | --starts FILE | --from-data X.cvds | --random N)",
    .intro = "Gradient ascent on the property head's objective in latent space from every\n"
             "start given (--start, --starts, --from-data and --random combine).\n",
    .tables = {{&OPTS_TABLE, 0}},
    .epilog = "stdout: "
              "start,start_smiles,start_score,best_smiles,best_score,improvement,similarity,"
              "success,\n        best_step,head_start,head_end,decoded,valid\n",
    .max_operands = 0};

static int parse_args(int argc, char **argv, OptArgs *a) {
    const CvOptimizeConfig d = CV_OPTIMIZE_DEFAULTS;
    *a = (OptArgs){.objective = d.objective,
                   .model = cli_default_model(),
                   .db_path = CLI_DEFAULT_DB,
                   .top = (long)d.top,
                   .steps = (long)d.steps,
                   .decode_every = (long)d.decode_every,
                   .decodes = (long)d.decodes,
                   .seed = (long)d.seed,
                   .beam = d.beam,
                   .rescue = d.rescue,
                   .lr = d.lr,
                   .prior = d.prior,
                   .temperature = d.temperature,
                   .delta = d.delta,
                   .constrain = CV_DEFAULT_CONSTRAIN};
    int rc = cli_options_parse(&COMMAND, argc, argv, a, NULL);
    if (rc) return rc;
    const char *cmd = COMMAND.name;
    if (!a->start.n && !a->starts_file && !a->data && !a->random)
        return cli_usage_error(cmd, "no starts: give --start, --starts, --from-data or --random");
    if (!(a->lr > 0)) return cli_usage_error(cmd, "--lr must be positive");
    if (!(a->prior >= 0)) return cli_usage_error(cmd, "--prior must be >= 0");
    if (!(a->trust >= 0)) return cli_usage_error(cmd, "--trust-radius must be >= 0");
    if (a->decode_every < 1 || a->decodes < 1)
        return cli_usage_error(cmd, "--decode-every and --decodes must be >= 1");
    if (a->delta != d.delta && !(a->delta >= 0 && a->delta <= 1))
        return cli_usage_error(cmd, "--constrained must be in [0, 1]");
    if (a->data && a->top < 1) return cli_usage_error(cmd, "--top must be >= 1");
    LatentObjective obj;
    CvError err = {0};
    if (cv_latent_objective_parse(a->objective, &obj, &err))
        return cli_usage_error(cmd, "%s", err.msg);
    if (!a->data) a->top = 0; /* stored as 0 without --from-data */
    return CLI_OK;
}

/* The start molecules: the --start SMILES, then the --starts file's (*file, *n_file owned);
 * *all (malloc'd array of borrowed strings) holds both. */
static CvStatus gather_starts(const OptArgs *a, char ***file, size_t *n_file, const char ***all,
                              CvError *err) {
    if (a->starts_file) {
        CvStatus st = cv_read_smiles_csv(a->starts_file, (size_t)a->limit, file, n_file, err);
        if (st) return st;
    }
    size_t n = a->start.n + *n_file;
    if (!(*all = malloc((n ? n : 1) * sizeof **all)))
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory for %zu starts", n);
    memcpy(*all, a->start.v, a->start.n * sizeof **all);
    for (size_t i = 0; i < *n_file; i++) (*all)[a->start.n + i] = (*file)[i];
    return CV_OK;
}

static CvOptimizeConfig job_config(const OptArgs *a, const char *const *starts, size_t n) {
    return (CvOptimizeConfig){.objective = a->objective,
                              .minimize = a->minimize,
                              .starts = starts,
                              .n_starts = n,
                              .n_required = a->start.n,
                              .from_data = a->data,
                              .top = (size_t)a->top,
                              .random = (size_t)a->random,
                              .steps = (size_t)a->steps,
                              .lr = a->lr,
                              .prior = a->prior,
                              .trust_radius = a->trust,
                              .decode_every = (size_t)a->decode_every,
                              .decodes = (size_t)a->decodes,
                              .temperature = a->temperature,
                              .beam = (int)a->beam,
                              .rescue = (int)a->rescue,
                              .delta = a->delta,
                              .seed = (uint64_t)a->seed};
}

/* Begins the run (unless --no-db): the options' config plus the objective as the job reads
 * it (normalized, "-(...)" when minimized) and the number of starts it resolved. */
static CvStatus begin_run(const OptArgs *a, const CvModel *m, const CvOptimizeResult *r, CvHooks *h,
                          CvError *err) {
    if (a->no_db) return CV_OK;
    CvJson cfg = {0};
    cv_json_begin_object(&cfg);
    cv_json_kv_string(&cfg, "objective", r->objective);
    cli_options_config(&COMMAND, a, &cfg);
    cv_json_kv_int(&cfg, "starts", (int64_t)r->n);
    cv_json_end_object(&cfg);
    return cv_run_begin(a->db_path, COMMAND.name, &cfg, m->path, m->hash, a->seed, a->parent,
                        &h->db, &h->run_id, err);
}

static void print_num(double v, int json) {
    if (isfinite(v)) printf("%.4f", v);
    else if (json) printf("null");
}

static void print_start(size_t i, const char *ss, const LatentOptResult *r, int json) {
    const char *bs = r->best_smiles ? r->best_smiles : "";
    if (json) {
        printf("%s\n{\"start\": %zu, \"start_smiles\": ", i ? "," : "", i);
        cli_print_json_string(stdout, ss);
        printf(", \"start_score\": ");
        print_num(r->start_score, 1);
        printf(", \"best_smiles\": ");
        cli_print_json_string(stdout, bs);
        printf(", \"best_score\": ");
        print_num(r->best_score, 1);
        printf(", \"improvement\": %.4f, \"similarity\": ", r->improvement);
        print_num(r->best_sim, 1);
        printf(", \"success\": %s, \"best_step\": %zu, \"head_start\": %.4f, \"head_end\": "
               "%.4f, \"decoded\": %zu, \"valid\": %zu}",
               r->success ? "true" : "false", r->best_step, r->head_start, r->head_end, r->decoded,
               r->valid);
        return;
    }
    printf("%zu,%s,", i, ss);
    print_num(r->start_score, 0);
    printf(",%s,", bs);
    print_num(r->best_score, 0);
    printf(",%.4f,", r->improvement);
    print_num(r->best_sim, 0);
    printf(",%d,%zu,%.4f,%.4f,%zu,%zu\n", r->success, r->best_step, r->head_start, r->head_end,
           r->decoded, r->valid);
}

static void print_results(const CvOptimizeResult *r, int json) {
    if (json) printf("[");
    else
        printf("start,start_smiles,start_score,best_smiles,best_score,improvement,similarity,"
               "success,best_step,head_start,head_end,decoded,valid\n");
    for (size_t i = 0; i < r->n; i++)
        print_start(i, r->start_smiles[i] ? r->start_smiles[i] : "", &r->per_start[i], json);
    if (json) printf("\n]\n");
    fflush(stdout);
}

static void print_summary(const OptArgs *a, const CvOptimizeResult *r, const CvHooks *h) {
    fprintf(stderr,
            "chemvae optimize: objective %s, %zu starts, %ld steps: %zu decodes, %zu valid "
            "(%.1f%%); best found %.4f (%s)",
            r->objective, r->n, a->steps, r->decoded, r->valid,
            r->decoded ? 100.0 * (double)r->valid / (double)r->decoded : 0.0, r->best_found,
            r->best_start != SIZE_MAX ? r->per_start[r->best_start].best_any_smiles : "-");
    if (r->n_mol) {
        fprintf(stderr,
                "; %zu start molecules: mean improvement %.4f +- %.4f, success %zu/%zu (%.1f%%)",
                r->n_mol, r->mean_improvement, r->sd_improvement, r->n_success, r->n_mol,
                100.0 * (double)r->n_success / (double)r->n_mol);
        if (a->delta >= 0) fprintf(stderr, " at similarity >= %g", a->delta);
    }
    if (h->db) fprintf(stderr, "; run %lld in %s", (long long)h->run_id, a->db_path);
    fprintf(stderr, "\n");
}

/* The exit status once the job returned: its results printed, or why there are none. */
static int print_outcome(const OptArgs *a, CvStatus st, const CvError *err,
                         const CvOptimizeResult *r, const CvHooks *h) {
    if (st) return cli_report(COMMAND.name, err);
    if (r->interrupted) {
        fprintf(stderr, "chemvae %s: interrupted at step %zu (every decode so far is stored)\n",
                COMMAND.name, r->interrupted_step);
        return 128 + r->interrupted;
    }
    print_results(r, a->json);
    print_summary(a, r, h);
    return CLI_OK;
}

int cmd_optimize(int argc, char **argv) {
    OptArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    cli_set_threads((int)a.threads);
    cv_chem_log_rdkit(0);
    CvError err = {0};
    CvModel m;
    CvHooks h;
    CliWatch watch;
    cli_hooks_init(&h, &watch, COMMAND.name);
    CvOptimizeResult res = {0};
    char **file_smiles = NULL;
    const char **starts = NULL;
    size_t n_file = 0;
    CvStatus st = cv_model_load(&m, a.model, 256, &err);
    if (!st) st = cv_model_set_constrain(&m, a.constrain, &err);
    if (!st) st = gather_starts(&a, &file_smiles, &n_file, &starts, &err);
    const CvOptimizeConfig cfg = job_config(&a, starts, a.start.n + n_file);
    if (!st) st = cv_optimize_prepare(&m, &cfg, &res, &err);
    for (size_t i = 0; i < res.n_skipped; i++) {
        fprintf(stderr, "chemvae %s: skipping start: ", COMMAND.name);
        cli_put_safe(stderr, res.skipped[i]);
        fputc('\n', stderr);
    }
    if (!st) st = begin_run(&a, &m, &res, &h, &err);
    if (!st) st = cv_optimize(&m, &cfg, &h, &res, &err);
    cli_watch_finish(&watch);
    rc = print_outcome(&a, st, &err, &res, &h);
    cv_optimize_result_free(&res);
    free(starts);
    cv_free_strings(file_smiles, n_file);
    cv_store_close(h.db);
    cv_model_free(&m);
    return rc;
}
