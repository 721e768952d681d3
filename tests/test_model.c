/* test_model.c — the whole VAE: finite-difference gradient check of every tensor on the
 * tiny preset (and of d(property)/dz), overfitting 32 molecules to exact reconstruction,
 * the head's output back in real units (cv_ckpt_prop_denormalize), checkpoint round trip
 * bit-exact, corrupted / truncated / newer / wrong-vocab checkpoints refused by name, resume
 * equal to an uninterrupted run, and determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/model/checkpoint.h"
#include "chemvae/data/dataset.h"
#include "chemvae/core/fileio.h"
#include "chemvae/model/head.h"
#include "chemvae/nn/rowpar.h"
#include "chemvae/model/train.h"
#include "chemvae/model/vae.h"
#include "chemvae/data/vocab.h"

static const char *const SMILES[] = {
    "CCN(Cc1ccc(OC)c(OC)c1)C(=O)c1ccsc1",
    "Cc1ccc(CNc2ncnc(N3CCCC3)c2N)cc1",
    "O=C(Nc1ccccc1)c1ccncc1",
    "CC(C)Oc1ccc(C(=O)N2CCOCC2)cc1",
    "COc1ccc(S(=O)(=O)N2CCCCC2)cc1",
    "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "CC(=O)Nc1ccc(O)cc1",
    "O=C(O)c1ccccc1O",
    "CCOC(=O)c1ccc(N)cc1",
    "Clc1ccc(Cl)cc1",
    "CC1=CC(=O)CC(C)(C)C1",
    "N#Cc1ccc(Br)cc1",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
    "C[C@@H](N)C(=O)O",
    "c1ccc2[nH]ccc2c1",
    "CN1CCC[C@H]1c1cccnc1",
    "OC[C@H]1OC(O)[C@H](O)[C@@H](O)[C@@H]1O",
    "CCCCCCCCCCCCCCCC(=O)O",
    "O=[N+]([O-])c1ccccc1",
    "CC(C)(C)c1ccc(O)cc1",
    "FC(F)(F)c1ccccc1",
    "C1CCC2(CC1)OCCO2",
    "CSc1nc2ccccc2s1",
    "NC(=O)c1cccnc1",
    "CCN(CC)CC",
    "c1ccc(-c2ccccc2)cc1",
    "O=C1CCCN1",
    "CC(=O)OC1CCCCC1",
    "Oc1ccc2ccccc2c1",
    "COC(=O)C=Cc1ccccc1",
    "CN(C)C(=O)c1ccc(F)cc1",
    "Cc1cc(C)nc(N)n1",
};
#define NSMILES (sizeof SMILES / sizeof SMILES[0])

typedef struct {
    CvDataset ds;
    VaeConfig cfg;
} Fixture;

static void build_dataset(CvDataset *ds, size_t T, double train_ratio) {
    float props[NSMILES * 2];
    for (size_t i = 0; i < NSMILES; i++) {
        props[2 * i] = (float)strlen(SMILES[i]);
        props[2 * i + 1] = (float)(i % 5);
    }
    const char *names[] = {"len", "mod5"};
    CvDatasetOptions opt;
    cv_dataset_options_default(&opt);
    opt.T = T;
    opt.ratios[0] = train_ratio;
    opt.ratios[1] = 1.0 - train_ratio;
    opt.ratios[2] = 0.0;
    CvError err;
    CvStatus st = cv_dataset_build(ds, SMILES, NSMILES, props, 2, names, NULL, &opt, &err);
    if (st) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(st, CV_OK);
}

static void tiny_model_with(Vae *vae, const CvDataset *ds, size_t max_B, uint64_t seed, int z_all) {
    VaeConfig cfg;
    CvError err;
    assert_int_equal(cv_vae_config_preset("tiny", (int)ds->T, (int)ds->V, (int)ds->P, &cfg, &err),
                     CV_OK);
    cfg.dec_z_all = z_all;
    CvRng rng;
    cv_rng_init(&rng, seed);
    assert_int_equal(cv_vae_init(vae, &cfg, max_B, &rng, &err), CV_OK);
    assert_int_equal(vae->params.total >= (size_t)cv_vae_config_param_count(&cfg), 1);
}

static void tiny_model(Vae *vae, const CvDataset *ds, size_t max_B, uint64_t seed) {
    tiny_model_with(vae, ds, max_B, seed, 0);
}

/* Batch of the first B molecules. */
static void first_batch(const CvDataset *ds, size_t B, int32_t *ids, int32_t *len, float *props) {
    uint32_t rows[64] = {0};
    for (size_t i = 0; i < B; i++) rows[i] = (uint32_t)i;
    cv_dataset_fill_ids(ds, rows, B, ids);
    cv_dataset_fill_props(ds, rows, B, props);
    for (size_t i = 0; i < B; i++) len[i] = (int32_t)ds->lengths[i];
}

static int close_enough(double a, double n) {
    return fabs(a - n) <= 1e-2 * fmax(fabs(a), fabs(n)) + 3e-3;
}

/* Finite-difference check of the whole model's loss gradient at 6 entries of every tensor.
 * corrupt >= 0: multiply the analytic gradient of that probed entry by 1.1 first (a
 * deliberately wrong derivative the checker must catch). Returns the entries outside the
 * tolerance. */
static size_t whole_model_gradcheck_with(long corrupt, int recipe, int z_all) {
    CvDataset ds;
    build_dataset(&ds, 48, 1.0);
    Vae vae;
    tiny_model_with(&vae, &ds, 8, 3, z_all);
    const size_t B = 6, Z = (size_t)vae.cfg.Z;
    int32_t ids[6 * 48], len[6];
    float props[6 * 2], eps[6 * 8];
    first_batch(&ds, B, ids, len, props);
    CvRng rng;
    cv_rng_init(&rng, 11);
    cv_rng_fill_normal(&rng, eps, B * Z);
    const float beta = 0.7f, pw = 0.9f;
    /* recipe: the training-recipe knobs on: free bits (a floor between the dimensions'
     * KLs, so some are floored and some not), word dropout (a fixed draw), another
     * spelling for the encoder (here: other molecules), frozen batchnorm */
    int32_t enc_ids[6 * 48];
    uint32_t other[6] = {7, 8, 9, 10, 11, 12};
    cv_dataset_fill_ids(&ds, other, B, enc_ids);
    VaeStepOptions so = {.beta = beta, .prop_weight = pw};
    if (recipe) {
        so.word_dropout = 0.3f;
        so.dropout_seed = 5;
        so.enc_ids = enc_ids;
        so.bn_frozen = 1;
    }
    VaeLoss l;
    cv_vae_train_step(&vae, ids, len, props, NULL, eps, B, &so, &l);
    if (recipe) {
        /* the floor in the middle of the widest gap between the dimensions' KLs, so the
         * probes (h = 0.01) do not carry a dimension across it */
        double kl[8], best_gap = -1;
        for (size_t d = 0; d < Z; d++) kl[d] = vae.kl_dim[d];
        for (size_t a = 0; a < Z; a++)
            for (size_t b = a + 1; b < Z; b++)
                if (kl[b] < kl[a]) {
                    double t = kl[a];
                    kl[a] = kl[b], kl[b] = t;
                }
        for (size_t d = 0; d + 1 < Z; d++)
            if (kl[d + 1] - kl[d] > best_gap)
                best_gap = kl[d + 1] - kl[d], so.free_bits = (float)(0.5 * (kl[d] + kl[d + 1]));
        cv_vae_train_step(&vae, ids, len, props, NULL, eps, B, &so, &l);
    }
    assert_true(isfinite(l.loss) && l.recon > 0 && l.kl > 0 && l.prop > 0);
    size_t total = vae.params.total;
    float *analytic = malloc(total * sizeof(float));
    memcpy(analytic, vae.params.grad, total * sizeof(float));
    size_t checked = 0, failed = 0;
    for (size_t t = 0; t < vae.params.count; t++) {
        const NnParamInfo *in = &vae.params.info[t];
        size_t probes = in->n < 6 ? in->n : 6;
        for (size_t k = 0; k < probes; k++) {
            size_t i = in->off + (k * 7919u) % in->n;
            if ((long)checked == corrupt) analytic[i] = analytic[i] * 1.1f + 0.01f;
            float keep = vae.params.data[i];
            const float h = 1e-2f;
            VaeLoss lp, lm;
            vae.params.data[i] = keep + h;
            cv_vae_train_step(&vae, ids, len, props, NULL, eps, B, &so, &lp);
            vae.params.data[i] = keep - h;
            cv_vae_train_step(&vae, ids, len, props, NULL, eps, B, &so, &lm);
            vae.params.data[i] = keep;
            double num = (lp.loss - lm.loss) / (2.0 * h), an = analytic[i];
            if (!close_enough(an, num)) {
                failed++;
                if (corrupt < 0)
                    fprintf(stderr, "  %s[%zu]: analytic %.6g numeric %.6g\n", in->name,
                            i - in->off, an, num);
            }
            checked++;
        }
    }
    if (corrupt < 0)
        fprintf(stderr,
                "  whole-model gradcheck: %zu entries over %zu tensors, %zu outside tolerance\n",
                checked, vae.params.count, failed);
    free(analytic);
    cv_vae_free(&vae);
    cv_dataset_free(&ds);
    return failed;
}

static size_t whole_model_gradcheck(long corrupt) {
    return whole_model_gradcheck_with(corrupt, 0, 0);
}

/* The decoder after chemical_vae (h_z into every GRU layer, the token into the last). */
static void test_whole_model_gradcheck_z_every_layer(void **state) {
    (void)state;
    assert_int_equal(whole_model_gradcheck_with(-1, 0, 1), 0);
}

static void test_whole_model_gradcheck(void **state) {
    (void)state;
    assert_int_equal(whole_model_gradcheck(-1), 0);
}

/* The same with free bits, word dropout, a separate encoder input and frozen batchnorm. */
static void test_whole_model_gradcheck_recipe(void **state) {
    (void)state;
    assert_int_equal(whole_model_gradcheck_with(-1, 1, 0), 0);
}

/* The checker must catch a wrong derivative (here: in the first conv weight). */
/* Length-aware training changes the cost, not the model: running the decoder over all T
 * steps (padding included) gives the same loss and the same gradients as stopping at the
 * batch's longest molecule. */
static void test_full_length_same_step(void **state) {
    (void)state;
    CvDataset ds;
    build_dataset(&ds, 48, 1.0);
    Vae vae;
    tiny_model(&vae, &ds, 8, 3);
    const size_t B = 6, Z = (size_t)vae.cfg.Z;
    int32_t ids[6 * 48], len[6];
    float props[6 * 2], eps[6 * 8];
    first_batch(&ds, B, ids, len, props);
    int32_t longest = 0;
    for (size_t b = 0; b < B; b++) longest = len[b] > longest ? len[b] : longest;
    assert_true(longest < vae.cfg.T); /* the trimmed side really skips steps */
    CvRng rng;
    cv_rng_init(&rng, 11);
    cv_rng_fill_normal(&rng, eps, B * Z);
    VaeStepOptions so = {
        .beta = 0.5f, .prop_weight = 1.0f, .word_dropout = 0.2f, .dropout_seed = 3};
    VaeLoss trimmed, full;
    cv_vae_train_step(&vae, ids, len, props, NULL, eps, B, &so, &trimmed);
    assert_int_equal(vae.steps, (size_t)longest);
    size_t total = vae.params.total;
    float *g = malloc(total * sizeof *g);
    memcpy(g, vae.params.grad, total * sizeof *g);
    so.full_length = 1;
    cv_vae_train_step(&vae, ids, len, props, NULL, eps, B, &so, &full);
    assert_int_equal(vae.steps, (size_t)vae.cfg.T);
    assert_true(fabs(full.loss - trimmed.loss) <= 1e-5 * fabs(trimmed.loss));
    assert_int_equal(full.tokens, trimmed.tokens);
    assert_int_equal(full.correct, trimmed.correct);
    assert_int_equal(full.exact, trimmed.exact);
    double worst = 0, scale = 0;
    for (size_t i = 0; i < total; i++) {
        worst = fmax(worst, fabs((double)g[i] - vae.params.grad[i]));
        scale = fmax(scale, fabs((double)g[i]));
    }
    assert_true(worst <= 1e-4 * scale);
    free(g);
    cv_vae_free(&vae);
    cv_dataset_free(&ds);
}

static void test_gradcheck_catches_error(void **state) {
    (void)state;
    assert_true(whole_model_gradcheck(2) >= 1);
}

static void test_property_dz_gradcheck(void **state) {
    (void)state;
    CvDataset ds;
    build_dataset(&ds, 48, 1.0);
    Vae vae;
    tiny_model(&vae, &ds, 4, 5);
    const size_t B = 3, Z = (size_t)vae.cfg.Z, P = ds.P;
    float z[3 * 8], r[3 * 2], pred[3 * 2], dz[3 * 8] = {0};
    CvRng rng;
    cv_rng_init(&rng, 9);
    cv_rng_fill_normal(&rng, z, B * Z);
    cv_rng_fill_normal(&rng, r, B * P);
    cv_vae_prop_forward(&vae, z, B, pred);
    cv_vae_prop_backward(&vae, z, r, B, dz);
    for (size_t i = 0; i < B * Z; i++) {
        float keep = z[i];
        double lp = 0, lm = 0;
        z[i] = keep + 1e-2f;
        cv_vae_prop_forward(&vae, z, B, pred);
        for (size_t k = 0; k < B * P; k++) lp += (double)r[k] * pred[k];
        z[i] = keep - 1e-2f;
        cv_vae_prop_forward(&vae, z, B, pred);
        for (size_t k = 0; k < B * P; k++) lm += (double)r[k] * pred[k];
        z[i] = keep;
        double num = (lp - lm) / 2e-2;
        assert_true(fabs(num - dz[i]) <= 1e-2 * fmax(fabs(num), fabs(dz[i])) + 1e-4);
    }
    cv_vae_free(&vae);
    cv_dataset_free(&ds);
}

static void test_overfit_32_molecules(void **state) {
    (void)state;
    CvDataset ds;
    build_dataset(&ds, 48, 1.0);
    VaeConfig cfg;
    CvError err;
    assert_int_equal(cv_vae_config_preset("tiny", (int)ds.T, (int)ds.V, (int)ds.P, &cfg, &err),
                     CV_OK);
    cfg.H = 96;
    cfg.Z = 16;
    cfg.dec_dense = 32;
    cfg.enc_dense = 64;
    Vae vae;
    CvRng rng;
    cv_rng_init(&rng, 1);
    assert_int_equal(cv_vae_init(&vae, &cfg, NSMILES, &rng, &err), CV_OK);
    TrainOptions o;
    cv_train_options_default(&o);
    o.batch = NSMILES;
    o.epochs = 400;
    o.kl_max = 1e-4f;
    o.kl_slope = 0;
    o.adam.lr = 5e-3f;
    o.recon_sample = 0;
    CkptMeta meta = {0};
    assert_int_equal(cv_train_run(&vae, &meta, &ds, &o, NULL, &err), CV_OK);
    int32_t ids[NSMILES * 48], len[NSMILES], dec[NSMILES * 48], declen[NSMILES];
    float props[NSMILES * 2], mu[NSMILES * 16];
    first_batch(&ds, NSMILES, ids, len, props);
    cv_vae_encode(&vae, ids, NSMILES, mu, NULL);
    cv_vae_decode(&vae, mu, NSMILES, 0.0f, NULL, dec, declen);
    size_t hits = 0;
    for (size_t i = 0; i < NSMILES; i++)
        hits += memcmp(dec + i * ds.T, ids + i * ds.T, (size_t)len[i] * sizeof(int32_t)) == 0;
    fprintf(stderr, "  overfit: %zu/%zu reconstructed exactly\n", hits, NSMILES);
    assert_int_equal(hits, NSMILES);
    /* decoding does not depend on the thread count (rows split over threads, finished rows
     * dropped) nor on the batch around a row, greedy or sampled */
    int32_t one[48], onelen, d1[NSMILES * 48], l1[NSMILES], d2[NSMILES * 48], l2[NSMILES];
    int blas_threads = cv_nn_blas_threads_set(1);
    for (int sampled = 0; sampled < 2; sampled++) {
        float temp = sampled ? 1.5f : 0.0f;
        CvRng r1, r2;
        cv_rng_init(&r1, 9), cv_rng_init(&r2, 9);
        cv_nn_blas_threads_set(1);
        cv_vae_decode(&vae, mu, NSMILES, temp, &r1, d1, l1);
        cv_nn_blas_threads_set(2);
        assert_int_equal(cv_nn_row_workers(NSMILES, VAE_DECODE_MIN_ROWS), 2);
        cv_vae_decode(&vae, mu, NSMILES, temp, &r2, d2, l2);
        assert_memory_equal(d1, d2, sizeof d1);
        assert_memory_equal(l1, l2, sizeof l1);
        if (!sampled) assert_memory_equal(d1, dec, sizeof d1);
        for (size_t i = 0; i < NSMILES && !sampled; i++) {
            cv_vae_decode(&vae, mu + i * 16, 1, 0.0f, NULL, one, &onelen);
            assert_int_equal(onelen, l1[i]);
            assert_memory_equal(one, d1 + i * ds.T, ds.T * sizeof(int32_t));
        }
    }
    cv_nn_blas_threads_set(blas_threads);
    /* beam search: width 1 is the greedy decode; width 4 also reconstructs every molecule
     * (8 vectors of 4 rows per batch of 32); a width above the batch is refused */
    int32_t b1[NSMILES * 48], bl1[NSMILES];
    assert_int_equal(cv_vae_decode_beam(&vae, mu, NSMILES, 1, b1, bl1, &err), CV_OK);
    assert_memory_equal(b1, dec, sizeof b1);
    assert_memory_equal(bl1, declen, sizeof bl1);
    assert_int_equal(cv_vae_decode_beam(&vae, mu, NSMILES, 4, b1, bl1, &err), CV_OK);
    for (size_t i = 0; i < NSMILES; i++)
        assert_memory_equal(b1 + i * ds.T, ids + i * ds.T, (size_t)len[i] * sizeof(int32_t));
    assert_int_equal(cv_vae_decode_beam(&vae, mu, NSMILES, NSMILES + 1, b1, bl1, &err),
                     CV_ERR_INVALID);
    cv_vae_free(&vae);
    cv_dataset_free(&ds);
}

static void tmp_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "/tmp/chemvae_test_%ld_%s", (long)getpid(), name);
}

static void fill_meta(CkptMeta *m, const Vae *vae, const CvDataset *ds) {
    memset(m, 0, sizeof *m);
    m->cfg = vae->cfg;
    CvError err;
    assert_int_equal(
        cv_ckpt_meta_set_vocab(m, (const char *const *)ds->vocab.tokens, (int)ds->vocab.n, &err),
        CV_OK);
    m->P = (int)ds->P;
    for (size_t p = 0; p < ds->P; p++) {
        snprintf(m->prop_names[p], CKPT_NAME_MAX, "%s", ds->prop_names[p]);
        m->prop_mean[p] = ds->prop_mean[p];
        m->prop_std[p] = ds->prop_std[p];
    }
}

/* A z-every-layer model round-trips through a checkpoint (the flag and every weight), and
 * the loaded inference model decodes the same strings, greedily and by beam. */
static void test_z_every_layer_checkpoint_and_decode(void **state) {
    (void)state;
    CvDataset ds;
    build_dataset(&ds, 48, 1.0);
    Vae vae;
    tiny_model_with(&vae, &ds, 8, 5, 1);
    CkptMeta meta;
    fill_meta(&meta, &vae, &ds);
    char path[256];
    tmp_path(path, sizeof path, "zall.cvae");
    CvError err;
    assert_int_equal(cv_ckpt_save(path, &vae, &meta, 0, &err), CV_OK);
    Vae back;
    CkptMeta mb;
    assert_int_equal(cv_ckpt_load(path, &back, &mb, 8, 0, NULL, &err), CV_OK);
    assert_int_equal(back.cfg.dec_z_all, 1);
    assert_memory_equal(back.params.data, vae.params.data, vae.params.total * sizeof(float));
    const size_t B = 4, T = (size_t)vae.cfg.T, Z = (size_t)vae.cfg.Z;
    float z[4 * 8];
    CvRng r;
    cv_rng_init(&r, 9);
    cv_rng_fill_normal(&r, z, B * Z);
    int32_t a[4 * 48], al[4], b[4 * 48], bl[4], c[4 * 48], cl[4];
    cv_vae_decode(&vae, z, B, 0.0f, NULL, a, al);
    cv_vae_decode(&back, z, B, 0.0f, NULL, b, bl);
    assert_memory_equal(a, b, B * T * sizeof(int32_t));
    assert_memory_equal(al, bl, sizeof al);
    assert_int_equal(cv_vae_decode_beam(&back, z, B, 1, c, cl, &err), CV_OK); /* K = 1 is greedy */
    assert_memory_equal(a, c, B * T * sizeof(int32_t));
    cv_vae_free(&back);
    cv_ckpt_meta_free(&mb);
    cv_ckpt_meta_free(&meta);
    cv_vae_free(&vae);
    cv_dataset_free(&ds);
    unlink(path);
}

/* The head's output back in real units: mean + std * y per property, the inverse of the
 * dataset's (value - mean) / std. */
static void test_prop_denormalize(void **state) {
    (void)state;
    CkptMeta meta = {.P = 2, .prop_mean = {2.5, -1.0}, .prop_std = {3.0, 0.25}};
    assert_true(cv_ckpt_prop_denormalize(&meta, 0, 0.0f) == 2.5);
    assert_true(cv_ckpt_prop_denormalize(&meta, 0, 1.5f) == 7.0);
    assert_true(cv_ckpt_prop_denormalize(&meta, 1, -2.0f) == -1.5);
    float y = (float)((4.75 - meta.prop_mean[1]) / meta.prop_std[1]);
    assert_true(fabs(cv_ckpt_prop_denormalize(&meta, 1, y) - 4.75) < 1e-6);
}

static void test_checkpoint_roundtrip_and_refusals(void **state) {
    (void)state;
    CvDataset ds;
    build_dataset(&ds, 48, 1.0);
    Vae vae;
    tiny_model(&vae, &ds, 8, 4);
    for (size_t i = 0; i < vae.params.total; i++) {
        vae.params.m[i] = (float)i * 1e-3f;
        vae.params.v[i] = (float)i * 2e-3f;
    }
    CkptMeta meta;
    fill_meta(&meta, &vae, &ds);
    meta.epoch = 3;
    meta.step = 77;
    meta.seed = 123456789012345ULL;
    char path[256];
    tmp_path(path, sizeof path, "rt.cvae");
    CvError err;
    assert_int_equal(cv_ckpt_save(path, &vae, &meta, 1, &err), CV_OK);
    Vae back;
    CkptMeta mb;
    int has_opt = 0;
    assert_int_equal(cv_ckpt_load(path, &back, &mb, 8, 1, &has_opt, &err), CV_OK);
    assert_true(has_opt);
    assert_int_equal(back.params.total, vae.params.total);
    assert_memory_equal(back.params.data, vae.params.data, vae.params.total * sizeof(float));
    assert_memory_equal(back.params.m, vae.params.m, vae.params.total * sizeof(float));
    assert_memory_equal(back.params.v, vae.params.v, vae.params.total * sizeof(float));
    assert_memory_equal(back.stats.data, vae.stats.data, vae.stats.total * sizeof(float));
    assert_memory_equal(&mb.cfg, &vae.cfg, sizeof vae.cfg);
    assert_int_equal(mb.epoch, 3);
    assert_int_equal(mb.step, 77);
    assert_true(mb.seed == 123456789012345ULL);
    assert_int_equal(mb.n_vocab, (int)ds.vocab.n);
    assert_string_equal(mb.vocab[5], ds.vocab.tokens[5]);
    assert_int_equal(cv_ckpt_meta_check_vocab(&mb, &ds.vocab, path, "dataset", &err), CV_OK);
    cv_vae_free(&back);
    cv_ckpt_meta_free(&mb);

    char *data;
    size_t len;
    assert_int_equal(cv_read_file(path, &data, &len, &err), CV_OK);
    char bad[256];
    tmp_path(bad, sizeof bad, "bad.cvae");
    FILE *fp;
    /* truncated */
    fp = fopen(bad, "wb");
    fwrite(data, 1, len - 100, fp);
    fclose(fp);
    assert_int_equal(cv_ckpt_load(bad, &back, &mb, 8, 1, NULL, &err), CV_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "truncated"));
    assert_non_null(strstr(err.msg, bad));
    /* bit flip in the parameters */
    data[len / 2] ^= 0x10;
    fp = fopen(bad, "wb");
    fwrite(data, 1, len, fp);
    fclose(fp);
    assert_int_equal(cv_ckpt_load(bad, &back, &mb, 8, 1, NULL, &err), CV_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "CRC"));
    data[len / 2] ^= 0x10;
    /* newer format version */
    char version_byte = data[8];
    data[8] = 9;
    fp = fopen(bad, "wb");
    fwrite(data, 1, len, fp);
    fclose(fp);
    assert_int_equal(cv_ckpt_load(bad, &back, &mb, 8, 1, NULL, &err), CV_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "newer"));
    data[8] = version_byte;
    /* not a checkpoint */
    fp = fopen(bad, "wb");
    fputs("smiles,logP\nCCO,1\n", fp);
    fclose(fp);
    assert_int_equal(cv_ckpt_load(bad, &back, &mb, 8, 1, NULL, &err), CV_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "magic"));
    /* a header claiming H 30000 (the text edited, the CRC fixed): refused from the header,
     * before the model is allocated */
    char *h = memmem(data, len, "\nH 16\n", 6);
    assert_non_null(h);
    size_t hl = (size_t)(h - data) + 3;
    char *big = malloc(len + 3);
    memcpy(big, data, hl);
    memcpy(big + hl, "30000", 5);
    memcpy(big + hl + 5, data + hl + 2, len - hl - 2);
    size_t blen = len + 3;
    uint32_t mlen;
    memcpy(&mlen, big + 16, 4); /* the text block's length follows magic, version, flags */
    mlen += 3;
    memcpy(big + 16, &mlen, 4);
    uint32_t crc = cv_crc32(0, big, blen - 4);
    memcpy(big + blen - 4, &crc, 4);
    fp = fopen(bad, "wb");
    fwrite(big, 1, blen, fp);
    fclose(fp);
    free(big);
    CvStatus hs = cv_ckpt_load(bad, &back, &mb, 8, 1, NULL, &err);
    assert_true(hs == CV_ERR_FORMAT || hs == CV_ERR_INVALID);
    if (!strstr(err.msg, "30000")) fail_msg("%s", err.msg);
    free(data);
    unlink(bad);

    /* a vocabulary with one token changed is refused, naming the token */
    CkptMeta mv;
    assert_int_equal(cv_ckpt_read_meta(path, &mv, &err), CV_OK);
    free(mv.vocab[mv.n_vocab - 1]);
    mv.vocab[mv.n_vocab - 1] = strdup("[Xe]");
    assert_int_equal(cv_ckpt_meta_check_vocab(&mv, &ds.vocab, path, "dataset", &err),
                     CV_ERR_MISMATCH);
    assert_non_null(strstr(err.msg, "[Xe]"));
    cv_ckpt_meta_free(&mv);
    unlink(path);
    cv_ckpt_meta_free(&meta);
    cv_vae_free(&vae);
    cv_dataset_free(&ds);
}

/* Trains `steps` optimizer steps (50 in the test: the determinism check of issue 5) from a fresh
 * tiny model, optionally through a checkpoint written after `split` steps and reloaded. Returns the
 * final parameters (malloc'd). */
static float *train_steps_with(const CvDataset *ds, size_t steps, size_t split, int recipe,
                               size_t *n) {
    Vae vae;
    tiny_model(&vae, ds, 8, 21);
    TrainOptions o;
    cv_train_options_default(&o);
    o.batch = 8;
    o.epochs = 100;
    o.recon_sample = 4;
    o.seed = 77;
    if (recipe) { /* every knob whose state or randomness a resume must carry */
        o.ae_warmup = 2;
        o.kl_schedule = TRAIN_KL_CYCLICAL;
        o.kl_ramp = 4;
        o.free_bits = 0.05f;
        o.word_dropout = 0.2f;
        o.augment = 1;
        o.bn_freeze = 3;
        o.bucket = 1;
        o.lr_warmup = 10;
        o.lr_decay = TRAIN_LR_PLATEAU;
        o.lr_patience = 1;
    }
    char path[256];
    tmp_path(path, sizeof path, "resume.cvae");
    o.checkpoint = path;
    CkptMeta meta;
    fill_meta(&meta, &vae, ds);
    CvError err;
    if (split) {
        o.max_steps = split;
        assert_int_equal(cv_train_run(&vae, &meta, ds, &o, NULL, &err), CV_OK);
        cv_vae_free(&vae);
        cv_ckpt_meta_free(&meta);
        assert_int_equal(cv_ckpt_load(path, &vae, &meta, 8, 1, NULL, &err), CV_OK);
        assert_int_equal(meta.step, (long)split);
    }
    o.max_steps = steps;
    assert_int_equal(cv_train_run(&vae, &meta, ds, &o, NULL, &err), CV_OK);
    *n = vae.params.total + vae.stats.total;
    float *out = malloc(*n * sizeof(float));
    memcpy(out, vae.params.data, vae.params.total * sizeof(float));
    memcpy(out + vae.params.total, vae.stats.data, vae.stats.total * sizeof(float));
    cv_vae_free(&vae);
    cv_ckpt_meta_free(&meta);
    unlink(path);
    return out;
}

static float *train_steps(const CvDataset *ds, size_t steps, size_t split, size_t *n) {
    return train_steps_with(ds, steps, split, 0, n);
}

static void test_resume_equals_uninterrupted(void **state) {
    (void)state;
    CvDataset ds;
    build_dataset(&ds, 48, 0.75); /* 24 train: 3 steps per epoch, so resume crosses epochs */
    size_t n1, n2, n3;
    float *straight = train_steps(&ds, 50, 0, &n1);
    float *again = train_steps(&ds, 50, 0, &n2);
    float *resumed = train_steps(&ds, 50, 23, &n3);
    assert_int_equal(n1, n2);
    assert_int_equal(n1, n3);
    assert_memory_equal(straight, again, n1 * sizeof(float)); /* determinism */
    assert_memory_equal(straight, resumed, n1 * sizeof(float));
    free(straight);
    free(again);
    free(resumed);
    cv_dataset_free(&ds);
}

/* The same with the training recipe on: augmentation draws, word dropout, frozen batchnorm
 * and length buckets from epoch 3, cyclical KL after an AE warm-up, plateau decay — the
 * resumed run must take the same steps (split inside the bucketed epochs). */
static void test_resume_with_recipe(void **state) {
    (void)state;
    CvDataset ds;
    build_dataset(&ds, 48, 0.75);
    size_t n1, n2;
    float *straight = train_steps_with(&ds, 40, 0, 1, &n1);
    float *resumed = train_steps_with(&ds, 40, 13, 1, &n2);
    assert_int_equal(n1, n2);
    for (size_t i = 0; i < n1; i++) assert_true(isfinite(straight[i]));
    assert_memory_equal(straight, resumed, n1 * sizeof(float));
    /* stopped on an epoch's last batch (3 steps per epoch): the epoch is finished first */
    float *at_boundary = train_steps_with(&ds, 40, 12, 1, &n2);
    assert_memory_equal(straight, at_boundary, n1 * sizeof(float));
    free(straight);
    free(resumed);
    free(at_boundary);
    cv_dataset_free(&ds);
}

/* Refitting the property head changes only the head, and never makes validation worse. */
static void test_head_refit(void **state) {
    (void)state;
    CvDataset ds;
    build_dataset(&ds, 48, 0.75);
    Vae vae;
    tiny_model(&vae, &ds, 8, 4);
    size_t total = vae.params.total;
    float *before = malloc(total * sizeof(float));
    memcpy(before, vae.params.data, total * sizeof(float));
    HeadRefitReport r;
    CvError err;
    assert_int_equal(cv_head_refit(&vae, &ds, 30, 1e-2f, 1, &r, &err), CV_OK);
    assert_int_equal(r.epochs_run, 30);
    for (size_t p = 0; p < ds.P; p++)
        assert_true(r.mae_after[p] <= r.mae_before[p] + 1e-9 || r.best_epoch == 0);
    assert_true(r.best_epoch > 0); /* a random head on 24 molecules improves */
    size_t changed_outside = 0, changed_head = 0;
    for (size_t t = 0; t < vae.params.count; t++) {
        const NnParamInfo *in = &vae.params.info[t];
        int is_head = !strncmp(in->name, "prop.", 5);
        for (size_t i = in->off; i < in->off + in->n; i++)
            if (before[i] != vae.params.data[i]) *(is_head ? &changed_head : &changed_outside) += 1;
    }
    assert_int_equal(changed_outside, 0);
    assert_true(changed_head > 0);
    free(before);
    cv_vae_free(&vae);
    cv_dataset_free(&ds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_refit),
        cmocka_unit_test(test_resume_with_recipe),
        cmocka_unit_test(test_whole_model_gradcheck),
        cmocka_unit_test(test_whole_model_gradcheck_recipe),
        cmocka_unit_test(test_property_dz_gradcheck),
        cmocka_unit_test(test_full_length_same_step),
        cmocka_unit_test(test_whole_model_gradcheck_z_every_layer),
        cmocka_unit_test(test_z_every_layer_checkpoint_and_decode),
        cmocka_unit_test(test_gradcheck_catches_error),
        cmocka_unit_test(test_prop_denormalize),
        cmocka_unit_test(test_checkpoint_roundtrip_and_refusals),
        cmocka_unit_test(test_resume_equals_uninterrupted),
        cmocka_unit_test(test_overfit_32_molecules),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
