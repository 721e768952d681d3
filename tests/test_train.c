/* test_train.c — the training recipe's schedules: the KL weight of every schedule (and the
 * autoencoder warm-up before it), the learning rate's warm-up, cosine and plateau scale,
 * and the option names. Training itself (resume, buckets, augmentation) is in
 * test_model.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "chemvae/model/train.h"

static void test_kl_schedules(void **state) {
    (void)state;
    TrainOptions o;
    cv_train_options_default(&o);
    /* sigmoid (chemical_vae's), on the integer epoch: kl_max/2 at kl_center */
    assert_float_equal(cv_train_kl_weight(&o, 5.0), 0.1, 1e-6);
    assert_float_equal(cv_train_kl_weight(&o, 5.7), 0.1, 1e-6);
    assert_true(cv_train_kl_weight(&o, 0.0) < 0.002);
    o.kl_slope = 0; /* slope 0: constant */
    assert_float_equal(cv_train_kl_weight(&o, 0.0), 0.2, 1e-6);
    o.kl_schedule = TRAIN_KL_CONSTANT;
    o.kl_max = 0.05f;
    o.ae_warmup = 2;
    assert_float_equal(cv_train_kl_weight(&o, 1.99), 0.0, 0); /* plain autoencoder first */
    assert_true(cv_train_in_ae_warmup(&o, 1.99) && !cv_train_in_ae_warmup(&o, 2.0));
    assert_float_equal(cv_train_kl_weight(&o, 2.0), 0.05, 1e-7);
    o.kl_schedule = TRAIN_KL_LINEAR;
    o.kl_ramp = 10;
    assert_float_equal(cv_train_kl_weight(&o, 2.0), 0.0, 1e-7);
    assert_float_equal(cv_train_kl_weight(&o, 7.0), 0.025, 1e-7); /* half way up the ramp */
    assert_float_equal(cv_train_kl_weight(&o, 12.0), 0.05, 1e-7);
    assert_float_equal(cv_train_kl_weight(&o, 50.0), 0.05, 1e-7);
    o.kl_schedule = TRAIN_KL_CYCLICAL; /* cycles of 10 epochs: up over 5, hold 5 */
    assert_float_equal(cv_train_kl_weight(&o, 2.0 + 2.5), 0.025, 1e-7);
    assert_float_equal(cv_train_kl_weight(&o, 2.0 + 7.0), 0.05, 1e-7);
    assert_float_equal(cv_train_kl_weight(&o, 2.0 + 10.0), 0.0, 1e-7); /* next cycle restarts */
    assert_float_equal(cv_train_kl_weight(&o, 2.0 + 12.5), 0.025, 1e-7);
}

static void test_learning_rate(void **state) {
    (void)state;
    TrainOptions o;
    cv_train_options_default(&o);
    o.adam.lr = 1e-3f;
    assert_float_equal(cv_train_learning_rate(&o, 0, 1000, 1.0), 1e-3, 1e-9); /* none: constant */
    o.lr_warmup = 100;
    assert_float_equal(cv_train_learning_rate(&o, 0, 1000, 1.0), 1e-5, 1e-9);
    assert_float_equal(cv_train_learning_rate(&o, 49, 1000, 1.0), 5e-4, 1e-9);
    assert_float_equal(cv_train_learning_rate(&o, 100, 1000, 1.0), 1e-3, 1e-9);
    o.lr_decay = TRAIN_LR_COSINE;
    o.lr_min = 1e-5f;
    assert_float_equal(cv_train_learning_rate(&o, 100, 1001, 1.0), 1e-3, 1e-9);
    assert_float_equal(cv_train_learning_rate(&o, 550, 1001, 1.0), 0.5 * (1e-3 + 1e-5), 1e-8);
    assert_float_equal(cv_train_learning_rate(&o, 1000, 1001, 1.0), 1e-5, 1e-9);
    o.lr_decay = TRAIN_LR_PLATEAU;
    assert_float_equal(cv_train_learning_rate(&o, 500, 1001, 0.25), 2.5e-4, 1e-9);
    assert_float_equal(cv_train_learning_rate(&o, 500, 1001, 1e-6), 1e-5, 1e-9); /* floor */
}

static void test_names(void **state) {
    (void)state;
    int v = -1;
    assert_int_equal(cv_train_kl_schedule_parse("cyclical", &v), 0);
    assert_int_equal(v, TRAIN_KL_CYCLICAL);
    assert_int_equal(cv_train_kl_schedule_parse("cosine", &v), -1);
    assert_int_equal(cv_train_lr_decay_parse("plateau", &v), 0);
    assert_int_equal(v, TRAIN_LR_PLATEAU);
    assert_int_equal(cv_train_lr_decay_parse(NULL, &v), -1);
    TrainOptions o;
    cv_train_options_default(&o);
    o.kl_schedule = TRAIN_KL_LINEAR;
    o.lr_decay = TRAIN_LR_PLATEAU;
    char buf[1024];
    cv_train_options_describe(&o, buf, sizeof buf);
    assert_non_null(strstr(buf, "kl_schedule=linear"));
    assert_non_null(strstr(buf, "lr_decay=plateau"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kl_schedules),
        cmocka_unit_test(test_learning_rate),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
