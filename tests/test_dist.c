/* test_dist.c — the training process group (nn/dist.h) and data-parallel training:
 *   - outside mpirun the group is one process, rank 0 of 1, and its sums leave buffers as
 *     they are (also in a build with MPI: MPI is not started);
 *   - shards cover a batch in order, the same rows for every size that divides it evenly;
 *   - a batch split in two by hand through VaeStepOptions (row0, batch_total) on a group of
 *     one gives the whole batch's word-dropout draws and loss terms where no batch statistic
 *     couples the halves (frozen batchnorm, no free bits);
 *   - under mpirun (tests/check-mpi.sh): gradients, loss curves, --resume with any number of
 *     processes, a killed process. Skipped when the build has no MPI, or under
 *     AddressSanitizer (OpenMPI's own allocations would be reported). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/model/vae.h"
#include "chemvae/nn/dist.h"
#include "support/runcmd.h"

static void test_single_process(void **state) {
    (void)state;
    CvDist *d = NULL;
    CvError err = {0};
    assert_int_equal(cv_dist_open(&d, &err), CV_OK);
    assert_non_null(d);
    assert_int_equal(cv_dist_rank(d), 0);
    assert_int_equal(cv_dist_size(d), 1);
    float f[3] = {1.5f, -2.0f, 3.0f};
    double x[2] = {0.25, 7.0};
    cv_dist_sum_f(d, f, 3);
    cv_dist_sum_d(d, x, 2);
    assert_true(f[0] == 1.5f && f[1] == -2.0f && f[2] == 3.0f);
    assert_true(x[0] == 0.25 && x[1] == 7.0);
    cv_dist_close(d, 0);
    assert_int_equal(cv_dist_rank(NULL), 0);
    assert_int_equal(cv_dist_size(NULL), 1);
}

static void test_shards(void **state) {
    (void)state;
    for (int n = 1; n <= 7; n++) {
        size_t next = 0;
        for (int r = 0; r < n; r++) {
            size_t a, b;
            cv_dist_shard(130, r, n, &a, &b);
            assert_int_equal(a, next);
            assert_true(b - a == 130 / (size_t)n || b - a == 130 / (size_t)n + 1);
            next = b;
        }
        assert_int_equal(next, 130);
    }
    size_t a, b;
    cv_dist_shard(128, 1, 2, &a, &b);
    assert_int_equal(a, 64);
    assert_int_equal(b, 128);
}

/* One model, T 12, V 9, Z 4, filled with a fixed batch of B rows. */
static void make_model(Vae *v, size_t B) {
    VaeConfig c = {.T = 12,
                   .V = 9,
                   .P = 0,
                   .n_conv = 1,
                   .conv_ch = {5},
                   .conv_k = {3},
                   .enc_dense = 6,
                   .Z = 4,
                   .dec_dense = 5,
                   .gru_layers = 1,
                   .H = 7};
    CvRng rng;
    cv_rng_init(&rng, 3);
    CvError err = {0};
    assert_int_equal(cv_vae_init(v, &c, B, &rng, &err), CV_OK);
}

static void fill_batch(int32_t *ids, int32_t *len, size_t B) {
    CvRng rng;
    cv_rng_init(&rng, 9);
    for (size_t b = 0; b < B; b++) {
        len[b] = 3 + (int32_t)cv_rng_below(&rng, 8);
        for (int t = 0; t < 12; t++)
            ids[b * 12 + t] = t < len[b] - 1 ? 3 + (int32_t)cv_rng_below(&rng, 6)
                                             : (t == len[b] - 1 ? VAE_TOK_END : VAE_TOK_PAD);
    }
}

/* With frozen batchnorm and no free bits no statistic couples the rows, so the halves of a
 * batch stepped as rows [0, 5) and [5, 10) of a batch of 10 sum to the whole step's loss
 * and gradient; word dropout draws by the whole batch's row. */
static void test_split_batch(void **state) {
    (void)state;
    enum { B = 10 };
    Vae v;
    make_model(&v, B);
    int32_t ids[B * 12], len[B];
    float eps[B * 4];
    fill_batch(ids, len, B);
    CvRng rng;
    cv_rng_init(&rng, 5);
    cv_rng_fill_normal(&rng, eps, B * 4);
    VaeStepOptions so = {.beta = 0.5f, .word_dropout = 0.3f, .dropout_seed = 17, .bn_frozen = 1};
    VaeLoss whole, half[2];
    cv_vae_train_step(&v, ids, len, NULL, NULL, eps, B, &so, &whole);
    size_t n = v.params.total;
    float *g = malloc(n * sizeof *g), *sum = calloc(n, sizeof *sum);
    assert_non_null(g);
    assert_non_null(sum);
    memcpy(g, v.params.grad, n * sizeof *g);
    for (int h = 0; h < 2; h++) {
        so.batch_total = B;
        so.row0 = (size_t)h * 5;
        cv_vae_train_step(&v, ids + h * 5 * 12, len + h * 5, NULL, NULL, eps + h * 5 * 4, 5, &so,
                          &half[h]);
        for (size_t i = 0; i < n; i++) sum[i] += v.params.grad[i];
    }
    assert_true(fabs(half[0].recon + half[1].recon - whole.recon) < 1e-5 * whole.recon);
    assert_int_equal(half[0].tokens + half[1].tokens, whole.tokens);
    double dd = 0, gg = 0;
    for (size_t i = 0; i < n; i++) {
        dd += ((double)g[i] - sum[i]) * ((double)g[i] - sum[i]);
        gg += (double)g[i] * g[i];
    }
    assert_true(gg > 0);
    assert_true(sqrt(dd / gg) < 1e-5);
    free(g);
    free(sum);
    cv_vae_free(&v);
}

static void test_mpi_checks(void **state) {
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip();
#endif
    if (!cv_dist_built()) skip();
    size_t ok, failed;
    assert_int_equal(runcmd_check_script("tests/check-mpi.sh", &ok, &failed, NULL), 0);
    assert_int_equal(failed, 0);
    assert_int_equal(ok, 8);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_process),
        cmocka_unit_test(test_shards),
        cmocka_unit_test(test_split_batch),
        cmocka_unit_test(test_mpi_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
