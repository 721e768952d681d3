/* cmd_optimize.c — `chemvae optimize`: gradient ascent on the property head in latent
 * space (latent_optimize) from encoded start molecules (--start, --starts FILE,
 * --from-data X.cvds --top N) and/or random z (--random N), for an objective parsed from
 * text (latent_objective_parse: "plogp", "qed", "5*qed-sa", ...; --minimize flips it).
 *
 * Every decoded molecule along every path goes to `generations` (method "optimize",
 * step, source = the canonical start SMILES or "random", z, predicted JSON with the head's
 * objective value, Tanimoto similarity to the start), one transaction per decode point.
 * stdout: one row per start (start score, best score, improvement, similarity, success,
 * as in the JT-VAE constrained-optimization protocol when --constrained DELTA is given);
 * stderr: the summary (mean improvement, best found, success rate), also stored as
 * eval_metrics of the run. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/dataset.h"
#include "chemvae/latent_optimize.h"
#include "chemvae/progress.h"
#include "chemvae/store.h"
#include "cli.h"
#include "latent_cli.h"
#include "model_io.h"

enum { MAX_START_ARGS = 256 };

static void usage(FILE *out) {
    fprintf(
        out,
        "usage: chemvae optimize [options] (--start SMILES | --starts FILE | --from-data X.cvds | "
        "--random N)\n"
        "\n"
        "objective:\n"
        "  --objective EXPR      plogp (default), logp, qed, sa, mw, or a linear mix: '5*qed-sa', "
        "'logp-sa'\n"
        "  --minimize            minimize instead of maximize\n"
        "starts (combinable):\n"
        "  --start SMILES        a start molecule (repeatable)\n"
        "  --starts FILE         CSV with a smiles column (e.g. datasets/zinc_opt_starts200.csv)\n"
        "  --limit N             use the first N molecules of --starts\n"
        "  --from-data X.cvds    the best train-split molecules of a dataset by the objective\n"
        "  --top N               how many of them (default 10)\n"
        "  --random N            N starts z ~ N(0, I)\n"
        "ascent:\n"
        "  --steps N             gradient steps (default 100)\n"
        "  --lr X                step length in latent units (default 0.3)\n"
        "  --prior X             lambda of the lambda/2*|z|^2 penalty (default 0.01)\n"
        "  --trust-radius R      stay within R of the start z (default 0: off)\n"
        "  --decode-every K      decode every K steps (default 5)\n"
        "  --decodes K           decodes per z at each decode point: greedy + K-1 sampled (default "
        "8)\n"
        "  --temperature X       temperature of the sampled decodes (default 0.7)\n"
        "  --constrained DELTA   only molecules with Tanimoto >= DELTA to the start "
        "count\n" CLI_CONSTRAIN_HELP "  --beam K              the greedy decode at each decode "
        "point as a beam of K\n" CLI_RESCUE_HELP "other:\n"
        "  --model FILE          checkpoint (default results/models/model.cvae if it\n"
        "                        exists, else the shipped results/models/zinc24k-small.cvae)\n"
        "  --seed N              seed (default 1)\n"
        "  --json                JSON instead of CSV\n"
        "  --threads N           OpenBLAS threads\n"
        "  --db FILE             results DB (default " CLI_DEFAULT_DB "); --no-db to skip\n"
        "  --parent-run N        record under run N\n"
        "\n"
        "stdout: "
        "start,start_smiles,start_score,best_smiles,best_score,improvement,similarity,success,\n"
        "        best_step,head_start,head_end,decoded,valid\n");
}

typedef struct {
    const char *model, *objective, *starts_file, *data, *db_path;
    const char *start[MAX_START_ARGS];
    size_t n_start;
    long limit, top, random, steps, decode_every, decodes, seed, threads, parent, beam, rescue;
    double lr, prior, trust, temperature, delta;
    int minimize, json, no_db, constrain;
} OptArgs;

static int parse_args(int argc, char **argv, OptArgs *a) {
    const char *cmd = "optimize";
    enum {
        O_MODEL = 256,
        O_OBJ,
        O_MIN,
        O_START,
        O_STARTS,
        O_LIMIT,
        O_DATA,
        O_TOP,
        O_RANDOM,
        O_STEPS,
        O_LR,
        O_PRIOR,
        O_TRUST,
        O_EVERY,
        O_DECODES,
        O_TEMP,
        O_CONSTR,
        O_SEED,
        O_JSON,
        O_THREADS,
        O_DB,
        O_NODB,
        O_PARENT,
        O_CONSTRAIN,
        O_BEAM,
        O_RESCUE
    };
    static const struct option opts[] = {{"model", required_argument, 0, O_MODEL},
                                         {"objective", required_argument, 0, O_OBJ},
                                         {"constrain", required_argument, 0, O_CONSTRAIN},
                                         {"beam", required_argument, 0, O_BEAM},
                                         {"rescue", required_argument, 0, O_RESCUE},
                                         {"minimize", no_argument, 0, O_MIN},
                                         {"start", required_argument, 0, O_START},
                                         {"starts", required_argument, 0, O_STARTS},
                                         {"limit", required_argument, 0, O_LIMIT},
                                         {"from-data", required_argument, 0, O_DATA},
                                         {"top", required_argument, 0, O_TOP},
                                         {"random", required_argument, 0, O_RANDOM},
                                         {"steps", required_argument, 0, O_STEPS},
                                         {"lr", required_argument, 0, O_LR},
                                         {"prior", required_argument, 0, O_PRIOR},
                                         {"trust-radius", required_argument, 0, O_TRUST},
                                         {"decode-every", required_argument, 0, O_EVERY},
                                         {"decodes", required_argument, 0, O_DECODES},
                                         {"temperature", required_argument, 0, O_TEMP},
                                         {"constrained", required_argument, 0, O_CONSTR},
                                         {"seed", required_argument, 0, O_SEED},
                                         {"json", no_argument, 0, O_JSON},
                                         {"threads", required_argument, 0, O_THREADS},
                                         {"db", required_argument, 0, O_DB},
                                         {"no-db", no_argument, 0, O_NODB},
                                         {"parent-run", required_argument, 0, O_PARENT},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    LatentOptConfig d;
    latent_opt_config_default(&d);
    *a = (OptArgs){.model = cli_default_model(),
                   .objective = "plogp",
                   .db_path = CLI_DEFAULT_DB,
                   .top = 10,
                   .steps = (long)d.steps,
                   .decode_every = (long)d.decode_every,
                   .decodes = (long)d.decode.attempts,
                   .seed = 1,
                   .lr = d.lr,
                   .prior = d.prior,
                   .temperature = d.decode.retry_temperature,
                   .delta = -1.0,
                   .constrain = CV_DEFAULT_CONSTRAIN,
                   .beam = 1,
                   .rescue = CV_DEFAULT_RESCUE};
    optind = 1;
    int c;
#define LONGARG(o, name, dst)                                                                      \
    case o:                                                                                        \
        if (cli_parse_long(cmd, name, optarg, &(dst))) return CLI_USAGE;                           \
        break;
#define REALARG(o, name, dst)                                                                      \
    case o:                                                                                        \
        if (cli_parse_double(cmd, name, optarg, &(dst))) return CLI_USAGE;                         \
        break;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_MODEL:
            a->model = optarg;
            break;
        case O_OBJ:
            a->objective = optarg;
            break;
        case O_MIN:
            a->minimize = 1;
            break;
        case O_START:
            if (a->n_start == MAX_START_ARGS)
                return cli_usage_error(cmd, "more than %d --start; use --starts FILE",
                                       MAX_START_ARGS);
            a->start[a->n_start++] = optarg;
            break;
        case O_STARTS:
            a->starts_file = optarg;
            break;
        case O_DATA:
            a->data = optarg;
            break;
            LONGARG(O_LIMIT, "--limit", a->limit)
            LONGARG(O_TOP, "--top", a->top)
            LONGARG(O_RANDOM, "--random", a->random)
            LONGARG(O_STEPS, "--steps", a->steps)
            LONGARG(O_EVERY, "--decode-every", a->decode_every)
            LONGARG(O_DECODES, "--decodes", a->decodes)
            LONGARG(O_SEED, "--seed", a->seed)
            LONGARG(O_THREADS, "--threads", a->threads)
            LONGARG(O_PARENT, "--parent-run", a->parent)
            LONGARG(O_BEAM, "--beam", a->beam)
        case O_RESCUE:
            if (cli_parse_rescue(cmd, optarg, &a->rescue)) return CLI_USAGE;
            break;
            REALARG(O_LR, "--lr", a->lr)
            REALARG(O_PRIOR, "--prior", a->prior)
            REALARG(O_TRUST, "--trust-radius", a->trust)
        case O_TEMP:
            if (cli_parse_temperature(cmd, "--temperature", optarg, &a->temperature))
                return CLI_USAGE;
            break;
            REALARG(O_CONSTR, "--constrained", a->delta)
        case O_JSON:
            a->json = 1;
            break;
        case O_CONSTRAIN:
            if (cli_parse_constrain(cmd, optarg, &a->constrain)) return CLI_USAGE;
            break;
        case O_DB:
            a->db_path = optarg;
            break;
        case O_NODB:
            a->no_db = 1;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
#undef LONGARG
#undef REALARG
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a->n_start && !a->starts_file && !a->data && !a->random)
        return cli_usage_error(cmd, "no starts: give --start, --starts, --from-data or --random");
    if (!(a->lr > 0)) return cli_usage_error(cmd, "--lr must be positive");
    if (!(a->prior >= 0)) return cli_usage_error(cmd, "--prior must be >= 0");
    if (!(a->trust >= 0)) return cli_usage_error(cmd, "--trust-radius must be >= 0");
    if (a->decode_every < 1 || a->decodes < 1)
        return cli_usage_error(cmd, "--decode-every and --decodes must be >= 1");
    if (a->delta != -1.0 && !(a->delta >= 0 && a->delta <= 1))
        return cli_usage_error(cmd, "--constrained must be in [0, 1]");
    if (a->data && a->top < 1) return cli_usage_error(cmd, "--top must be >= 1");
    return CLI_OK;
}

/* The start set: canonical SMILES (NULL for random starts) and their z0. */
typedef struct {
    char **smiles; /* (n) owned, NULL entries for random starts */
    float *z;      /* (n, Z) */
    size_t n, cap, Z;
} Starts;

static CvStatus starts_push(Starts *s, char *smiles, const float *z, CvError *err) {
    if (s->n == s->cap) {
        size_t ncap = s->cap ? 2 * s->cap : 32;
        char **ns = realloc(s->smiles, ncap * sizeof *ns);
        if (ns) s->smiles = ns;
        float *nz = ns ? realloc(s->z, ncap * s->Z * sizeof *nz) : NULL;
        if (!nz) {
            free(smiles);
            return cv_error_set(err, CV_ERR_NOMEM, "out of memory for %zu starts", ncap);
        }
        s->z = nz;
        s->cap = ncap;
    }
    s->smiles[s->n] = smiles;
    memcpy(s->z + s->n * s->Z, z, s->Z * sizeof *z);
    s->n++;
    return CV_OK;
}

static void starts_free(Starts *s) {
    cv_free_strings(s->smiles, s->n);
    free(s->z);
}

/* Encodes `smiles` and adds it; with `skip`, a molecule the model cannot encode is reported
 * on stderr and skipped instead of failing. */
static CvStatus add_smiles(CvModel *m, Starts *s, const char *smiles, int skip, float *mu,
                           CvError *err) {
    char *canon = NULL;
    CvStatus st = latent_encode_smiles(&m->vae, &m->vocab, smiles, mu, &canon, err);
    if (st && skip) {
        fprintf(stderr, "chemvae optimize: skipping start: %s\n", err->msg);
        cv_error_clear(err);
        return CV_OK;
    }
    return st ? st : starts_push(s, canon, mu, err);
}

typedef struct {
    double score;
    size_t row;
} Ranked;

static int ranked_desc(const void *x, const void *y) {
    double a = ((const Ranked *)x)->score, b = ((const Ranked *)y)->score;
    return (a < b) - (a > b);
}

/* The `top` train-split molecules of `path` by the TRUE objective. The dataset's property
 * columns (raw units) preselect 5·top candidates when they cover the objective (plogp as
 * logP − SA); otherwise every train molecule is scored with RDKit. */
static CvStatus add_top_of_data(CvModel *m, Starts *s, const char *path, size_t top,
                                const LatentObjective *obj, float *mu, CvError *err) {
    CvDataset ds = {0};
    uint32_t *idx = NULL;
    Ranked *rk = NULL;
    size_t n = 0;
    CvStatus st = dataset_load(&ds, path, err);
    if (!st) st = dataset_split_indices(&ds, CV_SPLIT_TRAIN, &idx, &n, err);
    if (!st && !n) st = cv_error_set(err, CV_ERR_EMPTY, "%s: no train molecules", path);
    if (st) goto done;
    if (!(rk = malloc(n * sizeof *rk))) {
        st = cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    double wz[CKPT_MAX_PROPS] = {0}, off = 0, one[CKPT_MAX_PROPS], zero[CKPT_MAX_PROPS] = {0};
    for (size_t p = 0; p < CKPT_MAX_PROPS; p++) one[p] = 1.0;
    size_t P = ds.P < CKPT_MAX_PROPS ? ds.P : CKPT_MAX_PROPS, cand = n;
    if (!latent_objective_bind(obj, P, ds.prop_names, zero, one, wz, &off, NULL)) {
        for (size_t i = 0; i < n; i++) {
            double v = off;
            for (size_t p = 0; p < P; p++) v += wz[p] * (double)ds.props[(size_t)idx[i] * ds.P + p];
            rk[i] = (Ranked){v, idx[i]};
        }
        qsort(rk, n, sizeof *rk, ranked_desc);
        cand = 5 * top < n ? 5 * top : n;
    } else {
        for (size_t i = 0; i < n; i++) rk[i] = (Ranked){0, idx[i]};
    }
    for (size_t i = 0; i < cand; i++) {
        ChemScores sc;
        rk[i].score = chem_score_smiles(dataset_smiles(&ds, rk[i].row), &sc, NULL)
                          ? latent_objective_true(obj, &sc)
                          : -INFINITY;
    }
    qsort(rk, cand, sizeof *rk, ranked_desc);
    for (size_t i = 0; i < cand && i < top && !st; i++)
        st = add_smiles(m, s, dataset_smiles(&ds, rk[i].row), 1, mu, err);
done:
    free(rk);
    free(idx);
    dataset_free(&ds);
    return st;
}

typedef struct {
    CvModel *m;
    Store *db;
    int64_t run_id;
    char **sources;  /* (S) */
    char *pred;      /* (S · cv_model_predicted_stride) */
    CvProgress prog; /* over steps */
} SinkCtx;

static CvStatus store_sink(void *ctx, size_t step, size_t S, size_t K, const float *z,
                           const double *head, const float *pred, const LatentMol *mols,
                           const double *sim, CvError *err) {
    (void)pred;
    SinkCtx *c = ctx;
    if (cli_interrupted())
        return cv_error_set(err, CV_ERR_INTERRUPTED,
                            "interrupted at step %zu (every decode so far is stored)", step);
    double mean = 0;
    for (size_t s = 0; s < S; s++) mean += head[s] / (double)S;
    char suffix[64];
    snprintf(suffix, sizeof suffix, "head %.3f", mean);
    cv_progress_update(&c->prog, step, suffix);
    if (!c->db) return CV_OK;
    cv_model_predicted_json(c->m, z, S, head, c->pred);
    int64_t *steps = malloc(S * sizeof *steps);
    if (!steps) return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    for (size_t s = 0; s < S; s++) steps[s] = (int64_t)step;
    CvGenBatch b = {.method = "optimize",
                    .N = S,
                    .K = K,
                    .Z = (size_t)c->m->vae.cfg.Z,
                    .z = z,
                    .step = steps,
                    .sources = (const char *const *)c->sources,
                    .predicted = c->pred,
                    .pred_stride = cv_model_predicted_stride(c->m),
                    .sim = sim};
    CvStatus st = cv_store_generations(c->db, c->run_id, &b, mols, err);
    free(steps);
    return st;
}

static void print_num(double v, int json) {
    if (isfinite(v)) printf("%.4f", v);
    else if (json) printf("null");
}

static void print_results(const Starts *s, const LatentOptResult *res, int json) {
    if (json) printf("[");
    else
        printf("start,start_smiles,start_score,best_smiles,best_score,improvement,similarity,"
               "success,best_step,head_start,head_end,decoded,valid\n");
    for (size_t i = 0; i < s->n; i++) {
        const LatentOptResult *r = &res[i];
        const char *ss = s->smiles[i] ? s->smiles[i] : "";
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
                   r->success ? "true" : "false", r->best_step, r->head_start, r->head_end,
                   r->decoded, r->valid);
        } else {
            printf("%zu,%s,", i, ss);
            print_num(r->start_score, 0);
            printf(",%s,", bs);
            print_num(r->best_score, 0);
            printf(",%.4f,", r->improvement);
            print_num(r->best_sim, 0);
            printf(",%d,%zu,%.4f,%.4f,%zu,%zu\n", r->success, r->best_step, r->head_start,
                   r->head_end, r->decoded, r->valid);
        }
    }
    if (json) printf("\n]\n");
}

int cmd_optimize(int argc, char **argv) {
    const char *cmd = "optimize";
    OptArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    cli_set_threads((int)a.threads);
    chem_log_rdkit(0);
    CvError err = {0};
    LatentObjective obj;
    if (latent_objective_parse(a.objective, &obj, &err)) return cli_usage_error(cmd, "%s", err.msg);
    if (a.minimize) latent_objective_negate(&obj);
    CvModel m;
    Store *db = NULL;
    int64_t run_id = 0;
    Starts s = {0};
    LatentOptResult *res = NULL;
    char **file_smiles = NULL, **sources = NULL, *pred = NULL;
    size_t n_file = 0;
    float *mu = NULL;
    double wz[CKPT_MAX_PROPS], off;
    rc = CLI_ERROR;
    if (cv_model_load(&m, a.model, 256, &err)) goto fail;
    if (cv_model_set_constrain(&m, a.constrain, &err)) goto fail;
    const char *names[CKPT_MAX_PROPS];
    for (int p = 0; p < m.meta.P; p++) names[p] = m.meta.prop_names[p];
    if (latent_objective_bind(&obj, (size_t)m.meta.P, names, m.meta.prop_mean, m.meta.prop_std, wz,
                              &off, &err))
        goto fail;
    s.Z = (size_t)m.vae.cfg.Z;
    if (!(mu = malloc(s.Z * sizeof *mu))) {
        cv_error_set(&err, CV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < a.n_start; i++)
        if (add_smiles(&m, &s, a.start[i], 0, mu, &err)) goto fail;
    if (a.starts_file) {
        if (cv_read_smiles_csv(a.starts_file, (size_t)a.limit, &file_smiles, &n_file, &err))
            goto fail;
        for (size_t i = 0; i < n_file; i++)
            if (add_smiles(&m, &s, file_smiles[i], 1, mu, &err)) goto fail;
    }
    if (a.data && add_top_of_data(&m, &s, a.data, (size_t)a.top, &obj, mu, &err)) goto fail;
    CvRng rng;
    cv_rng_init(&rng, (uint64_t)a.seed);
    for (long i = 0; i < a.random; i++) {
        latent_sample_prior(&rng, mu, 1, s.Z);
        if (starts_push(&s, NULL, mu, &err)) goto fail;
    }
    if (!s.n) {
        cv_error_set(&err, CV_ERR_EMPTY, "no usable start molecule");
        goto fail;
    }
    LatentOptConfig oc;
    latent_opt_config_default(&oc);
    oc.steps = (size_t)a.steps;
    oc.lr = a.lr;
    oc.prior = a.prior;
    oc.trust_radius = a.trust;
    oc.decode_every = (size_t)a.decode_every;
    oc.decode = (LatentDecodeOpts){(size_t)a.decodes, 0.0f, (float)a.temperature, (int)a.beam,
                                   (int)a.rescue};
    oc.delta = a.delta;
    if (!a.no_db) {
        CvJson cfg = {0};
        cv_json_begin_object(&cfg);
        cv_json_kv_string(&cfg, "objective", obj.text);
        cv_json_kv_int(&cfg, "steps", (int64_t)oc.steps);
        cv_json_kv_double(&cfg, "lr", oc.lr);
        cv_json_kv_double(&cfg, "prior", oc.prior);
        cv_json_kv_double(&cfg, "trust_radius", oc.trust_radius);
        cv_json_kv_int(&cfg, "decode_every", (int64_t)oc.decode_every);
        cv_json_kv_int(&cfg, "decodes", (int64_t)oc.decode.attempts);
        cv_json_kv_double(&cfg, "temperature", (double)oc.decode.retry_temperature);
        cv_json_kv_double(&cfg, "constrained", oc.delta);
        cv_json_kv_int(&cfg, "starts", (int64_t)s.n);
        cv_json_kv_int(&cfg, "random", a.random);
        cv_json_kv_int(&cfg, "top", a.data ? a.top : 0L);
        cv_json_kv_string(&cfg, "starts_file", a.starts_file ? a.starts_file : "");
        cv_json_kv_int(&cfg, "limit", a.limit);
        cv_json_kv_string(&cfg, "from_data", a.data ? a.data : "");
        cv_json_kv_string(&cfg, "constrain", smiles_constrain_name(a.constrain));
        cv_json_kv_int(&cfg, "beam", a.beam);
        cv_json_kv_int(&cfg, "rescue", a.rescue);
        cv_json_end_object(&cfg);
        if (cv_run_begin(a.db_path, "optimize", &cfg, m.path, m.hash, a.seed, a.parent, &db,
                         &run_id, &err))
            goto fail;
    }
    res = calloc(s.n, sizeof *res);
    sources = calloc(s.n, sizeof *sources);
    pred = malloc(s.n * cv_model_predicted_stride(&m));
    if (!res || !sources || !pred) {
        cv_error_set(&err, CV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < s.n; i++) sources[i] = s.smiles[i] ? s.smiles[i] : "random";
    SinkCtx ctx = {&m, db, run_id, sources, pred, {{0}, 0, 0, 0, 0, 0}};
    cv_progress_start(&ctx.prog, "optimize", oc.steps);
    cli_catch_interrupts();
    if (latent_optimize(&m.vae, &m.vocab, &obj, wz, off, &oc, s.z, (const char *const *)s.smiles,
                        s.n, &rng, store_sink, &ctx, res, NULL, &err))
        goto fail;
    cv_progress_finish(&ctx.prog, NULL);
    print_results(&s, res, a.json);
    fflush(stdout);
    size_t n_mol = 0, n_succ = 0, decoded = 0, valid = 0, ibest = SIZE_MAX;
    double sum_imp = 0, sum_imp2 = 0;
    for (size_t i = 0; i < s.n; i++) {
        decoded += res[i].decoded;
        valid += res[i].valid;
        if (!isnan(res[i].best_any_score) &&
            (ibest == SIZE_MAX || res[i].best_any_score > res[ibest].best_any_score))
            ibest = i;
        if (!s.smiles[i]) continue;
        n_mol++;
        n_succ += (size_t)res[i].success;
        sum_imp += res[i].improvement;
        sum_imp2 += res[i].improvement * res[i].improvement;
    }
    double mean_imp = n_mol ? sum_imp / (double)n_mol : NAN;
    double sd_imp = n_mol ? sqrt(fmax(0.0, sum_imp2 / (double)n_mol - mean_imp * mean_imp)) : NAN;
    double best = ibest != SIZE_MAX ? res[ibest].best_any_score : NAN;
    fprintf(stderr,
            "chemvae optimize: objective %s, %zu starts, %zu steps: %zu decodes, %zu valid "
            "(%.1f%%); best found %.4f (%s)",
            obj.text, s.n, oc.steps, decoded, valid,
            decoded ? 100.0 * (double)valid / (double)decoded : 0.0, best,
            ibest != SIZE_MAX ? res[ibest].best_any_smiles : "-");
    if (n_mol) {
        fprintf(stderr,
                "; %zu start molecules: mean improvement %.4f +- %.4f, success %zu/%zu (%.1f%%)",
                n_mol, mean_imp, sd_imp, n_succ, n_mol, 100.0 * (double)n_succ / (double)n_mol);
        if (a.delta >= 0) fprintf(stderr, " at similarity >= %g", a.delta);
    }
    if (db) fprintf(stderr, "; run %lld in %s", (long long)run_id, a.db_path);
    fprintf(stderr, "\n");
    if (db) {
        const CvMetric mt[] = {{"decodes", (double)decoded},
                               {"valid", (double)valid},
                               {"best_found", best},
                               {"mean_improvement", mean_imp},
                               {"sd_improvement", sd_imp},
                               {"success_rate", n_mol ? (double)n_succ / (double)n_mol : NAN},
                               {"starts", (double)s.n}};
        if (cli_finish_run(db, run_id, mt, sizeof mt / sizeof mt[0], &err)) goto fail;
    }
    rc = CLI_OK;
    goto done;
fail:
    if (db && run_id)
        store_run_finish(db, run_id,
                         err.code == CV_ERR_INTERRUPTED ? STORE_RUN_INTERRUPTED : STORE_RUN_FAILED,
                         NULL);
    rc = cli_report(cmd, &err);
    if (err.code == CV_ERR_INTERRUPTED) rc = 128 + cli_interrupted();
done:
    if (res)
        for (size_t i = 0; i < s.n; i++) latent_opt_result_free(&res[i]);
    free(res);
    free(sources);
    free(pred);
    free(mu);
    cv_free_strings(file_smiles, n_file);
    starts_free(&s);
    store_close(db);
    cv_model_free(&m);
    return rc;
}
