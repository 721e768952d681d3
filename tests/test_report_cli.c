/* test_report_cli.c — `chemvae report` end to end ($BUILD/chemvae, BUILD from the
 * environment, default "build"). A fixture DB written through the store API holds a train run
 * (5 epochs, train + valid rows, resumed once), an eval run, a sampling run, an optimization
 * run (2 start molecules × 6 steps) and an interpolation run; a tiny untrained model and a
 * 24-molecule dataset feed the latent map. Checks: every section is present and filled, the
 * page is self-contained (no script, link, img, iframe, url(), http(s)), molecules are
 * drawn, a run scope and an empty DB give the right "no data" notes, bad options fail; the
 * page renders in headless Chromium without console messages and is not blank
 * (tests/check-html-render.sh); and cv_report_write called as a library reports progress
 * and warnings through its callbacks and writes no page when interrupted. */
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

#include "chemvae/model/checkpoint.h"
#include "chemvae/chem/chem.h"
#include "chemvae/data/dataset.h"
#include "chemvae/core/fileio.h"
#include "chemvae/report/report.h"
#include "chemvae/store/store.h"
#include "chemvae/model/vae.h"
#include "support/runcmd.h"

static char g_dir[64], g_bin[600], g_db[128], g_empty[128], g_model[128], g_data[128];

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

/* Writes the dataset and an untrained tiny model for the latent map. */
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
    VaeConfig cfg;
    assert_int_equal(cv_vae_config_preset("tiny", (int)ds.T, (int)ds.V, (int)ds.P, &cfg, &err),
                     CV_OK);
    Vae vae = {0};
    CvRng rng;
    cv_rng_init(&rng, 3);
    assert_int_equal(cv_vae_init(&vae, &cfg, 8, &rng, &err), CV_OK);
    CkptMeta meta = {0};
    meta.cfg = cfg;
    assert_int_equal(
        cv_ckpt_meta_set_vocab(&meta, (const char *const *)ds.vocab.tokens, (int)ds.vocab.n, &err),
        CV_OK);
    meta.P = (int)ds.P;
    for (size_t p = 0; p < ds.P; p++) {
        snprintf(meta.prop_names[p], CKPT_NAME_MAX, "%s", ds.prop_names[p]);
        meta.prop_mean[p] = ds.prop_mean[p];
        meta.prop_std[p] = ds.prop_std[p];
    }
    assert_int_equal(cv_ckpt_save(g_model, &vae, &meta, 0, &err), CV_OK);
    cv_ckpt_meta_free(&meta);
    cv_vae_free(&vae);
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
    char *canon[NSMILES] = {0};
    StoreMolecule mols[NSMILES];
    for (size_t i = 0; i < NSMILES; i++) mols[i] = mol(SMILES[i], &canon[i]);
    /* sampling: 16 decodes, 12 valid */
    StoreGeneration g[40];
    memset(g, 0, sizeof g);
    assert_int_equal(cv_store_run_begin(s, "sample", NULL, "m.cvae", NULL, 7, pipe, &sa, &err),
                     CV_OK);
    for (int i = 0; i < 16; i++) {
        int valid = i % 4 != 3;
        g[i] = (StoreGeneration){.method = "sample",
                                 .step = i,
                                 .source = "prior",
                                 .raw_smiles = valid ? SMILES[i] : "C1CC(",
                                 .valid = valid,
                                 .molecule = valid ? &mols[i] : NULL,
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

static void test_full_report(void **state) {
    (void)state;
    char out[160], shot[160];
    snprintf(out, sizeof out, "%s/report.html", g_dir);
    assert_int_equal(sh("'%s' report --db '%s' --out '%s' --model '%s' --data '%s' >/dev/null",
                        g_bin, g_db, out, g_model, g_data),
                     0);
    char *html = slurp(out);
    static const char *const ids[] = {"runs", "training",      "eval",        "latent",
                                      "top",  "interpolation", "optimization"};
    for (size_t i = 0; i < 7; i++) {
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
    assert_non_null(strstr(html, "75.0% valid")); /* 12 of 16 samples */
    assert_non_null(strstr(html, "2 start molecules"));
    assert_non_null(strstr(html, "distinct valid molecules by QED")); /* grid */
    assert_non_null(
        strstr(html, "penalized logP (RDKit)")); /* trajectories follow the run's objective */
    assert_non_null(strstr(html, "reconstruction"));
    assert_non_null(strstr(html, "Why decodes failed")); /* invalid samples by failure class */
    assert_int_equal(runcmd_count(html, "<svg class=\"chart\""),
                     5 + 1 + 1); /* training, latent, trajectories */
    /* 12 top molecules + 4 interpolation steps (6 steps, two repeats) + 2 best optimized */
    assert_int_equal(runcmd_count(html, "<svg class=\"mol\""), 12 + 4 + 2);
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
                     8); /* every section says it has no data */
    assert_self_contained(html);
    free(html);
    /* a model without training rows in the DB: its checkpoint's own summary, and the map */
    assert_int_equal(sh("'%s' report --db '%s' --out '%s' --model '%s' --data '%s' >/dev/null",
                        g_bin, g_empty, out, g_model, g_data),
                     0);
    html = slurp(out);
    assert_non_null(strstr(html, "the model was trained elsewhere"));
    assert_non_null(strstr(html, "Latent space (PCA)"));
    assert_int_equal(runcmd_count(html, "class=\"empty\""), 6);
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
    assert_int_equal(sh("'%s' report --db '%s/none.db' --out '%s' 2>/dev/null", g_bin, g_dir, out),
                     1);
}

/* `chemvae eval` on the same checkpoint and dataset: the beam, JT-VAE's stochastic
 * protocol and the failure classes are reported; a bad beam width is a usage error. */
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
        "validity,",       "fail_syntax,",    "fail_aromaticity,", "int_div,"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (!strstr(csv, rows[i])) fail_msg("eval output lacks '%s':\n%s", rows[i], csv);
    free(csv);
    assert_int_equal(sh("'%s' eval --model '%s' --data '%s' --beam 0 --no-db 2>/dev/null", g_bin,
                        g_model, g_data),
                     2);
    assert_int_equal(sh("'%s' eval --model '%s' --data '%s' --constrain strict --no-db 2>/dev/null",
                        g_bin, g_model, g_data),
                     2);
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
    assert_int_equal(w.sections, 8);
    assert_int_equal(w.total, 8);
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_options),
        cmocka_unit_test(test_full_report),
        cmocka_unit_test(test_scopes_and_empty),
        cmocka_unit_test(test_library_call),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
