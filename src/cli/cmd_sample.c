/* cmd_sample.c — `chemvae sample`: N latent vectors from the prior N(0, I) or around an
 * encoded molecule (mu + radius·N(0, I)), K decodes each (latent_decode), every decode
 * validated and scored by RDKit. Prints the distinct valid molecules (CSV or JSON, in
 * order of first appearance, with counts and true scores) on stdout and a summary
 * (valid %, unique, novel vs a dataset's train split) on stderr.
 *
 * Recording: a runs row (kind "sample", the full configuration as JSON, model path + hash,
 * seed), EVERY decode in `generations` (method "sample", step = index of its latent
 * vector, source "prior" or the canonical --around SMILES, z, the head's predictions,
 * similarity to the --around molecule) and each distinct valid molecule in `molecules`;
 * eval_metrics of the run hold the printed counts. Vectors are processed in chunks of
 * CHUNK, one transaction each, so memory stays bounded and a killed run keeps whole
 * chunks. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/dataset.h"
#include "chemvae/evaluate.h"
#include "chemvae/latent.h"
#include "chemvae/progress.h"
#include "chemvae/store.h"
#include "cli.h"
#include "latent_cli.h"
#include "model_io.h"

enum { CHUNK = 256 };

static void usage(FILE *out) {
    fprintf(
        out,
        "usage: chemvae sample [options]\n"
        "\n"
        "  --model FILE          checkpoint (default results/models/model.cvae if it\n"
        "                        exists, else the shipped results/models/zinc24k-small.cvae)\n"
        "  -n N                  latent vectors to draw (default 100)\n"
        "  --around SMILES       draw around this molecule's mu instead of N(0, I)\n"
        "  --radius R            noise scale around the molecule (default 1)\n"
        "  --attempts K          decodes per latent vector (default 1)\n"
        "  --temperature X       first decode: 0 = greedy (default), > 0 samples "
        "softmax(logits/X)\n"
        "  --retry-temperature X decodes 2..K (default 1)\n"
        "  --seed N              seed (default 1)\n" CLI_CONSTRAIN_HELP
        "  --beam K              the first (greedy) decode of each vector as a beam search of\n"
        "                        K hypotheses (default 1)\n" CLI_RESCUE_HELP
        "  --data FILE.cvds      count molecules not in its train split as novel\n"
        "  --json                JSON instead of CSV\n"
        "  --batch B             decoding batch (default 256)\n"
        "  --threads N           OpenBLAS threads\n"
        "  --db FILE             results DB (default " CLI_DEFAULT_DB "); --no-db to skip\n"
        "  --parent-run N        record under run N\n"
        "\n"
        "stdout: smiles,count,first_index,mw,logp,qed,sa,penalized_logp[,similarity][,novel]\n");
}

typedef struct {
    const char *model, *around, *data, *db_path;
    long n, attempts, seed, batch, threads, parent, beam, rescue;
    double radius, temperature, retry_temperature;
    int json, no_db, constrain;
} SampleArgs;

/* The run's stored config (owned by j). */
static void config_json(const SampleArgs *a, const char *canon_around, CvJson *j) {
    cv_json_begin_object(j);
    cv_json_kv_int(j, "n", a->n);
    cv_json_kv_int(j, "attempts", a->attempts);
    cv_json_kv_double(j, "temperature", a->temperature);
    cv_json_kv_double(j, "retry_temperature", a->retry_temperature);
    cv_json_kv_int(j, "seed", a->seed);
    cv_json_kv_string(j, "around", canon_around);
    cv_json_kv_double(j, "radius", a->radius);
    cv_json_kv_string(j, "data", a->data);
    cv_json_kv_int(j, "batch", a->batch);
    cv_json_kv_string(j, "constrain", smiles_constrain_name(a->constrain));
    cv_json_kv_int(j, "beam", a->beam);
    cv_json_kv_int(j, "rescue", a->rescue);
    cv_json_end_object(j);
}

static int parse_args(int argc, char **argv, SampleArgs *a) {
    const char *cmd = "sample";
    enum {
        O_MODEL = 256,
        O_AROUND,
        O_RADIUS,
        O_ATTEMPTS,
        O_TEMP,
        O_RETRY,
        O_SEED,
        O_DATA,
        O_JSON,
        O_BATCH,
        O_THREADS,
        O_DB,
        O_NODB,
        O_PARENT,
        O_CONSTRAIN,
        O_BEAM,
        O_RESCUE
    };
    static const struct option opts[] = {{"model", required_argument, 0, O_MODEL},
                                         {"around", required_argument, 0, O_AROUND},
                                         {"radius", required_argument, 0, O_RADIUS},
                                         {"attempts", required_argument, 0, O_ATTEMPTS},
                                         {"temperature", required_argument, 0, O_TEMP},
                                         {"retry-temperature", required_argument, 0, O_RETRY},
                                         {"seed", required_argument, 0, O_SEED},
                                         {"data", required_argument, 0, O_DATA},
                                         {"json", no_argument, 0, O_JSON},
                                         {"batch", required_argument, 0, O_BATCH},
                                         {"threads", required_argument, 0, O_THREADS},
                                         {"db", required_argument, 0, O_DB},
                                         {"no-db", no_argument, 0, O_NODB},
                                         {"parent-run", required_argument, 0, O_PARENT},
                                         {"constrain", required_argument, 0, O_CONSTRAIN},
                                         {"beam", required_argument, 0, O_BEAM},
                                         {"rescue", required_argument, 0, O_RESCUE},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    *a = (SampleArgs){.rescue = CLI_DEFAULT_RESCUE,
                      .constrain = CLI_DEFAULT_CONSTRAIN,
                      .beam = 1,
                      .model = cli_default_model(),
                      .db_path = CLI_DEFAULT_DB,
                      .n = 100,
                      .attempts = 1,
                      .seed = 1,
                      .batch = 256,
                      .radius = 1.0,
                      .retry_temperature = 1.0};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (cli_parse_long(cmd, "-n", optarg, &a->n)) return CLI_USAGE;
            break;
        case O_MODEL:
            a->model = optarg;
            break;
        case O_AROUND:
            a->around = optarg;
            break;
        case O_RADIUS:
            if (cli_parse_double(cmd, "--radius", optarg, &a->radius)) return CLI_USAGE;
            break;
        case O_ATTEMPTS:
            if (cli_parse_long(cmd, "--attempts", optarg, &a->attempts)) return CLI_USAGE;
            break;
        case O_TEMP:
            if (cli_parse_temperature(cmd, "--temperature", optarg, &a->temperature))
                return CLI_USAGE;
            break;
        case O_RETRY:
            if (cli_parse_temperature(cmd, "--retry-temperature", optarg, &a->retry_temperature))
                return CLI_USAGE;
            break;
        case O_SEED:
            if (cli_parse_long(cmd, "--seed", optarg, &a->seed)) return CLI_USAGE;
            break;
        case O_DATA:
            a->data = optarg;
            break;
        case O_JSON:
            a->json = 1;
            break;
        case O_BATCH:
            if (cli_parse_long(cmd, "--batch", optarg, &a->batch)) return CLI_USAGE;
            break;
        case O_THREADS:
            if (cli_parse_long(cmd, "--threads", optarg, &a->threads)) return CLI_USAGE;
            break;
        case O_DB:
            a->db_path = optarg;
            break;
        case O_NODB:
            a->no_db = 1;
            break;
        case O_PARENT:
            if (cli_parse_long(cmd, "--parent-run", optarg, &a->parent)) return CLI_USAGE;
            break;
        case O_CONSTRAIN:
            if (cli_parse_constrain(cmd, optarg, &a->constrain)) return CLI_USAGE;
            break;
        case O_BEAM:
            if (cli_parse_long(cmd, "--beam", optarg, &a->beam)) return CLI_USAGE;
            break;
        case O_RESCUE:
            if (cli_parse_rescue(cmd, optarg, &a->rescue)) return CLI_USAGE;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
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

/* Keys of the train split's SMILES (for novelty). */
static CvStatus load_train_set(const char *path, HashSet64 *set, CvError *err) {
    CvDataset ds = {0};
    uint32_t *idx = NULL;
    size_t n = 0;
    CvStatus st = dataset_load(&ds, path, err);
    if (!st) st = dataset_split_indices(&ds, CV_SPLIT_TRAIN, &idx, &n, err);
    for (size_t i = 0; !st && i < n; i++)
        if (hashset64_add(set, hashset64_key(dataset_smiles(&ds, idx[i]))) < 0)
            st = cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", path);
    free(idx);
    dataset_free(&ds);
    return st;
}

int cmd_sample(int argc, char **argv) {
    const char *cmd = "sample";
    SampleArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    cli_set_threads((int)a.threads);
    chem_log_rdkit(0);
    CvError err = {0};
    CliModel m;
    Store *db = NULL;
    int64_t run_id = 0;
    HashSet64 train = {0};
    LatentUniq uniq = {0};
    char *canon_around = NULL;
    float *center = NULL, *z = NULL;
    double *sim = NULL;
    char *pred = NULL;
    LatentMol *mols = NULL;
    size_t K = (size_t)a.attempts, n_valid = 0, n_decodes = 0;
    rc = CLI_ERROR;
    if (cli_model_load(&m, a.model, (size_t)a.batch, &err)) goto fail;
    if (cli_model_set_constrain(&m, a.constrain, &err)) goto fail;
    size_t Z = (size_t)m.vae.cfg.Z;
    size_t failures[SMILES_FAIL_COUNT] = {0};
    if (a.data && load_train_set(a.data, &train, &err)) goto fail;
    center = calloc(Z, sizeof *center);
    z = malloc((size_t)CHUNK * Z * sizeof *z);
    sim = malloc((size_t)CHUNK * K * sizeof *sim);
    pred = malloc((size_t)CHUNK * cli_predicted_stride(&m));
    mols = calloc((size_t)CHUNK * K, sizeof *mols);
    if (!center || !z || !sim || !pred || !mols) {
        cv_error_set(&err, CV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    uint64_t around_fp[LATENT_FP_WORDS];
    if (a.around) {
        if (latent_encode_smiles(&m.vae, &m.vocab, a.around, center, &canon_around, &err))
            goto fail;
        if (latent_fingerprint(canon_around, around_fp, &err)) goto fail;
    }
    if (!a.no_db) {
        CvJson cfg = {0};
        config_json(&a, canon_around, &cfg);
        if (cli_run_begin(a.db_path, "sample", &cfg, m.path, m.hash, a.seed, a.parent, &db, &run_id,
                          &err))
            goto fail;
    }
    CvRng zrng, drng;
    cv_rng_init(&zrng, (uint64_t)a.seed);
    cv_rng_init(&drng, (uint64_t)a.seed ^ 0x5eed0decULL);
    LatentDecodeOpts dopt = {K, (float)a.temperature, (float)a.retry_temperature, (int)a.beam,
                             (int)a.rescue};
    CvProgress prog;
    cv_progress_start(&prog, "sample", (size_t)a.n);
    cli_catch_interrupts();
    size_t n_done = 0;
    for (size_t s = 0; s < (size_t)a.n && !cli_interrupted(); s += CHUNK) {
        size_t N = (size_t)a.n - s < CHUNK ? (size_t)a.n - s : CHUNK;
        if (a.around) latent_sample_around(&zrng, center, (float)a.radius, z, N, Z);
        else latent_sample_prior(&zrng, z, N, Z);
        if (latent_decode(&m.vae, &m.vocab, z, N, &dopt, &drng, mols, &err)) goto fail;
        for (size_t r = 0; r < N * K; r++) {
            sim[r] = NAN;
            if (mols[r].valid && a.around) sim[r] = latent_similarity(mols[r].canonical, around_fp);
            n_valid += (size_t)mols[r].valid;
        }
        n_decodes += N * K;
        cli_count_failures(mols, N * K, failures);
        if (latent_uniq_add_mols(&uniq, mols, N * K, s * K, &err)) goto fail;
        if (db) {
            cli_predicted_json(&m, z, N, NULL, pred);
            CliGenBatch b = {.method = "sample",
                             .N = N,
                             .K = K,
                             .Z = Z,
                             .z = z,
                             .step0 = (int64_t)s,
                             .source = canon_around ? canon_around : "prior",
                             .predicted = pred,
                             .pred_stride = cli_predicted_stride(&m),
                             .sim = a.around ? sim : NULL};
            if (cli_store_generations(db, run_id, &b, mols, &err)) goto fail;
        }
        latent_mols_free(mols, N * K);
        char suffix[64];
        snprintf(suffix, sizeof suffix, "valid %.1f%%",
                 100.0 * (double)n_valid / (double)n_decodes);
        cv_progress_update(&prog, s + N, suffix);
        n_done = s + N;
    }
    cv_progress_finish(&prog, NULL);
    size_t n_novel = 0;
    if (a.json) printf("[");
    else
        printf("smiles,count,first_index,mw,logp,qed,sa,penalized_logp%s%s\n",
               a.around ? ",similarity" : "", a.data ? ",novel" : "");
    for (size_t i = 0; i < uniq.n; i++) {
        const LatentUniqEntry *e = &uniq.items[i];
        int novel = a.data && !hashset64_has(&train, hashset64_key(e->smiles));
        n_novel += (size_t)novel;
        double tsim = a.around ? latent_similarity(e->smiles, around_fp) : NAN;
        if (a.json) {
            printf("%s\n{\"smiles\": ", i ? "," : "");
            cli_print_json_string(stdout, e->smiles);
            printf(", \"count\": %zu, \"first_index\": %zu", e->count, e->first / K);
            cli_print_scores(stdout, &e->scores, 1);
            if (a.around) printf(", \"similarity\": %.4f", tsim);
            if (a.data) printf(", \"novel\": %s", novel ? "true" : "false");
            printf("}");
        } else {
            printf("%s,%zu,%zu", e->smiles, e->count, e->first / K);
            cli_print_scores(stdout, &e->scores, 0);
            if (a.around) printf(",%.4f", tsim);
            if (a.data) printf(",%d", novel);
            printf("\n");
        }
    }
    if (a.json) printf("\n]\n");
    fflush(stdout);
    if (cli_interrupted())
        fprintf(stderr, "chemvae sample: interrupted after %zu of %ld vectors\n", n_done, a.n);
    fprintf(stderr,
            "chemvae sample: %zu vectors x %zu attempts = %zu decodes: valid %zu (%.1f%%), unique "
            "%zu (%.1f%% of valid)",
            n_done, K, n_decodes, n_valid,
            n_decodes ? 100.0 * (double)n_valid / (double)n_decodes : 0.0, uniq.n,
            n_valid ? 100.0 * (double)uniq.n / (double)n_valid : 0.0);
    if (a.data)
        fprintf(stderr, ", novel %zu (%.1f%% of unique)", n_novel,
                uniq.n ? 100.0 * (double)n_novel / (double)uniq.n : 0.0);
    cli_print_failures(stderr, failures);
    if (db) fprintf(stderr, "; run %lld in %s", (long long)run_id, a.db_path);
    fprintf(stderr, "\n");
    if (db) {
        const CliMetric mt[] = {
            {"decodes", (double)n_decodes},
            {"valid", (double)n_valid},
            {"unique", (double)uniq.n},
            {"validity", n_decodes ? (double)n_valid / (double)n_decodes : NAN},
            {"uniqueness", n_valid ? (double)uniq.n / (double)n_valid : NAN},
            {"novel", a.data ? (double)n_novel : NAN},
            {"novelty", a.data && uniq.n ? (double)n_novel / (double)uniq.n : NAN},
            {"fail_syntax", (double)failures[SMILES_FAIL_SYNTAX]},
            {"fail_ring", (double)failures[SMILES_FAIL_RING]},
            {"fail_valence", (double)failures[SMILES_FAIL_VALENCE]},
            {"fail_aromaticity", (double)failures[SMILES_FAIL_AROMATICITY]},
            {"fail_length", (double)failures[SMILES_FAIL_LENGTH]},
            {"fail_other", (double)failures[SMILES_FAIL_OTHER]}};
        if (cli_finish_run(db, run_id, mt, sizeof mt / sizeof mt[0], &err)) goto fail;
        if (cli_interrupted() && store_run_finish(db, run_id, STORE_RUN_INTERRUPTED, &err))
            goto fail;
    }
    rc = cli_interrupted() ? 128 + cli_interrupted() : CLI_OK;
    goto done;
fail:
    if (db && run_id) store_run_finish(db, run_id, STORE_RUN_FAILED, NULL);
    rc = cli_report(cmd, &err);
done:
    if (mols) latent_mols_free(mols, (size_t)CHUNK * K);
    free(mols);
    free(pred);
    free(sim);
    free(z);
    free(center);
    free(canon_around);
    latent_uniq_free(&uniq);
    hashset64_free(&train);
    store_close(db);
    cli_model_free(&m);
    return rc;
}
