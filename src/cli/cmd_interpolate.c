/* cmd_interpolate.c — `chemvae interpolate`: the interpolate job (app_interpolate.h) from
 * the command line, between --from and --to or two SMILES arguments. Prints the distinct
 * valid molecules in path order on stdout (the point where each first appears, t, the
 * latent distance travelled up to it, how often it was decoded, its similarity to both ends
 * and its true scores) and a summary on stderr; the run and every decode go to the results
 * DB. The ends are encoded before the run is begun, so a bad molecule leaves no run behind
 * and the run's config holds the canonical ends. */
#include <stdio.h>
#include <string.h>

#include "chemvae/app/app_interpolate.h"
#include "cli.h"
#include "latent_cli.h"
#include "options.h"

typedef struct {
    const char *model, *from, *to, *db_path;
    long steps, decodes, seed, threads, parent, beam;
    int rescue;
    double temperature;
    int slerp, json, no_db, constrain;
} InterpArgs;

/* --method linear | slerp, an int slerp flag */
static CvStatus parse_method(const char *opt, const char *arg, void *field, CvError *err) {
    int slerp = !strcmp(arg, "slerp");
    if (!slerp && strcmp(arg, "linear")) {
        cv_error_set(err, CV_ERR_INVALID, "%s must be linear or slerp, got '%s'", opt, arg);
        return CV_ERR_INVALID;
    }
    *(int *)field = slerp;
    return CV_OK;
}
static void method_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const int *)field ? "slerp" : "linear");
}
static const CvParamType METHOD = {1, "SHAPE", parse_method, method_json};

#define F(field) offsetof(InterpArgs, field)
static const CvParam OPTS[] = {
    CV_PARAM("from", 0, CV_PARAM_STRING, F(from), "SMILES", "the first end molecule"),
    CV_PARAM("to", 0, CV_PARAM_STRING, F(to), "SMILES", "the last end molecule"),
    CV_PARAM("method", 0, METHOD, F(slerp), NULL, "linear or slerp (default): the path's shape"),
    CV_PARAM("steps", 0, CV_PARAM_LONG, F(steps), "N", "N intervals, N + 1 points (default 10)"),
    CV_PARAM("decodes", 0, CV_PARAM_LONG, F(decodes), "K",
             "decodes per point: greedy + K-1 sampled (default 1)"),
    CV_PARAM("temperature", 0, CV_PARAM_TEMPERATURE, F(temperature), "X",
             "temperature of the sampled decodes (default 0.5)"),
    CV_PARAM("constrain", 0, CV_PARAM_CONSTRAIN, F(constrain), "MODE", CLI_CONSTRAIN_TEXT),
    CV_PARAM("beam", 0, CV_PARAM_LONG, F(beam), "K",
             "the greedy decode of each point as a beam of K"),
    CV_PARAM("rescue", 0, CV_PARAM_RESCUE, F(rescue), "K", CLI_RESCUE_TEXT),
    CV_PARAM("model", 0, CV_PARAM_STRING, F(model), "FILE", CLI_MODEL_HELP,
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("seed", 0, CV_PARAM_LONG, F(seed), "N", "seed of the sampled decodes (default 1)",
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
    .name = "interpolate",
    .synopsis = "--from SMILES --to SMILES [options]\n       chemvae interpolate [options] FROM TO",
    .tables = {{&OPTS_TABLE, 0}},
    .epilog =
        "stdout: step,t,distance,smiles,count,sim_from,sim_to,mw,logp,qed,sa,penalized_logp\n",
    .max_operands = -1};

static int parse_args(int argc, char **argv, InterpArgs *a) {
    const CvInterpolateConfig d = CV_INTERPOLATE_DEFAULTS;
    *a = (InterpArgs){.model = cli_default_model(),
                      .db_path = CLI_DEFAULT_DB,
                      .steps = (long)d.steps,
                      .decodes = (long)d.decodes,
                      .seed = (long)d.seed,
                      .beam = d.beam,
                      .rescue = d.rescue,
                      .temperature = d.temperature,
                      .slerp = d.slerp,
                      .constrain = CV_DEFAULT_CONSTRAIN};
    int i, rc = cli_options_parse(&COMMAND, argc, argv, a, &i);
    if (rc) return rc;
    const char *cmd = COMMAND.name;
    if (!a->from && !a->to && argc - i == 2) { /* chemvae interpolate FROM TO */
        a->from = argv[i++];
        a->to = argv[i++];
    }
    if (i < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
    if (!a->from || !a->to)
        return cli_usage_error(cmd, "--from and --to (or two SMILES arguments) are required");
    if (a->steps < 1 || a->decodes < 1)
        return cli_usage_error(cmd, "--steps and --decodes must be >= 1");
    if (a->steps > CV_INTERPOLATE_MAX_STEPS || a->decodes > CV_INTERPOLATE_MAX_DECODES)
        return cli_usage_error(cmd, "--steps is at most %d and --decodes at most %d",
                               CV_INTERPOLATE_MAX_STEPS, CV_INTERPOLATE_MAX_DECODES);
    return CLI_OK;
}

static void print_path(const InterpArgs *a, const CvInterpolateResult *r) {
    size_t K = (size_t)a->decodes;
    if (a->json) printf("[");
    else printf("step,t,distance,smiles,count,sim_from,sim_to,mw,logp,qed,sa,penalized_logp\n");
    for (size_t u = 0; u < r->uniq.n; u++) {
        const LatentUniqEntry *e = &r->uniq.items[u];
        size_t i = e->first / K;
        double t = (double)i / (double)a->steps, sa = r->sim_from[u], sb = r->sim_to[u];
        if (a->json) {
            printf("%s\n{\"step\": %zu, \"t\": %.4f, \"distance\": %.4f, \"smiles\": ",
                   u ? "," : "", i, t, r->distance[i]);
            cli_print_json_string(stdout, e->smiles);
            printf(", \"count\": %zu, \"sim_from\": %.4f, \"sim_to\": %.4f", e->count, sa, sb);
            cli_print_scores(stdout, &e->scores, 1);
            printf("}");
        } else {
            printf("%zu,%.4f,%.4f,%s,%zu,%.4f,%.4f", i, t, r->distance[i], e->smiles, e->count, sa,
                   sb);
            cli_print_scores(stdout, &e->scores, 0);
            printf("\n");
        }
    }
    if (a->json) printf("\n]\n");
    fflush(stdout);
}

static void print_summary(const InterpArgs *a, const CvInterpolateResult *r, const CvHooks *h) {
    fprintf(stderr,
            "chemvae %s: %s path of %zu points (latent length %.4f), %zu decodes, %zu valid, "
            "%zu distinct",
            COMMAND.name, a->slerp ? "slerp" : "linear", r->n_points, r->distance[r->n_points - 1],
            r->n_decodes, r->n_valid, r->uniq.n);
    if (h->db) fprintf(stderr, "; run %lld in %s", (long long)h->run_id, a->db_path);
    fprintf(stderr, "\n");
}

int cmd_interpolate(int argc, char **argv) {
    InterpArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    cli_set_threads((int)a.threads);
    cv_chem_log_rdkit(0);
    CvError err = {0};
    CvModel m;
    CvHooks h;
    CliWatch watch;
    cli_hooks_init(&h, &watch, COMMAND.name);
    CvInterpolateResult res = {0};
    const CvInterpolateConfig cfg = {.from = a.from,
                                     .to = a.to,
                                     .slerp = a.slerp,
                                     .steps = (size_t)a.steps,
                                     .decodes = (size_t)a.decodes,
                                     .temperature = a.temperature,
                                     .seed = (uint64_t)a.seed,
                                     .beam = (int)a.beam,
                                     .rescue = (int)a.rescue};
    CvStatus st = cv_model_load(&m, a.model, 256, &err);
    if (!st) st = cv_model_set_constrain(&m, a.constrain, &err);
    if (!st) st = cv_interpolate_prepare(&m, &cfg, &res, &err);
    a.from = res.from, a.to = res.to; /* the run stores the canonical ends */
    if (!st)
        st = cli_begin_run(&COMMAND, &a, a.no_db, a.db_path, COMMAND.name, &m, a.seed, a.parent, &h,
                           &err);
    if (!st) st = cv_interpolate(&m, &cfg, &h, &res, &err);
    cli_watch_finish(&watch);
    if (!st && !res.interrupted) {
        print_path(&a, &res);
        print_summary(&a, &res, &h);
    } else if (!st) {
        fprintf(stderr, "chemvae %s: interrupted\n", COMMAND.name);
    }
    rc = st ? cli_report(COMMAND.name, &err) : res.interrupted ? 128 + res.interrupted : CLI_OK;
    cv_interpolate_result_free(&res);
    cv_store_close(h.db);
    cv_model_free(&m);
    return rc;
}
