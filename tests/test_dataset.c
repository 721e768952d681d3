/* test_dataset.c — .cvds build, save/load round trip, split determinism and ratios,
 * normalization on the train split, batch helpers, refusal of corrupt/truncated files. */
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

#include "chemvae/data/dataset.h"
#include "chemvae/core/fileio.h"

#define NMOL 200
#define NPROP 2

typedef struct {
    char *smiles[NMOL];
    float props[NMOL * NPROP];
} Fixture;

/* NMOL distinct small molecules: chains of carbons with a substituent and a ring. */
static void make_fixture(Fixture *f) {
    const char *subs[] = {"O", "N", "Cl", "Br", "F", "c1ccccc1", "[nH]1cccc1", "C(=O)O"};
    for (int i = 0; i < NMOL; i++) {
        char buf[256] = "";
        for (int k = 0; k < 1 + i % 25; k++) strcat(buf, "C");
        strcat(buf, subs[i / 25]);
        f->smiles[i] = strdup(buf);
        f->props[i * NPROP] = (float)i;
        f->props[i * NPROP + 1] = (float)(i % 7) * 0.5f;
    }
}

static void free_fixture(Fixture *f) {
    for (int i = 0; i < NMOL; i++) free(f->smiles[i]);
}

static const char *const NAMES[NPROP] = {"logP", "qed"};

static void test_build_and_helpers(void **state) {
    (void)state;
    Fixture f;
    make_fixture(&f);
    CvDataset ds;
    CvError err;
    CvDatasetOptions opt;
    cv_dataset_options_default(&opt);
    opt.T = 40;
    assert_int_equal(cv_dataset_build(&ds, (const char *const *)f.smiles, NMOL, f.props, NPROP,
                                      NAMES, NULL, &opt, &err),
                     CV_OK);
    assert_int_equal(ds.n, NMOL);
    assert_int_equal(ds.T, 40);
    assert_int_equal(ds.id_bytes, 1);
    assert_int_equal(ds.count[0], 160);
    assert_int_equal(ds.count[1], 20);
    assert_int_equal(ds.count[2], 20);
    assert_string_equal(ds.prop_names[1], "qed");
    assert_true(ds.vocab_hash == cv_vocab_hash(&ds.vocab));

    /* mean/std over the train rows only */
    double s = 0, s2 = 0;
    for (int i = 0; i < NMOL; i++)
        if (ds.split[i] == CV_SPLIT_TRAIN) {
            s += f.props[i * NPROP];
            s2 += (double)f.props[i * NPROP] * f.props[i * NPROP];
        }
    double mu = s / 160, sd = sqrt(s2 / 160 - mu * mu);
    assert_true(fabs(ds.prop_mean[0] - mu) < 1e-3);
    assert_true(fabs(ds.prop_std[0] - sd) < 1e-3);

    /* rows decode back to the SMILES; lengths count <end> */
    int32_t ids[40];
    for (uint32_t i = 0; i < NMOL; i++) {
        cv_dataset_fill_ids(&ds, &i, 1, ids);
        assert_int_equal(ids[ds.lengths[i] - 1], VOCAB_END);
        char *back = cv_vocab_decode(&ds.vocab, ids, 40);
        assert_string_equal(back, f.smiles[i]);
        assert_string_equal(dataset_smiles(&ds, i), f.smiles[i]);
        free(back);
    }

    uint32_t *idx;
    size_t n;
    assert_int_equal(cv_dataset_split_indices(&ds, CV_SPLIT_VALID, &idx, &n, &err), CV_OK);
    assert_int_equal(n, 20);
    for (size_t k = 0; k < n; k++) assert_int_equal(ds.split[idx[k]], CV_SPLIT_VALID);

    size_t B = 3, T = ds.T, V = ds.V;
    float *x = malloc(B * T * V * sizeof *x), y[3 * NPROP];
    cv_dataset_fill_onehot(&ds, idx, B, x);
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
            float sum = 0;
            for (size_t v = 0; v < V; v++) sum += x[(b * T + t) * V + v];
            assert_true(sum == 1.0f);
            assert_true(x[(b * T + t) * V + dataset_id(&ds, idx[b], t)] == 1.0f);
        }
    cv_dataset_fill_props(&ds, idx, B, y);
    for (size_t b = 0; b < B; b++)
        assert_true(fabsf(y[b * NPROP] -
                          (f.props[idx[b] * NPROP] - ds.prop_mean[0]) / ds.prop_std[0]) < 1e-5f);
    free(x);
    free(idx);
    cv_dataset_free(&ds);
    free_fixture(&f);
}

static void test_split_deterministic(void **state) {
    (void)state;
    Fixture f;
    make_fixture(&f);
    CvDataset a, b, c;
    CvError err;
    CvDatasetOptions opt;
    cv_dataset_options_default(&opt);
    opt.seed = 7;
    opt.ratios[0] = 0.5;
    opt.ratios[1] = 0.25;
    opt.ratios[2] = 0.25;
    const char *const *sm = (const char *const *)f.smiles;
    assert_int_equal(cv_dataset_build(&a, sm, NMOL, f.props, NPROP, NAMES, NULL, &opt, &err),
                     CV_OK);
    assert_int_equal(cv_dataset_build(&b, sm, NMOL, f.props, NPROP, NAMES, NULL, &opt, &err),
                     CV_OK);
    opt.seed = 8;
    assert_int_equal(cv_dataset_build(&c, sm, NMOL, f.props, NPROP, NAMES, NULL, &opt, &err),
                     CV_OK);
    assert_memory_equal(a.split, b.split, NMOL);
    assert_true(memcmp(a.split, c.split, NMOL) != 0);
    assert_int_equal(a.count[0], 100);
    assert_int_equal(a.count[1], 50);
    assert_int_equal(a.count[2], 50);
    assert_int_equal(a.blob_size, b.blob_size);
    assert_memory_equal(a.blob, b.blob, a.blob_size); /* byte-identical files */
    cv_dataset_free(&a);
    cv_dataset_free(&b);
    cv_dataset_free(&c);
    free_fixture(&f);
}

static void test_save_load_and_corruption(void **state) {
    (void)state;
    Fixture f;
    make_fixture(&f);
    CvDataset ds, back;
    CvError err;
    assert_int_equal(cv_dataset_build(&ds, (const char *const *)f.smiles, NMOL, f.props, NPROP,
                                      NAMES, NULL, NULL, &err),
                     CV_OK);
    char path[] = "/tmp/chemvae-ds-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cv_dataset_save(&ds, path, &err), CV_OK);
    assert_int_equal(cv_dataset_load(&back, path, &err), CV_OK);
    assert_int_equal(back.n, ds.n);
    assert_int_equal(back.T, ds.T);
    assert_int_equal(back.V, ds.V);
    assert_int_equal(back.P, ds.P);
    assert_memory_equal(back.ids, ds.ids, ds.n * ds.T * ds.id_bytes);
    assert_memory_equal(back.props, ds.props, ds.n * ds.P * sizeof(float));
    assert_memory_equal(back.split, ds.split, ds.n);
    assert_string_equal(dataset_smiles(&back, 17), f.smiles[17]);
    assert_string_equal(back.prop_names[0], "logP");
    assert_true(back.vocab_hash == ds.vocab_hash);
    cv_dataset_free(&back);

    /* flip one byte in the middle: the checksum refuses it */
    char *data;
    size_t len;
    assert_int_equal(cv_read_file(path, &data, &len, &err), CV_OK);
    data[len / 2] ^= 0x40;
    FILE *fp = fopen(path, "wb");
    fwrite(data, 1, len, fp);
    fclose(fp);
    assert_int_equal(cv_dataset_load(&back, path, &err), CV_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "checksum"));
    /* truncated */
    data[len / 2] ^= 0x40;
    fp = fopen(path, "wb");
    fwrite(data, 1, len - 9, fp);
    fclose(fp);
    assert_int_equal(cv_dataset_load(&back, path, &err), CV_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "truncated"));
    /* not a dataset */
    fp = fopen(path, "wb");
    fputs("smiles\nCCO\n", fp);
    fclose(fp);
    assert_int_equal(cv_dataset_load(&back, path, &err), CV_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "magic"));
    cv_dataset_free(&back); /* safe on a zeroed dataset */
    free(data);
    unlink(path);
    cv_dataset_free(&ds);
    free_fixture(&f);
}

static void test_given_vocab_and_errors(void **state) {
    (void)state;
    CvVocab v;
    CvError err;
    const char *train[] = {"CCO", "CCN"};
    assert_int_equal(cv_vocab_build(&v, train, 2, &err), CV_OK);
    const char *mols[] = {"CCO", "CCCl"};
    CvDataset ds;
    CvDatasetOptions opt;
    cv_dataset_options_default(&opt);
    assert_int_equal(cv_dataset_build(&ds, mols, 2, NULL, 0, NULL, &v, &opt, &err), CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'Cl'"));
    opt.unk_ok = 1;
    assert_int_equal(cv_dataset_build(&ds, mols, 2, NULL, 0, NULL, &v, &opt, &err), CV_OK);
    assert_int_equal(ds.unk_rows, 1);
    assert_true(ds.vocab_hash == cv_vocab_hash(&v));
    cv_dataset_free(&ds);
    opt.T = 3;
    assert_int_equal(cv_dataset_build(&ds, mols, 2, NULL, 0, NULL, &v, &opt, &err), CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "too long"));
    assert_int_equal(cv_dataset_build(&ds, mols, 0, NULL, 0, NULL, &v, &opt, &err), CV_ERR_EMPTY);
    cv_vocab_free(&v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_and_helpers),
        cmocka_unit_test(test_split_deterministic),
        cmocka_unit_test(test_save_load_and_corruption),
        cmocka_unit_test(test_given_vocab_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
