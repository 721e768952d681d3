/* test_report_cli.c — `chemvae report` end to end ($BUILD/chemvae, BUILD from the
 * environment, default "build"). A fixture DB written through the store API holds a train run
 * (5 epochs, train + valid rows, resumed once), an eval run, a sampling run (with latent
 * vectors and failure classes, one invalid decode stored unclassified), an optimization run
 * (2 start molecules × 6 steps) and an interpolation run; two tiny untrained models and a
 * 24-molecule dataset feed the latent sections and the comparison. Checks: every section is
 * present and filled, the page is self-contained (no script, link, img, iframe, url(),
 * http(s)), molecules are drawn with their SMILES as tooltips, and the numbers hold against
 * values computed here independently: the active units and the KL total (the encoder on the
 * test split; the KL summed per dimension equals the validation loss's KL), the head's MAE
 * (the predict job), each top molecule's nearest training neighbour (brute-force Tanimoto),
 * the generated molecules' mean logP, the failure classes; a model's training history file
 * is drawn when the DB has no training run; a run scope and an empty DB give the right "no
 * data" notes, bad options fail; `chemvae eval --format csv|json` prints what the default
 * and --json print; the page renders in headless Chromium without console messages and is
 * not blank (tests/check-html-render.sh); and cv_report_write called as a library reports
 * progress and warnings through its callbacks and writes no page when interrupted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chemvae/app/app_train.h"
#include "chemvae/app/app_predict.h"
#include "chemvae/model/checkpoint.h"
#include "chemvae/chem/chem.h"
#include "chemvae/data/dataset.h"
#include "chemvae/core/fileio.h"
#include "chemvae/report/report.h"
#include "chemvae/store/store.h"
#include "chemvae/model/vae.h"
#include "support/runcmd.h"

static char g_dir[64], g_bin[600], g_db[128], g_empty[128], g_model[128], g_data[128], g_ae[128],
    g_hist_model[128];
static int g_Z; /* the tiny models' latent size */

static const char *const SMILES[] = {
    "CCO",
    "c1ccccc1",
    "CC(=O)O",
    "CCN(CC)CC",
    "c1ccncc1",
    "CC(C)O",
    "OC(=O)c1ccccc1",
    "CCOC(=O)C",
    "Cc1ccccc1",
    "c1ccc2ccccc2c1",
    "CC(=O)Nc1ccc(O)cc1",
    "CN1CCCC1",
    "OCCO",
    "CCCCCC",
    "C1CCCCC1",
    "CC(C)(C)O",
    "Nc1ccccc1",
    "O=C1CCCCC1",
    "CCOCC",
    "c1ccoc1",
    "c1ccsc1",
    "CC#N",
    "ClCCl",
    "CCS",
};
#define NSMILES (sizeof SMILES / sizeof SMILES[0])

static StoreMolecule mol(const char *smiles, char **canon) {
    ChemScores s;
    assert_true(cv_chem_score_smiles(smiles, &s, canon));
    return (StoreMolecule){*canon, s.mw, s.logp, s.qed, s.sa, s.penalized_logp};
}

/* An untrained tiny model for dataset ds at path, its weights drawn with seed, trained (as
 * its options say) with KL weight kl_max. */
static void write_model(const char *path, const CvDataset *ds, uint64_t seed, double kl_max) {
    VaeConfig cfg;
    CvError err = {0};
    assert_int_equal(cv_vae_config_preset("tiny", (int)ds->T, (int)ds->V, (int)ds->P, &cfg, &err),
                     CV_OK);
    g_Z = cfg.Z;
    Vae vae = {0};
    CvRng rng;
    cv_rng_init(&rng, seed);
    assert_int_equal(cv_vae_init(&vae, &cfg, 8, &rng, &err), CV_OK);
    /* spread the means of the first half of the dimensions (active units), shrink the rest */
    long id = cv_nn_params_find(&vae.params, "enc.mu.w");
    assert_true(id >= 0);
    const NnParamInfo *w = &vae.params.info[id];
    for (size_t k = 0; k < w->n; k++)
        cv_nn_params_data(&vae.params, (size_t)id)[k] *=
            k / w->shape[1] < (size_t)cfg.Z / 2 ? 20.0f : 0.01f;
    CkptMeta meta = {0};
    meta.cfg = cfg;
    meta.epoch = 3;
    snprintf(meta.train_options, sizeof meta.train_options, "epochs=3 kl_max=%g seed=1", kl_max);
    assert_int_equal(cv_ckpt_meta_set_vocab(&meta, (const char *const *)ds->vocab.tokens,
                                            (int)ds->vocab.n, &err),
                     CV_OK);
    meta.P = (int)ds->P;
    for (size_t p = 0; p < ds->P; p++) {
        snprintf(meta.prop_names[p], CKPT_NAME_MAX, "%s", ds->prop_names[p]);
        meta.prop_mean[p] = ds->prop_mean[p];
        meta.prop_std[p] = ds->prop_std[p];
    }
    assert_int_equal(cv_ckpt_save(path, &vae, &meta, 0, &err), CV_OK);
    cv_ckpt_meta_free(&meta);
    cv_vae_free(&vae);
}

/* A training history beside g_hist_model (report.h): 3 epochs, the validation rows with
 * their extra monitors, a row of another split and a broken record that are skipped. */
static void write_history(void) {
    char path[160];
    snprintf(path, sizeof path, "%s/h.training.csv", g_dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "epoch,step,split,loss,recon,kl,prop,beta,lr,accuracy,extra\n");
    for (int e = 1; e <= 3; e++) {
        fprintf(fp, "%d,%d,train,%g,%g,%g,0.5,%g,0.001,%g,\n", e, 10 * e, 40.0 / e, 35.0 / e,
                10.0 + e, 0.01 * e, 0.6 + 0.1 * e);
        fprintf(
            fp,
            "%d,%d,valid,%g,%g,%g,0.6,%g,0.001,%g,\"{\"\"tf_exact\"\": %g, \"\"active_units\"\": "
            "%d}\"\n",
            e, 10 * e, 42.0 / e, 36.0 / e, 11.0 + e, 0.01 * e, 0.55 + 0.1 * e, 0.1 * e, 6 - e);
    }
    fprintf(fp, "3,30,test,1,1,1,1,1,1,1,\n\"broken,1\n");
    fclose(fp);
}

/* Writes the dataset, an untrained tiny model for the latent sections, a second one (an
 * autoencoder by its options) to compare it with, and a copy of the first with a training
 * history file beside it. */
static void fixture_model(void) {
    float props[NSMILES * 3];
    for (size_t i = 0; i < NSMILES; i++) {
        ChemScores s;
        assert_true(cv_chem_score_smiles(SMILES[i], &s, NULL));
        props[i * 3] = (float)s.logp, props[i * 3 + 1] = (float)s.qed,
                  props[i * 3 + 2] = (float)s.sa;
    }
    const char *names[] = {"logP", "qed", "SAS"};
    CvDatasetOptions o;
    cv_dataset_options_default(&o);
    o.T = 24;
    o.ratios[0] = 0.5, o.ratios[1] = 0.1, o.ratios[2] = 0.4;
    CvDataset ds = {0};
    CvError err = {0};
    assert_int_equal(cv_dataset_build(&ds, SMILES, NSMILES, props, 3, names, NULL, &o, &err),
                     CV_OK);
    assert_int_equal(cv_dataset_save(&ds, g_data, &err), CV_OK);
    write_model(g_model, &ds, 3, 0.1);
    write_model(g_ae, &ds, 5, 0);
    write_model(g_hist_model, &ds, 3, 0.1);
    write_history();
    cv_dataset_free(&ds);
}

static void fixture_db(void) {
    Store *s = NULL;
    CvError err = {0};
    int64_t pipe, tr0, tr1, ev, sa, op, in;
    assert_int_equal(cv_store_open(g_db, 0, &s, &err), CV_OK);
    assert_int_equal(cv_store_run_begin(s, "pipeline", NULL, NULL, NULL, -1, 0, &pipe, &err),
                     CV_OK);
    /* training: epochs 1-3 in run tr0 (interrupted), 3-5 in the resumed run tr1 */
    assert_int_equal(
        cv_store_run_begin(s, "train", "{\"resume\": false}", "m.cvae", NULL, 1, pipe, &tr0, &err),
        CV_OK);
    assert_int_equal(
        cv_store_run_begin(s, "train", "{\"resume\": true}", "m.cvae", NULL, 1, pipe, &tr1, &err),
        CV_OK);
    for (int e = 1; e <= 5; e++)
        for (int k = 0; k < 2; k++) {
            StoreTrainingMetric m = {
                e,       e * 10, k ? "valid" : "train",     60.0 / e + k, 50.0 / e + k,
                5.0 + e, 0.5,    0.1 / (1 + exp(-(e - 3))), 1e-3,         0.5 + 0.08 * e - 0.02 * k,
                NULL};
            assert_int_equal(cv_store_insert_training_metrics(s, e <= 3 ? tr0 : tr1, &m, 1, &err),
                             CV_OK);
        }
    cv_store_run_finish(s, tr0, STORE_RUN_INTERRUPTED, NULL);
    cv_store_run_finish(s, tr1, STORE_RUN_OK, NULL);
    assert_int_equal(cv_store_run_begin(s, "eval", NULL, "m.cvae", NULL, 1, pipe, &ev, &err),
                     CV_OK);
    assert_int_equal(cv_store_insert_eval_metric(s, ev, "validity", 0.8125, &err), CV_OK);
    assert_int_equal(cv_store_insert_eval_metric(s, ev, "reconstruction", 0.25, &err), CV_OK);
    assert_int_equal(cv_store_insert_eval_metric(s, ev, "moses_Scaf", 0.1428, &err), CV_OK);
    char *canon[NSMILES] = {0};
    StoreMolecule mols[NSMILES];
    for (size_t i = 0; i < NSMILES; i++) mols[i] = mol(SMILES[i], &canon[i]);
    /* sampling: 16 decodes, 12 valid, each with its latent vector */
    StoreGeneration g[40];
    memset(g, 0, sizeof g);
    static const char *const FAIL[4] = {"valence", "syntax", NULL, "aromaticity"};
    float z[40 * 8];
    for (int i = 0; i < 40 * 8; i++) z[i] = (float)sin(0.7 * i);
    assert_int_equal(cv_store_run_begin(s, "sample", NULL, "m.cvae", NULL, 7, pipe, &sa, &err),
                     CV_OK);
    for (int i = 0; i < 16; i++) {
        int valid = i % 4 != 3;
        g[i] = (StoreGeneration){.method = "sample",
                                 .step = i,
                                 .source = "prior",
                                 .raw_smiles = valid ? SMILES[i] : "C1CC(",
                                 .valid = valid,
                                 .failure = valid ? NULL : FAIL[i / 4],
                                 .molecule = valid ? &mols[i] : NULL,
                                 .z = z + i * 8,
                                 .z_dim = (size_t)g_Z,
                                 .similarity = NAN};
    }
    assert_int_equal(cv_store_insert_generations(s, sa, g, 16, NULL, &err), CV_OK);
    /* optimization: two starts, 6 steps each */
    assert_int_equal(cv_store_run_begin(s, "optimize", "{\"objective\": \"plogp\"}", "m.cvae", NULL,
                                        7, pipe, &op, &err),
                     CV_OK);
    for (int i = 0; i < 12; i++) {
        int k = 8 + i; /* molecules 8.. */
        g[i] = (StoreGeneration){.method = "optimize",
                                 .step = i % 6,
                                 .source = i < 6 ? "CCO" : "c1ccccc1",
                                 .raw_smiles = SMILES[k],
                                 .valid = 1,
                                 .molecule = &mols[k],
                                 .z = z + (16 + i) * 8,
                                 .z_dim = (size_t)g_Z,
                                 .similarity = 0.1 * (i % 6)};
    }
    assert_int_equal(cv_store_insert_generations(s, op, g, 12, NULL, &err), CV_OK);
    /* interpolation: 6 steps, 2 decodes each; consecutive repeats are drawn once */
    assert_int_equal(cv_store_run_begin(s, "interpolate", NULL, "m.cvae", NULL, 7, pipe, &in, &err),
                     CV_OK);
    static const int path[6] = {0, 0, 5, 5, 15, 1};
    for (int i = 0; i < 12; i++) {
        int valid = i % 2 == 0;
        g[i] = (StoreGeneration){.method = "interpolate",
                                 .step = i / 2,
                                 .source = "CCO -> c1ccccc1",
                                 .raw_smiles = valid ? SMILES[path[i / 2]] : "C(",
                                 .valid = valid,
                                 .molecule = valid ? &mols[path[i / 2]] : NULL,
                                 .similarity = NAN};
    }
    assert_int_equal(cv_store_insert_generations(s, in, g, 12, NULL, &err), CV_OK);
    for (size_t i = 0; i < NSMILES; i++) free(canon[i]);
    cv_store_run_finish(s, pipe, STORE_RUN_OK, NULL);
    cv_store_close(s);
    assert_int_equal(cv_store_open(g_empty, 0, &s, &err), CV_OK);
    cv_store_close(s);
}

static int setup(void **state) {
    (void)state;
    if (runcmd_chemvae_path(g_bin, sizeof g_bin)) return -1;
    if (runcmd_mkdtemp(g_dir, sizeof g_dir, "cvreport")) return -1;
    snprintf(g_db, sizeof g_db, "%s/r.db", g_dir);
    snprintf(g_empty, sizeof g_empty, "%s/empty.db", g_dir);
    snprintf(g_model, sizeof g_model, "%s/m.cvae", g_dir);
    snprintf(g_data, sizeof g_data, "%s/d.cvds", g_dir);
    snprintf(g_ae, sizeof g_ae, "%s/ae.cvae", g_dir);
    snprintf(g_hist_model, sizeof g_hist_model, "%s/h.cvae", g_dir);
    cv_chem_log_rdkit(0);
    fixture_model();
    fixture_db();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return runcmd_rmtree(g_dir);
}

static int sh(const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The whole file, malloc'd (caller frees); fails the test when it cannot be read. */
static char *slurp(const char *path) {
    char *buf = NULL;
    size_t n;
    CvError err = {0};
    if (cv_read_file(path, &buf, &n, &err)) fail_msg("%s", err.msg);
    return buf;
}

static void assert_self_contained(const char *html) {
    static const char *const banned[] = {"<script", "<link",  "<img",    "<iframe", "url(",
                                         "http:",   "https:", "@import", "<object", "<embed"};
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
        if (strstr(html, banned[i])) fail_msg("report contains '%s'", banned[i]);
}

/* The number right after the first `marker` in html (after `from` when non-NULL). */
static double number_after(const char *html, const char *marker) {
    const char *p = strstr(html, marker);
    if (!p) fail_msg("report lacks '%s'", marker);
    return strtod(p + strlen(marker), NULL);
}

/* The active units and the KL total of the page against the encoder run here on the test
 * split: the variance of mu per dimension, and the KL term of the validation loss
 * (cv_vae_forward_eval), which the page's KL per dimension must sum to. */
static void check_usage(const char *html) {
    CvDataset ds = {0};
    Vae vae = {0};
    CkptMeta meta = {0};
    CvError err = {0};
    assert_int_equal(cv_dataset_load(&ds, g_data, &err), CV_OK);
    assert_int_equal(cv_ckpt_load(g_model, &vae, &meta, 64, 1, NULL, &err), CV_OK);
    uint32_t *idx;
    size_t n, Z = (size_t)vae.cfg.Z, P = ds.P;
    assert_int_equal(cv_dataset_split_indices(&ds, CV_SPLIT_TEST, &idx, &n, &err), CV_OK);
    assert_true(n >= 2 && n <= 64);
    int32_t *ids = malloc(n * ds.T * sizeof *ids), *len = malloc(n * sizeof *len);
    float *mu = malloc(n * Z * sizeof *mu), *y = malloc(n * P * sizeof *y);
    cv_dataset_fill_ids(&ds, idx, n, ids);
    cv_dataset_fill_props(&ds, idx, n, y);
    for (size_t i = 0; i < n; i++) len[i] = (int32_t)ds.lengths[idx[i]];
    cv_vae_encode(&vae, ids, n, mu, NULL);
    size_t active = 0;
    for (size_t d = 0; d < Z; d++) {
        double m = 0, v = 0;
        for (size_t i = 0; i < n; i++) m += mu[i * Z + d] / (double)n;
        for (size_t i = 0; i < n; i++) v += (mu[i * Z + d] - m) * (mu[i * Z + d] - m) / (double)n;
        active += v > 0.01;
    }
    VaeLoss l;
    cv_vae_forward_eval(&vae, ids, len, y, NULL, n, 1.0f, 0.0f, &l);
    assert_int_equal((size_t)number_after(html, "class=\"active-units\">"), active);
    double kl = number_after(html, "class=\"kl-total\">");
    if (fabs(kl - l.kl) > 1e-4 * fmax(1, fabs(l.kl)))
        fail_msg("KL per dimension sums to %g, the validation loss's KL is %g", kl, l.kl);
    free(ids), free(len), free(mu), free(y), free(idx);
    cv_ckpt_meta_free(&meta);
    cv_vae_free(&vae);
    cv_dataset_free(&ds);
}

/* The head's MAE in the page against the predict job's on the whole test split. */
static void check_mae(const char *html) {
    CvModel m = {0};
    CvError err = {0};
    assert_int_equal(cv_model_load(&m, g_model, 64, &err), CV_OK);
    CvPredictConfig c = CV_PREDICT_DEFAULTS;
    c.data = g_data;
    CvPredictResult res;
    assert_int_equal(cv_predict(&m, &c, NULL, NULL, &res, &err), CV_OK);
    const char *p = html;
    for (size_t k = 0; k < res.P; k++) {
        p = strstr(p, "class=\"n mae\">");
        assert_non_null(p);
        p += strlen("class=\"n mae\">");
        double mae = strtod(p, NULL);
        if (fabs(mae - res.mae[k]) > 1e-5 * fmax(1, res.mae[k]))
            fail_msg("%s: MAE %g in the page, %g by the predict job", res.prop_names[k], mae,
                     res.mae[k]);
    }
    cv_model_free(&m);
}

/* Each top molecule's nearest-neighbour similarity against a brute-force search of the
 * train split (Tanimoto of Morgan r = 2, 2048 bits, computed pairwise from the SMILES). */
static void check_neighbours(const char *html) {
    CvDataset ds = {0};
    CvError err = {0};
    assert_int_equal(cv_dataset_load(&ds, g_data, &err), CV_OK);
    uint32_t *idx;
    size_t n, cards = 0;
    assert_int_equal(cv_dataset_split_indices(&ds, CV_SPLIT_TRAIN, &idx, &n, &err), CV_OK);
    static const char CARD[] = "<div class=\"card\"><svg class=\"mol\"";
    for (const char *p = strstr(html, CARD); p; p = strstr(p + 1, CARD)) {
        const char *t = strstr(p, "<title>") + 7, *e = strstr(t, "</title>");
        char smiles[256];
        snprintf(smiles, sizeof smiles, "%.*s", (int)(e - t), t);
        double best = -1;
        for (size_t i = 0; i < n; i++)
            best = fmax(best, cv_chem_tanimoto_smiles(smiles, dataset_smiles(&ds, idx[i])));
        double shown = number_after(p, "class=\"nn-sim\">");
        if (fabs(shown - best) > 6e-4) fail_msg("%s: nearest %g shown, %g", smiles, shown, best);
        cards++;
    }
    assert_int_equal(cards, 12);
    free(idx);
    cv_dataset_free(&ds);
}

/* The generated molecules' mean logP: the 12 valid samples' RDKit logP. */
static void check_props(const char *html) {
    double sum = 0;
    for (int i = 0; i < 16; i++) {
        ChemScores s;
        if (i % 4 == 3) continue;
        assert_true(cv_chem_score_smiles(SMILES[i], &s, NULL));
        sum += s.logp / 12;
    }
    double shown = number_after(html, "<tr><td>logP</td><td class=\"n\">");
    if (fabs(shown - sum) > 1e-3 * fmax(1, fabs(sum))) fail_msg("mean logP %g, %g", shown, sum);
}

static void test_full_report(void **state) {
    (void)state;
    char out[160], shot[160];
    snprintf(out, sizeof out, "%s/report.html", g_dir);
    /* --compare with a further model as an operand */
    assert_int_equal(sh("'%s' report --db '%s' --out '%s' --model '%s' --data '%s' --compare '%s' "
                        "'%s' --compare-n 8 --compare-samples 10 -j 2 >/dev/null",
                        g_bin, g_db, out, g_model, g_data, g_ae, g_hist_model),
                     0);
    char *html = slurp(out);
    static const char *const ids[] = {"runs",          "training",     "eval",        "failures",
                                      "properties",    "latent",       "predictions", "top",
                                      "interpolation", "optimization", "compare"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        char id[64];
        snprintf(id, sizeof id, "<section id=\"%s\">", ids[i]);
        if (!strstr(html, id)) fail_msg("section %s missing", ids[i]);
    }
    if (strstr(html, "class=\"empty\""))
        fail_msg("a section is empty: %s", strstr(html, "class=\"empty\""));
    assert_self_contained(html);
    assert_non_null(strstr(html, "5 epochs")); /* both train runs joined */
    assert_non_null(strstr(html, "Latent space (PCA)"));
    assert_non_null(strstr(html, "coloured by logP"));
    assert_non_null(strstr(html, "prior samples: 16 latent vectors of run 5"));
    assert_non_null(strstr(html, "optimization paths: 12 latent vectors of run 6"));
    assert_non_null(strstr(html, "<title>sampled: ")); /* tooltips of the overlays */
    assert_non_null(strstr(html, "<title>optimized from CCO, step 5: "));
    assert_non_null(strstr(html, "<title>CCO</title>")); /* a drawing's tooltip */
    assert_non_null(strstr(html, "75.0% valid"));        /* 12 of 16 samples */
    assert_non_null(strstr(html, "2 start molecules"));
    assert_non_null(strstr(html, "distinct valid molecules by QED")); /* grid */
    assert_non_null(
        strstr(html, "penalized logP (RDKit)")); /* trajectories follow the run's objective */
    assert_non_null(strstr(html, "reconstruction"));
    /* the eval's MOSES metric beside MOSES's published rows, the others as not measured */
    assert_non_null(strstr(html, "<td>MOSES: JT-VAE</td>"));
    assert_non_null(strstr(html, "<td class=\"n\">0.1428</td><td class=\"n\">&ndash;</td>"));
    assert_non_null(strstr(html, "Why decodes failed")); /* invalid samples by failure class */
    /* 4 invalid samples (one unclassified) and 6 unclassified interpolation decodes "C(" */
    assert_non_null(strstr(html, "All 10 invalid decodes in scope by class"));
    assert_non_null(strstr(html, "<tr><td>syntax (RDKit)</td><td class=\"n\">7</td>"));
    assert_non_null(strstr(html, "<tr><td>valence</td><td class=\"n\">1</td>"));
    assert_non_null(strstr(html, "<div class=\"ex\">C1CC(</div>"));
    assert_non_null(strstr(html, "against 12 training molecules")); /* the whole train split */
    assert_int_equal(runcmd_count(html, "<table class=\"compare\"><tr>"), 1);
    char ae_row[256]; /* the autoencoder's row: Z, beta 0, 3 epochs */
    snprintf(ae_row, sizeof ae_row,
             "ae.cvae</td><td class=\"n\">%d</td><td class=\"n\">0</td><td class=\"n\">3</td>",
             g_Z);
    assert_non_null(strstr(html, ae_row));
    check_usage(html);
    check_mae(html);
    check_neighbours(html);
    check_props(html);
    /* training 5, failure shares 1, properties 4, latent map + KL 2, predictions 3 (the
     * head's properties), trajectories 1, compared models 3 x (map + KL) */
    assert_int_equal(runcmd_count(html, "<svg class=\"chart\""), 5 + 1 + 4 + 2 + 3 + 1 + 6);
    /* 12 top molecules and their 12 neighbours + 4 interpolation steps (6 steps, two repeats)
     * + 2 best optimized */
    assert_int_equal(runcmd_count(html, "<svg class=\"mol\""), 12 + 12 + 4 + 2);
    assert_int_equal(runcmd_count(html, "<svg"), runcmd_count(html, "</svg>"));
    free(html);
    snprintf(shot, sizeof shot, "%s/report.png", g_dir);
    if (sh("tests/check-html-render.sh '%s' '%s'", out, shot) != 0)
        fail_msg("headless Chromium check failed");
}

static void test_scopes_and_empty(void **state) {
    (void)state;
    char out[160];
    snprintf(out, sizeof out, "%s/empty.html", g_dir);
    assert_int_equal(sh("'%s' report --db '%s' --out '%s' >/dev/null", g_bin, g_empty, out), 0);
    char *html = slurp(out);
    assert_int_equal(runcmd_count(html, "class=\"empty\""),
                     CV_REPORT_SECTIONS); /* every section says it has no data */
    assert_self_contained(html);
    free(html);
    /* a model without training rows in the DB: its checkpoint's own summary, and the map */
    assert_int_equal(sh("'%s' report --db '%s' --out '%s' --model '%s' --data '%s' >/dev/null",
                        g_bin, g_empty, out, g_model, g_data),
                     0);
    html = slurp(out);
    assert_non_null(strstr(html, "the model was trained elsewhere"));
    assert_non_null(strstr(html, "No training curves: neither this database nor"));
    assert_non_null(strstr(html, "Latent space (PCA)"));
    /* runs, eval, failures, properties, top, interpolation, optimization, compare */
    assert_int_equal(runcmd_count(html, "class=\"empty\""), 8);
    free(html);
    /* the same with a training history file beside the model: its curves */
    assert_int_equal(sh("'%s' report --db '%s' --out '%s' --model '%s' --data '%s' >/dev/null",
                        g_bin, g_empty, out, g_hist_model, g_data),
                     0);
    html = slurp(out);
    assert_non_null(strstr(html, "the model was trained elsewhere"));
    assert_non_null(strstr(html, "h.training.csv: 3 epochs"));
    /* training: 5 curves + exact strings + active units (from the extra column); the map,
     * the KL bars and the head's 3 properties */
    assert_int_equal(runcmd_count(html, "<svg class=\"chart\""), 7 + 2 + 3);
    assert_non_null(strstr(html, "Active latent units"));
    free(html);
    /* scope = the sampling run (id 5): no training, no optimization; sampling in the grid */
    assert_int_equal(sh("'%s' report --db '%s' --run 5 --out '%s' --score qed --top 3 >/dev/null",
                        g_bin, g_db, out),
                     0);
    html = slurp(out);
    assert_non_null(strstr(html, "No training metrics"));
    assert_non_null(strstr(html, "No optimization"));
    assert_non_null(strstr(html, "The 3 best distinct valid molecules by QED"));
    free(html);
    assert_int_equal(
        sh("'%s' report --db '%s' --run latest --out '%s' >/dev/null", g_bin, g_db, out), 0);
    assert_int_equal(
        sh("'%s' report --db '%s' --run latest --out '%s' 2>/dev/null", g_bin, g_empty, out), 1);
    assert_int_equal(sh("'%s' report --db '%s' --run 99 --out '%s' 2>/dev/null", g_bin, g_db, out),
                     1);
    assert_int_equal(sh("'%s' report --db '%s' --score bogus 2>/dev/null", g_bin, g_db), 2);
    assert_int_equal(sh("'%s' report --db '%s' --model '%s' 2>/dev/null", g_bin, g_db, g_model), 2);
    /* models as operands belong to --compare, which needs --model and --data */
    assert_int_equal(
        sh("'%s' report --db '%s' --out '%s' '%s' 2>/dev/null", g_bin, g_db, out, g_ae), 2);
    assert_int_not_equal(
        sh("'%s' report --db '%s' --out '%s' --compare '%s' 2>/dev/null", g_bin, g_db, out, g_ae),
        0);
    assert_int_equal(sh("'%s' report --db '%s/none.db' --out '%s' 2>/dev/null", g_bin, g_dir, out),
                     1);
}

/* `chemvae eval` on the same checkpoint and dataset: the beam, JT-VAE's stochastic
 * protocol, the failure classes and MOSES's metrics (moses_*, not with --no-moses) are
 * reported; a bad beam width is a usage error. */
static void test_eval_options(void **state) {
    (void)state;
    char out[160];
    snprintf(out, sizeof out, "%s/eval.csv", g_dir);
    assert_int_equal(
        sh("'%s' eval --model '%s' --data '%s' --split valid --samples 20 --beam 3 --stochastic 2 "
           "--constrain none --no-db > '%s' 2>/dev/null",
           g_bin, g_model, g_data, out),
        0);
    char *csv = slurp(out);
    static const char *const rows[] = {
        "reconstruction,", "recon_tanimoto,", "recon_stochastic,", "recon_stochastic_molecules,2",
        "validity,",       "fail_syntax,",    "fail_aromaticity,", "int_div,",
        "moses_valid,",    "moses_IntDiv2,",  "moses_Filters,",    "moses_novelty,",
        "moses_SNN,",      "moses_Scaf,",     "moses_weight,"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (!strstr(csv, rows[i])) fail_msg("eval output lacks '%s':\n%s", rows[i], csv);
    free(csv);
    assert_int_equal(sh("'%s' eval --model '%s' --data '%s' -n 2 --samples 5 --no-moses --no-db "
                        "> '%s' 2>/dev/null",
                        g_bin, g_model, g_data, out),
                     0);
    csv = slurp(out);
    if (!strstr(csv, "validity,") || strstr(csv, "moses_")) fail_msg("eval --no-moses:\n%s", csv);
    free(csv);
    assert_int_equal(sh("'%s' eval --model '%s' --data '%s' --beam 0 --no-db 2>/dev/null", g_bin,
                        g_model, g_data),
                     2);
    assert_int_equal(sh("'%s' eval --model '%s' --data '%s' --constrain strict --no-db 2>/dev/null",
                        g_bin, g_model, g_data),
                     2);
}

/* `chemvae eval OPTS` on the fixture (-n 2, 5 prior samples, no MOSES, one thread): its
 * exit code, with its stdout (`err`: its stderr instead) in the malloc'd *out. */
static int eval_output(const char *opts, int err, char **out) {
    int rc = runcmd_capturef(out,
                             "'%s' eval --model '%s' --data '%s' -n 2 --samples 5 --no-moses "
                             "--no-db --threads 1 %s %s",
                             g_bin, g_model, g_data, opts, err ? "2>&1 >/dev/null" : "2>/dev/null");
    assert_true(rc >= 0);
    return rc;
}

/* `chemvae eval --format csv|json`: csv is the default output byte for byte, json what
 * --json prints; another format is a usage error naming the two. */
static void test_eval_format(void **state) {
    (void)state;
    char *plain, *csv, *json, *format_json, *bad;
    assert_int_equal(eval_output("", 0, &plain), 0);
    assert_int_equal(eval_output("--format csv", 0, &csv), 0);
    assert_int_equal(eval_output("--json", 0, &json), 0);
    assert_int_equal(eval_output("--format json", 0, &format_json), 0);
    assert_int_equal(eval_output("--format xml", 1, &bad), 2);
    assert_non_null(strstr(plain, "metric,value\nreconstruction,"));
    assert_string_equal(csv, plain);
    assert_true(json[0] == '{' && strstr(json, "\"validity\": "));
    assert_string_equal(format_json, json);
    assert_non_null(strstr(bad, "--format expects csv or json, got 'xml'"));
    free(plain);
    free(csv);
    free(json);
    free(format_json);
    free(bad);
}

/* What the library test's hooks and warning callback saw. */
typedef struct {
    size_t sections, stop_after, total;
    int warnings;
} Watch;

static void watch_progress(void *user, size_t done, size_t total, const char *status) {
    Watch *w = user;
    assert_int_equal(done, w->sections + 1);
    assert_non_null(status);
    w->sections = done;
    w->total = total;
}
static int watch_interrupted(void *user) {
    const Watch *w = user;
    return w->stop_after && w->sections >= w->stop_after ? 2 : 0;
}
static void watch_warn(void *user, const char *msg) {
    assert_non_null(strstr(msg, "no such property"));
    ((Watch *)user)->warnings++;
}

/* cv_report_write as a library call: progress after each section, warnings through the
 * callback, an interrupt between sections writes no page, bad configs and runs fail. */
static void test_library_call(void **state) {
    (void)state;
    char out[160];
    snprintf(out, sizeof out, "%s/lib.html", g_dir);
    Watch w = {0};
    CvHooks h = {.progress = watch_progress, .interrupted = watch_interrupted, .user = &w};
    CvReportConfig cfg = CV_REPORT_DEFAULTS;
    cfg.db_path = g_db, cfg.out_path = out, cfg.model = g_model, cfg.data = g_data;
    cfg.color_by = "nope", cfg.warn = watch_warn, cfg.warn_user = &w;
    CvReportResult res;
    CvError err = {0};
    assert_int_equal(cv_report_write(&cfg, &h, &res, &err), CV_OK);
    assert_int_equal(w.sections, CV_REPORT_SECTIONS);
    assert_int_equal(w.total, CV_REPORT_SECTIONS);
    assert_int_equal(w.warnings, 1); /* the map cannot be coloured by "nope" */
    assert_int_equal(res.interrupted, 0);
    assert_int_equal(res.scope, 0);
    char *html = slurp(out);
    assert_int_equal(res.bytes, (int64_t)strlen(html));
    assert_non_null(strstr(html, "No latent-space map: --color-by nope"));
    free(html);
    snprintf(out, sizeof out, "%s/stopped.html", g_dir);
    w = (Watch){.stop_after = 3};
    cfg.color_by = NULL;
    cfg.run = CV_REPORT_RUN_LATEST;
    assert_int_equal(cv_report_write(&cfg, &h, &res, &err), CV_OK);
    assert_int_equal(res.interrupted, 2);
    assert_int_equal(res.scope, 1); /* the pipeline run */
    assert_int_equal(w.sections, 3);
    assert_int_equal(access(out, F_OK), -1); /* no page */
    cfg.run = 99;
    assert_int_equal(cv_report_write(&cfg, NULL, NULL, &err), CV_ERR_INVALID);
    cfg.run = 0;
    cfg.score = "bogus";
    assert_int_equal(cv_report_write(&cfg, NULL, NULL, &err), CV_ERR_INVALID);
    cfg.score = "qed";
    cfg.db_path = g_empty;
    cfg.run = CV_REPORT_RUN_LATEST;
    assert_int_equal(cv_report_write(&cfg, NULL, NULL, &err), CV_ERR_EMPTY);
}

/* The history reader on its own: the fixture file's rows, and the files it refuses. */
static void test_history_read(void **state) {
    (void)state;
    char path[160];
    snprintf(path, sizeof path, "%s/h.training.csv", g_dir);
    char *hp = cv_train_history_path(g_hist_model);
    assert_string_equal(hp, path);
    free(hp);
    CvTrainingHistory h;
    CvError err = {0};
    assert_int_equal(cv_report_history_read(path, &h, &err), CV_OK);
    assert_int_equal(h.n, 6); /* the test row and the broken record skipped */
    assert_int_equal(h.split[1], CV_SPLIT_VALID);
    assert_true(fabs(h.v[1 * CV_HISTORY_COLS + 1] - 42.0) < 1e-12); /* valid loss, epoch 1 */
    assert_true(fabs(h.v[5 * CV_HISTORY_COLS + 6] - 0.3) < 1e-12);  /* tf_exact, epoch 3 */
    assert_true(fabs(h.v[5 * CV_HISTORY_COLS + 7] - 3) < 1e-12);    /* active units */
    assert_true(isnan(h.v[4 * CV_HISTORY_COLS + 7]));               /* train: no extra */
    cv_report_history_free(&h);
    snprintf(path, sizeof path, "%s/bad.training.csv", g_dir);
    CvError e2 = {0};
    assert_int_equal(cv_atomic_write_file(path, "loss,kl\n1,2\n", 12, &e2), CV_OK);
    assert_int_equal(cv_report_history_read(path, &h, &err), CV_ERR_PARSE);
    assert_non_null(strstr(err.msg, "no 'epoch' and 'split' columns"));
    assert_int_equal(h.n, 0);
    assert_int_equal(cv_atomic_write_file(path, "", 0, &e2), CV_OK);
    assert_int_equal(cv_report_history_read(path, &h, &err), CV_ERR_PARSE);
    snprintf(path, sizeof path, "%s/none.training.csv", g_dir);
    assert_int_equal(cv_report_history_read(path, &h, &err), CV_ERR_IO);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_options), cmocka_unit_test(test_eval_format),
        cmocka_unit_test(test_full_report),  cmocka_unit_test(test_scopes_and_empty),
        cmocka_unit_test(test_library_call), cmocka_unit_test(test_history_read),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
