/* cmd_eval.c — `chemvae eval`: reconstruction, prior validity / uniqueness / novelty /
 * internal diversity and property MAE of a checkpoint on a dataset split (README "Evaluating"),
 * printed as CSV (metric,value) or JSON and stored in eval_metrics. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "chemvae/dataset.h"
#include "chemvae/evaluate.h"
#include "chemvae/store.h"
#include "cli.h"
#include "model_io.h"

static void usage(FILE *out) {
    fprintf(out, "usage: chemvae eval --model FILE.cvae --data FILE.cvds [options]\n"
                 "\n"
                 "  --split NAME     test | valid | train (default test)\n"
                 "  -n N             at most N split molecules for reconstruction (default all)\n"
                 "  --samples N      prior samples z ~ N(0, I) (default 1000)\n"
                 "  --beam K         reconstruct with a beam of K hypotheses (default 1: greedy)\n"
                 "  --stochastic N   also JT-VAE's protocol on the first N split molecules:\n"
                 "                   10 encodings x 10 sampled decodes each (default 0)\n"
                 "  --seed N         seed of the prior samples (default 1)\n"
                 "  --constrain MODE none | syntax | valence (default): decoding mask, for both\n"
                 "                   reconstruction and prior samples\n"
                 "  --batch B        decoding batch (default 256)\n"
                 "  --threads N      OpenBLAS threads\n"
                 "  --json           JSON instead of CSV\n"
                 "  --db FILE        results DB (default " CLI_DEFAULT_DB "); --no-db to skip\n"
                 "  --parent-run N   record under run N\n");
}

int cmd_eval(int argc, char **argv) {
    const char *cmd = "eval", *model = NULL, *data = NULL, *split_name = "test",
               *db_path = CLI_DEFAULT_DB;
    long n = 0, samples = 1000, seed = 1, batch = 256, threads = 0, parent = 0, stochastic = 0,
         beam = 1;
    int json = 0, no_db = 0, constrain = CV_DEFAULT_CONSTRAIN;
    enum {
        O_SPLIT = 256,
        O_SAMPLES,
        O_SEED,
        O_BATCH,
        O_THREADS,
        O_JSON,
        O_DB,
        O_NODB,
        O_PARENT,
        O_CONSTRAIN,
        O_STOCH,
        O_BEAM
    };
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"data", required_argument, 0, 'd'},
                                         {"split", required_argument, 0, O_SPLIT},
                                         {"samples", required_argument, 0, O_SAMPLES},
                                         {"seed", required_argument, 0, O_SEED},
                                         {"batch", required_argument, 0, O_BATCH},
                                         {"threads", required_argument, 0, O_THREADS},
                                         {"json", no_argument, 0, O_JSON},
                                         {"db", required_argument, 0, O_DB},
                                         {"no-db", no_argument, 0, O_NODB},
                                         {"parent-run", required_argument, 0, O_PARENT},
                                         {"constrain", required_argument, 0, O_CONSTRAIN},
                                         {"stochastic", required_argument, 0, O_STOCH},
                                         {"beam", required_argument, 0, O_BEAM},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "m:d:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 'n':
            if (cli_parse_long(cmd, "-n", optarg, &n)) return CLI_USAGE;
            break;
        case O_SPLIT:
            split_name = optarg;
            break;
        case O_SAMPLES:
            if (cli_parse_long(cmd, "--samples", optarg, &samples)) return CLI_USAGE;
            break;
        case O_SEED:
            if (cli_parse_long(cmd, "--seed", optarg, &seed)) return CLI_USAGE;
            break;
        case O_BATCH:
            if (cli_parse_long(cmd, "--batch", optarg, &batch)) return CLI_USAGE;
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
        case O_BEAM:
            if (cli_parse_long(cmd, "--beam", optarg, &beam)) return CLI_USAGE;
            break;
        case O_STOCH:
            if (cli_parse_long(cmd, "--stochastic", optarg, &stochastic)) return CLI_USAGE;
            break;
        case O_CONSTRAIN:
            if (cli_parse_constrain(cmd, optarg, &constrain)) return CLI_USAGE;
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
    if (!model || !data) return cli_usage_error(cmd, "--model and --data are required");
    int split = !strcmp(split_name, "train")   ? CV_SPLIT_TRAIN
                : !strcmp(split_name, "valid") ? CV_SPLIT_VALID
                : !strcmp(split_name, "test")  ? CV_SPLIT_TEST
                                               : -1;
    if (split < 0)
        return cli_usage_error(cmd, "--split must be train, valid or test, got '%s'", split_name);
    if (batch < 1) return cli_usage_error(cmd, "--batch must be positive");
    if (beam < 1 || beam > batch)
        return cli_usage_error(cmd, "--beam must be in 1..--batch (%ld)", batch);
    cli_set_threads((int)threads);
    CvError err = {0};
    CvModel m;
    CvDataset ds = {0};
    Store *db = NULL;
    int64_t run_id = 0;
    int rc = CLI_ERROR;
    if (cv_model_load(&m, model, (size_t)batch, &err)) goto fail;
    if (cv_model_set_constrain(&m, constrain, &err)) goto fail;
    if (dataset_load(&ds, data, &err)) goto fail;
    if (ckpt_meta_check_vocab(&m.meta, &ds.vocab, model, data, &err)) goto fail;
    if ((size_t)m.meta.cfg.T != ds.T) {
        cv_error_set(&err, CV_ERR_MISMATCH, "%s has T=%d but %s has T=%zu", model, m.meta.cfg.T,
                     data, ds.T);
        goto fail;
    }
    if (!no_db) {
        CvJson cfg = {0};
        cv_json_begin_object(&cfg);
        cv_json_kv_string(&cfg, "data", data);
        cv_json_kv_string(&cfg, "split", split_name);
        cv_json_kv_int(&cfg, "n", n);
        cv_json_kv_int(&cfg, "samples", samples);
        cv_json_kv_string(&cfg, "constrain", smiles_constrain_name(constrain));
        cv_json_kv_int(&cfg, "beam", beam);
        cv_json_end_object(&cfg);
        if (cv_run_begin(db_path, "eval", &cfg, model, m.hash, seed, parent, &db, &run_id, &err))
            goto fail;
    }
    EvalReport r;
    if (eval_run_beam(&m.vae, &ds, split, (size_t)n, (size_t)samples, (uint64_t)seed, (int)beam, &r,
                      &err))
        goto fail;
    if (stochastic > 0 &&
        eval_stochastic(&m.vae, &ds, split, (size_t)stochastic, (uint64_t)seed, &r, &err))
        goto fail;
    struct {
        char name[48];
        double v;
    } rows[32];
    size_t nr = 0;
#define ROW(nm, val) (snprintf(rows[nr].name, sizeof rows[nr].name, "%s", nm), rows[nr++].v = (val))
    ROW("reconstruction", r.reconstruction);
    ROW("recon_molecules", (double)r.n_recon);
    ROW("recon_tanimoto", r.recon_tanimoto);
    if (r.n_stoch) {
        ROW("recon_stochastic", r.stoch_recon);
        ROW("recon_stochastic_molecules", (double)r.n_stoch);
    }
    ROW("validity", r.validity);
    ROW("uniqueness", r.uniqueness);
    ROW("novelty", r.novelty);
    ROW("int_div", r.int_div);
    ROW("prior_samples", (double)r.n_prior);
    for (int f = 1; f < SMILES_FAIL_COUNT; f++) {
        snprintf(rows[nr].name, sizeof rows[nr].name, "fail_%s",
                 smiles_failure_name((SmilesFailure)f));
        rows[nr++].v = (double)r.fail[f];
    }
    for (size_t p = 0; p < r.P && p < CKPT_MAX_PROPS; p++) {
        snprintf(rows[nr].name, sizeof rows[nr].name, "mae_%s", m.meta.prop_names[p]);
        rows[nr++].v = r.prop_mae[p];
    }
#undef ROW
    if (json) printf("{");
    else printf("metric,value\n");
    for (size_t i = 0; i < nr; i++) {
        if (json) printf("%s\"%s\": %.6g", i ? ", " : "", rows[i].name, rows[i].v);
        else printf("%s,%.6g\n", rows[i].name, rows[i].v);
        if (db && store_insert_eval_metric(db, run_id, rows[i].name, rows[i].v, &err)) goto fail;
    }
    if (json) printf("}\n");
    if (db) store_run_finish(db, run_id, STORE_RUN_OK, NULL);
    rc = CLI_OK;
    goto done;
fail:
    if (db && run_id) store_run_finish(db, run_id, STORE_RUN_FAILED, NULL);
    rc = cli_report(cmd, &err);
done:
    store_close(db);
    dataset_free(&ds);
    cv_model_free(&m);
    return rc;
}
