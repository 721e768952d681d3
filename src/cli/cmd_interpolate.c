/* cmd_interpolate.c — `chemvae interpolate`: a linear or spherical (slerp) path between the
 * encoder means of two molecules, steps + 1 points t = i/steps, K decodes per point
 * (greedy, then sampled at --temperature). Prints the distinct valid molecules in path
 * order (the point where each first appears) with t, the latent distance travelled along
 * the path up to that point, how often it was decoded, its similarity to both ends and
 * its true scores.
 *
 * Recording: a runs row (kind "interpolate"), every decode in `generations` (method
 * "interpolate", step = path index, source "FROM>>TO" in canonical SMILES, z, predicted
 * JSON, similarity to FROM), all points in one transaction. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/latent.h"
#include "chemvae/store.h"
#include "cli.h"
#include "latent_cli.h"
#include "model_io.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: chemvae interpolate --from SMILES --to SMILES [options]\n"
            "       chemvae interpolate [options] FROM TO\n"
            "\n"
            "  --from SMILES, --to SMILES   the two end molecules\n"
            "  --method linear|slerp        path shape (default slerp)\n"
            "  --steps N                    N intervals, N + 1 points (default 10)\n"
            "  --decodes K                  decodes per point: greedy + K-1 sampled (default 1)\n"
            "  --temperature X              temperature of the sampled decodes (default 0.5)\n"
            "  --model FILE                 checkpoint (default results/models/model.cvae if it\n"
            "                        exists, else the shipped results/models/zinc24k-small.cvae)\n"
            "  --seed N                     seed of the sampled decodes (default 1)\n"
            "  --constrain MODE             none | syntax | valence (default): decoding mask\n"
            "  --beam K                     the greedy decode of each point as a beam of K\n"
            "  --rescue K                   a greedy decode that is not a molecule is decoded\n"
            "                               again by a beam of K (default 20; 1 = off)\n"
            "  --json                       JSON instead of CSV\n"
            "  --threads N                  OpenBLAS threads\n"
            "  --db FILE                    results DB (default " CLI_DEFAULT_DB
            "); --no-db to skip\n"
            "  --parent-run N               record under run N\n"
            "\n"
            "stdout: step,t,distance,smiles,count,sim_from,sim_to,mw,logp,qed,sa,penalized_logp\n");
}

int cmd_interpolate(int argc, char **argv) {
    const char *cmd = "interpolate", *model = cli_default_model(), *from = NULL, *to = NULL;
    const char *method = "slerp", *db_path = CLI_DEFAULT_DB;
    long steps = 10, decodes = 1, seed = 1, threads = 0, parent = 0, beam = 1,
         rescue = CV_DEFAULT_RESCUE;
    double temperature = 0.5;
    int json = 0, no_db = 0, constrain = CV_DEFAULT_CONSTRAIN;
    enum {
        O_FROM = 256,
        O_TO,
        O_METHOD,
        O_STEPS,
        O_DECODES,
        O_TEMP,
        O_MODEL,
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
    static const struct option opts[] = {{"from", required_argument, 0, O_FROM},
                                         {"to", required_argument, 0, O_TO},
                                         {"method", required_argument, 0, O_METHOD},
                                         {"steps", required_argument, 0, O_STEPS},
                                         {"decodes", required_argument, 0, O_DECODES},
                                         {"temperature", required_argument, 0, O_TEMP},
                                         {"model", required_argument, 0, O_MODEL},
                                         {"seed", required_argument, 0, O_SEED},
                                         {"json", no_argument, 0, O_JSON},
                                         {"threads", required_argument, 0, O_THREADS},
                                         {"db", required_argument, 0, O_DB},
                                         {"no-db", no_argument, 0, O_NODB},
                                         {"parent-run", required_argument, 0, O_PARENT},
                                         {"constrain", required_argument, 0, O_CONSTRAIN},
                                         {"beam", required_argument, 0, O_BEAM},
                                         {"rescue", required_argument, 0, O_RESCUE},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_FROM:
            from = optarg;
            break;
        case O_TO:
            to = optarg;
            break;
        case O_METHOD:
            method = optarg;
            break;
        case O_MODEL:
            model = optarg;
            break;
        case O_STEPS:
            if (cli_parse_long(cmd, "--steps", optarg, &steps)) return CLI_USAGE;
            break;
        case O_DECODES:
            if (cli_parse_long(cmd, "--decodes", optarg, &decodes)) return CLI_USAGE;
            break;
        case O_TEMP:
            if (cli_parse_temperature(cmd, "--temperature", optarg, &temperature)) return CLI_USAGE;
            break;
        case O_SEED:
            if (cli_parse_long(cmd, "--seed", optarg, &seed)) return CLI_USAGE;
            break;
        case O_THREADS:
            if (cli_parse_long(cmd, "--threads", optarg, &threads)) return CLI_USAGE;
            break;
        case O_PARENT:
            if (cli_parse_long(cmd, "--parent-run", optarg, &parent)) return CLI_USAGE;
            break;
        case O_JSON:
            json = 1;
            break;
        case O_CONSTRAIN:
            if (cli_parse_constrain(cmd, optarg, &constrain)) return CLI_USAGE;
            break;
        case O_BEAM:
            if (cli_parse_long(cmd, "--beam", optarg, &beam)) return CLI_USAGE;
            break;
        case O_RESCUE:
            if (cli_parse_rescue(cmd, optarg, &rescue)) return CLI_USAGE;
            break;
        case O_DB:
            db_path = optarg;
            break;
        case O_NODB:
            no_db = 1;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!from && !to && argc - optind == 2) { /* chemvae interpolate FROM TO */
        from = argv[optind++];
        to = argv[optind++];
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!from || !to)
        return cli_usage_error(cmd, "--from and --to (or two SMILES arguments) are required");
    int slerp = !strcmp(method, "slerp");
    if (!slerp && strcmp(method, "linear"))
        return cli_usage_error(cmd, "--method must be linear or slerp, got '%s'", method);
    if (steps < 1 || decodes < 1) return cli_usage_error(cmd, "--steps and --decodes must be >= 1");
    if (steps > 100000 || decodes > 10000)
        return cli_usage_error(cmd, "--steps is at most 100000 and --decodes at most 10000");
    cli_set_threads((int)threads);
    chem_log_rdkit(0);
    CvError err = {0};
    CvModel m;
    Store *db = NULL;
    int64_t run_id = 0;
    LatentUniq uniq = {0};
    size_t N = (size_t)steps + 1, K = (size_t)decodes;
    char *ca = NULL, *cb = NULL, *source = NULL, *pred = NULL;
    float *za = NULL, *zb = NULL, *z = NULL;
    double *dist = NULL, *sim = NULL;
    LatentMol *mols = NULL;
    int rc = CLI_ERROR;
    if (cv_model_load(&m, model, 256, &err)) goto fail;
    if (cv_model_set_constrain(&m, constrain, &err)) goto fail;
    size_t Z = (size_t)m.vae.cfg.Z;
    za = malloc(Z * sizeof *za);
    zb = malloc(Z * sizeof *zb);
    z = malloc(N * Z * sizeof *z);
    dist = malloc(N * sizeof *dist);
    sim = malloc(N * K * sizeof *sim);
    pred = malloc(N * cv_model_predicted_stride(&m));
    mols = calloc(N * K, sizeof *mols);
    if (!za || !zb || !z || !dist || !sim || !pred || !mols) {
        cv_error_set(&err, CV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (latent_encode_smiles(&m.vae, &m.vocab, from, za, &ca, &err)) goto fail;
    if (latent_encode_smiles(&m.vae, &m.vocab, to, zb, &cb, &err)) goto fail;
    uint64_t fpa[LATENT_FP_WORDS], fpb[LATENT_FP_WORDS];
    if (latent_fingerprint(ca, fpa, &err) || latent_fingerprint(cb, fpb, &err)) goto fail;
    for (size_t i = 0; i < N; i++) {
        double t = (double)i / (double)steps;
        if (slerp) latent_slerp(za, zb, Z, t, z + i * Z);
        else latent_lerp(za, zb, Z, t, z + i * Z);
        dist[i] = i ? dist[i - 1] + latent_distance(z + (i - 1) * Z, z + i * Z, Z) : 0.0;
    }
    CvRng rng;
    cv_rng_init(&rng, (uint64_t)seed);
    LatentDecodeOpts dopt = {K, 0.0f, (float)temperature, (int)beam, (int)rescue};
    if (latent_decode(&m.vae, &m.vocab, z, N, &dopt, &rng, mols, &err)) goto fail;
    if (latent_uniq_add_mols(&uniq, mols, N * K, 0, &err)) goto fail;
    for (size_t r = 0; r < N * K; r++)
        sim[r] = mols[r].valid ? latent_similarity(mols[r].canonical, fpa) : NAN;
    size_t slen = strlen(ca) + strlen(cb) + 3;
    if (!(source = malloc(slen))) {
        cv_error_set(&err, CV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    snprintf(source, slen, "%s>>%s", ca, cb);
    if (!no_db) {
        CvJson cfg = {0};
        cv_json_begin_object(&cfg);
        cv_json_kv_string(&cfg, "from", ca);
        cv_json_kv_string(&cfg, "to", cb);
        cv_json_kv_string(&cfg, "method", slerp ? "slerp" : "linear");
        cv_json_kv_int(&cfg, "steps", steps);
        cv_json_kv_int(&cfg, "decodes", decodes);
        cv_json_kv_double(&cfg, "temperature", temperature);
        cv_json_kv_string(&cfg, "constrain", smiles_constrain_name(constrain));
        cv_json_kv_int(&cfg, "beam", beam);
        cv_json_kv_int(&cfg, "rescue", rescue);
        cv_json_end_object(&cfg);
        if (cv_run_begin(db_path, "interpolate", &cfg, m.path, m.hash, seed, parent, &db, &run_id,
                         &err))
            goto fail;
        cv_model_predicted_json(&m, z, N, NULL, pred);
        CvGenBatch b = {.method = "interpolate",
                        .N = N,
                        .K = K,
                        .Z = Z,
                        .z = z,
                        .step0 = 0,
                        .source = source,
                        .predicted = pred,
                        .pred_stride = cv_model_predicted_stride(&m),
                        .sim = sim};
        if (cv_store_generations(db, run_id, &b, mols, &err)) goto fail;
    }
    if (json) printf("[");
    else printf("step,t,distance,smiles,count,sim_from,sim_to,mw,logp,qed,sa,penalized_logp\n");
    for (size_t u = 0; u < uniq.n; u++) {
        const LatentUniqEntry *e = &uniq.items[u];
        size_t i = e->first / K;
        double t = (double)i / (double)steps;
        double sa = latent_similarity(e->smiles, fpa), sb = latent_similarity(e->smiles, fpb);
        if (json) {
            printf("%s\n{\"step\": %zu, \"t\": %.4f, \"distance\": %.4f, \"smiles\": ",
                   u ? "," : "", i, t, dist[i]);
            cli_print_json_string(stdout, e->smiles);
            printf(", \"count\": %zu, \"sim_from\": %.4f, \"sim_to\": %.4f", e->count, sa, sb);
            cli_print_scores(stdout, &e->scores, 1);
            printf("}");
        } else {
            printf("%zu,%.4f,%.4f,%s,%zu,%.4f,%.4f", i, t, dist[i], e->smiles, e->count, sa, sb);
            cli_print_scores(stdout, &e->scores, 0);
            printf("\n");
        }
    }
    if (json) printf("\n]\n");
    fflush(stdout);
    size_t valid = 0;
    for (size_t r = 0; r < N * K; r++) valid += (size_t)mols[r].valid;
    fprintf(stderr,
            "chemvae interpolate: %s path of %zu points (latent length %.4f), %zu decodes, %zu "
            "valid, %zu distinct",
            slerp ? "slerp" : "linear", N, dist[N - 1], N * K, valid, uniq.n);
    if (db) fprintf(stderr, "; run %lld in %s", (long long)run_id, db_path);
    fprintf(stderr, "\n");
    if (db && store_run_finish(db, run_id, STORE_RUN_OK, &err)) goto fail;
    rc = CLI_OK;
    goto done;
fail:
    if (db && run_id) store_run_finish(db, run_id, STORE_RUN_FAILED, NULL);
    rc = cli_report(cmd, &err);
done:
    if (mols) latent_mols_free(mols, N * K);
    free(mols);
    free(pred);
    free(sim);
    free(dist);
    free(z);
    free(zb);
    free(za);
    free(source);
    free(ca);
    free(cb);
    latent_uniq_free(&uniq);
    store_close(db);
    cv_model_free(&m);
    return rc;
}
