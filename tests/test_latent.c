/* test_latent.c — the latent module: duplicate folding and counts, batched decoding with
 * attempts (layout and chunking against direct cv_vae_decode calls), the objective parser
 * (valid texts, and invalid ones with the column in the message), binding an objective to
 * a property head, lerp/slerp math, the optimizer (the head's value rises at every small
 * step), and the constrained-optimization bookkeeping. The model is the `tiny` preset with
 * seeded random weights over a 3-atom vocabulary: built in microseconds, no training. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/latent/latent.h"
#include "chemvae/latent/latent_objective.h"
#include "chemvae/latent/latent_optimize.h"

#define T_LEN 12

typedef struct {
    Vae vae;
    CvVocab vocab;
} Tiny;

/* tiny preset, T = 12, vocabulary of C, O, N, (, ), 1; P = 2 (logP, qed); max_B = 4 so
 * every test with more than 4 rows crosses batch boundaries. */
static void tiny_init(Tiny *t, size_t max_B, uint64_t seed) {
    static const char *const smiles[] = {"CCO", "C1CC1", "CC(N)O"};
    CvError err = {0};
    memset(t, 0, sizeof *t);
    assert_int_equal(cv_vocab_build(&t->vocab, smiles, 3, &err), CV_OK);
    VaeConfig cfg;
    assert_int_equal(cv_vae_config_preset("tiny", T_LEN, (int)t->vocab.n, 2, &cfg, &err), CV_OK);
    CvRng rng;
    cv_rng_init(&rng, seed);
    assert_int_equal(cv_vae_init(&t->vae, &cfg, max_B, &rng, &err), CV_OK);
}

static void tiny_free(Tiny *t) {
    cv_vae_free(&t->vae);
    cv_vocab_free(&t->vocab);
}

/* ---- LatentUniq ---------------------------------------------------------------------------- */

static void test_uniq_counts(void **state) {
    (void)state;
    LatentUniq u = {0};
    ChemScores sc = {.logp = 1.5};
    size_t e;
    int is_new;
    CvError err = {0};
    assert_int_equal(cv_latent_uniq_add(&u, "CCO", &sc, 7, &e, &is_new, &err), CV_OK);
    assert_int_equal(e, 0);
    assert_true(is_new);
    assert_int_equal(cv_latent_uniq_add(&u, "CCN", NULL, 8, &e, &is_new, &err), CV_OK);
    assert_int_equal(e, 1);
    assert_int_equal(cv_latent_uniq_add(&u, "CCO", NULL, 9, &e, &is_new, &err), CV_OK);
    assert_int_equal(e, 0);
    assert_false(is_new);
    assert_int_equal(u.n, 2);
    assert_int_equal(u.items[0].count, 2);
    assert_int_equal(u.items[0].first, 7);
    assert_true(u.items[0].scores.logp == 1.5); /* scores of the first occurrence */
    assert_int_equal(u.items[1].count, 1);
    assert_int_equal(cv_latent_uniq_find(&u, "CCN"), 1);
    assert_int_equal(cv_latent_uniq_find(&u, "CCC"), -1);
    /* grow past several rehashes: 1000 distinct strings, each added 3 times */
    char buf[32];
    for (int rep = 0; rep < 3; rep++)
        for (int i = 0; i < 1000; i++) {
            snprintf(buf, sizeof buf, "C%dO", i);
            assert_int_equal(
                cv_latent_uniq_add(&u, buf, NULL, (size_t)(rep * 1000 + i), NULL, NULL, &err),
                CV_OK);
        }
    assert_int_equal(u.n, 1002);
    size_t total = 0;
    for (size_t i = 0; i < u.n; i++) total += u.items[i].count;
    assert_int_equal(total, 3003);
    assert_int_equal(cv_latent_uniq_find(&u, "C999O"), 1001);
    assert_int_equal(u.items[1001].count, 3);
    assert_int_equal(u.items[1001].first, 999);
    cv_latent_uniq_free(&u);
    assert_int_equal(u.n, 0);
    cv_latent_uniq_free(&u); /* safe twice */
}

static void test_uniq_add_mols_skips_invalid(void **state) {
    (void)state;
    LatentMol m[4] = {{.raw = "OCC", .canonical = "CCO", .valid = 1},
                      {.raw = "C(", .valid = 0},
                      {.raw = "C(O)C", .canonical = "CCO", .valid = 1},
                      {.raw = "N", .canonical = "N", .valid = 1}};
    LatentUniq u = {0};
    assert_int_equal(cv_latent_uniq_add_mols(&u, m, 4, 100, NULL), CV_OK);
    assert_int_equal(u.n, 2);
    assert_string_equal(u.items[0].smiles, "CCO");
    assert_int_equal(u.items[0].count, 2);
    assert_int_equal(u.items[0].first, 100);
    assert_int_equal(u.items[1].first, 103);
    cv_latent_uniq_free(&u);
}

/* ---- decoding -------------------------------------------------------------------------------- */

static void test_decode_attempts_layout(void **state) {
    (void)state;
    Tiny t;
    tiny_init(&t, 4, 11);
    size_t N = 5, K = 3, Z = (size_t)t.vae.cfg.Z;
    float *z = malloc(N * Z * sizeof *z);
    CvRng rng;
    cv_rng_init(&rng, 3);
    cv_latent_sample_prior(&rng, z, N, Z);
    /* greedy everywhere: every attempt repeats the first, and the first is cv_vae_decode's */
    LatentMol *out = calloc(N * K, sizeof *out);
    LatentDecodeOpts o = {K, 0.0f, 0.0f, 1, 1};
    assert_int_equal(cv_latent_decode(&t.vae, &t.vocab, z, N, &o, NULL, out, NULL), CV_OK);
    int32_t ids[T_LEN], len;
    for (size_t i = 0; i < N; i++) {
        cv_vae_decode(&t.vae, z + i * Z, 1, 0.0f, NULL, ids, &len);
        char *s = cv_vocab_decode(&t.vocab, ids, T_LEN);
        for (size_t a = 0; a < K; a++) {
            const LatentMol *m = &out[i * K + a];
            assert_string_equal(m->raw, s);
            assert_int_equal(m->valid, cv_chem_is_valid(s));
            if (m->valid) {
                char *c = cv_chem_canonical(s);
                assert_string_equal(m->canonical, c);
                free(c);
            } else {
                assert_null(m->canonical);
            }
        }
        free(s);
    }
    cv_latent_mols_free(out, N * K);
    for (size_t r = 0; r < N * K; r++) assert_null(out[r].raw);
    /* sampled retries differ from greedy somewhere, and the same seed repeats them */
    LatentDecodeOpts hot = {K, 0.0f, 5.0f, 1, 1};
    LatentMol *again = calloc(N * K, sizeof *again);
    cv_rng_init(&rng, 9);
    assert_int_equal(cv_latent_decode(&t.vae, &t.vocab, z, N, &hot, &rng, out, NULL), CV_OK);
    cv_rng_init(&rng, 9);
    assert_int_equal(cv_latent_decode(&t.vae, &t.vocab, z, N, &hot, &rng, again, NULL), CV_OK);
    int differs = 0;
    for (size_t r = 0; r < N * K; r++) {
        assert_string_equal(out[r].raw, again[r].raw);
        if (r % K) differs |= strcmp(out[r].raw, out[r - r % K].raw) != 0;
    }
    assert_true(differs);
    cv_latent_mols_free(out, N * K);
    cv_latent_mols_free(again, N * K);
    free(again);
    free(out);
    free(z);
    tiny_free(&t);
}

static void test_sample_around(void **state) {
    (void)state;
    float c[3] = {1, -2, 3}, z[3 * 1000];
    CvRng rng;
    cv_rng_init(&rng, 5);
    cv_latent_sample_around(&rng, c, 0.0f, z, 2, 3);
    for (int k = 0; k < 6; k++) assert_true(z[k] == c[k % 3]);
    cv_latent_sample_around(&rng, c, 0.5f, z, 1000, 3);
    double m[3] = {0}, v[3] = {0};
    for (int i = 0; i < 1000; i++)
        for (int k = 0; k < 3; k++) m[k] += z[i * 3 + k] / 1000.0;
    for (int i = 0; i < 1000; i++)
        for (int k = 0; k < 3; k++) v[k] += (z[i * 3 + k] - m[k]) * (z[i * 3 + k] - m[k]) / 1000.0;
    for (int k = 0; k < 3; k++) {
        assert_true(fabs(m[k] - c[k]) < 0.1);
        assert_true(fabs(sqrt(v[k]) - 0.5) < 0.05);
    }
}

/* ---- objectives ------------------------------------------------------------------------------ */

static void parse_ok(const char *text, double logp, double qed, double sa, double mw, double plogp,
                     const char *norm) {
    LatentObjective o;
    CvError err = {0};
    if (cv_latent_objective_parse(text, &o, &err)) fail_msg("'%s': %s", text, err.msg);
    assert_true(fabs(o.w[LATENT_PROP_LOGP] - logp) < 1e-12);
    assert_true(fabs(o.w[LATENT_PROP_QED] - qed) < 1e-12);
    assert_true(fabs(o.w[LATENT_PROP_SA] - sa) < 1e-12);
    assert_true(fabs(o.w[LATENT_PROP_MW] - mw) < 1e-12);
    assert_true(fabs(o.w[LATENT_PROP_PLOGP] - plogp) < 1e-12);
    if (norm) assert_string_equal(o.text, norm);
}

static void test_objective_valid(void **state) {
    (void)state;
    parse_ok("qed", 0, 1, 0, 0, 0, "qed");
    parse_ok("5*qed-sa", 0, 5, -1, 0, 0, "5*qed - sa");
    parse_ok("logp-sa", 1, 0, -1, 0, 0, "logp - sa");
    parse_ok("  -SA ", 0, 0, -1, 0, 0, "-sa");
    parse_ok("+LogP", 1, 0, 0, 0, 0, "logp");
    parse_ok("qed * 2 + 0.5*logp", 0.5, 2, 0, 0, 0, "0.5*logp + 2*qed");
    parse_ok("2*3*qed", 0, 6, 0, 0, 0, NULL);
    parse_ok("qed+qed-0.5*qed", 0, 1.5, 0, 0, 0, NULL);
    parse_ok("plogp", 0, 0, 0, 0, 1, "plogp");
    parse_ok("penalized_logp", 0, 0, 0, 0, 1, NULL);
    parse_ok("1e-2*mw + SAS", 0, 0, 1, 0.01, 0, NULL);
    parse_ok(".5*qed", 0, 0.5, 0, 0, 0, NULL);
    parse_ok("\tqed\t-\tsa", 0, 1, -1, 0, 0, NULL);
    LatentObjective o;
    assert_int_equal(cv_latent_objective_parse("5*qed-sa", &o, NULL), CV_OK);
    cv_latent_objective_negate(&o);
    assert_true(o.w[LATENT_PROP_QED] == -5 && o.w[LATENT_PROP_SA] == 1);
    assert_string_equal(o.text, "-(5*qed - sa)");
}

static void parse_bad(const char *text, const char *needle) {
    LatentObjective o;
    CvError err = {0};
    CvStatus st = cv_latent_objective_parse(text, &o, &err);
    if (st != CV_ERR_PARSE) fail_msg("'%s' was accepted", text);
    if (!strstr(err.msg, needle)) fail_msg("'%s': message '%s' lacks '%s'", text, err.msg, needle);
}

static void test_objective_invalid(void **state) {
    (void)state;
    parse_bad("", "empty");
    parse_bad("   ", "empty");
    parse_bad("foo*bar", "only one property (objectives are linear) at column 5 ('bar')");
    parse_bad("qed-2*bar*sa", "only one property");
    parse_bad("5*", "expected a property or a number at the end (column 3)");
    parse_bad("qed+", "at the end");
    parse_bad("qed*sa", "only one property");
    parse_bad("5", "term has no property at column 1");
    parse_bad("qed + 2", "term has no property at column 7");
    parse_bad("qed-qed", "every weight is zero");
    parse_bad("0*qed", "every weight is zero");
    parse_bad("qed $", "expected '+', '-' or '*' at column 5 ('$')");
    parse_bad("1e*qed", "malformed exponent");
    parse_bad("inf*qed", "only one property");
    parse_bad("\"pIC50", "unclosed or unprintable quoted name at column 1");
    parse_bad("qed + \"\"", "empty quoted name at column 7");
    parse_bad("\"a\tb\"", "unclosed or unprintable");
    parse_bad("\"a\"b", "expected '+', '-' or '*' at column 4 ('b')");
    parse_bad("a-a", "every weight is zero");
    parse_bad("a1+a2+a3+a4+a5+a6+a7+a8+a9", "more than 8 head properties named at column 25");
    parse_bad("x234567890123456789012345678901234567890123456789012345678901234",
              "longer than 63 characters");
    parse_bad("1e999*qed", "out of range");
    parse_bad("qed**2", "expected a property or a number at column 5");
    parse_bad("--qed", "expected a property or a number at column 2");
    parse_bad("qed sa", "expected '+', '-' or '*' at column 5");
    parse_bad(".*qed", "malformed number");
    parse_bad("1e300*1e300*qed", "out of range");
}

static void test_objective_bind_and_true(void **state) {
    (void)state;
    const char *names[3] = {"logP", "qed", "SAS"};
    double mean[3] = {2.5, 0.7, 3.0}, std[3] = {1.5, 0.1, 0.8}, wz[3], off;
    LatentObjective o;
    CvError err = {0};
    assert_int_equal(cv_latent_objective_parse("plogp", &o, NULL), CV_OK);
    assert_int_equal(cv_latent_objective_bind(&o, 3, names, mean, std, wz, &off, &err), CV_OK);
    assert_true(fabs(wz[0] - 1.5) < 1e-12 && wz[1] == 0 && fabs(wz[2] + 0.8) < 1e-12);
    assert_true(fabs(off - (2.5 - 3.0)) < 1e-12);
    assert_int_equal(cv_latent_objective_parse("5*qed-sa", &o, NULL), CV_OK);
    assert_int_equal(cv_latent_objective_bind(&o, 3, names, mean, std, wz, &off, &err), CV_OK);
    assert_true(wz[0] == 0 && fabs(wz[1] - 0.5) < 1e-12 && fabs(wz[2] + 0.8) < 1e-12);
    assert_true(fabs(off - (3.5 - 3.0)) < 1e-12);
    assert_int_equal(cv_latent_objective_parse("mw", &o, NULL), CV_OK);
    assert_int_equal(cv_latent_objective_bind(&o, 3, names, mean, std, wz, &off, &err),
                     CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "needs mw"));
    assert_non_null(strstr(err.msg, "logP, qed, SAS"));
    /* true values use RDKit's penalized logP, ring penalty included */
    ChemScores s = {.mw = 100, .logp = 2, .qed = 0.5, .sa = 3, .penalized_logp = -3};
    assert_int_equal(cv_latent_objective_parse("plogp", &o, NULL), CV_OK);
    assert_true(cv_latent_objective_true(&o, &s) == -3);
    assert_int_equal(cv_latent_objective_parse("5*qed-sa+0.01*mw", &o, NULL), CV_OK);
    assert_true(fabs(cv_latent_objective_true(&o, &s) - (2.5 - 3 + 1)) < 1e-12);
}

/* Named head properties: kept as written, merged only when spelled alike, printed after the
 * known ones (quoted when they are not a plain name), and bound by exact name first, then
 * ignoring case; RDKit gives them no true value. */
static void test_objective_named(void **state) {
    (void)state;
    LatentObjective o, back;
    CvError err = {0};
    assert_int_equal(cv_latent_objective_parse("pIC50 - 0.5*SA + 2*pIC50", &o, &err), CV_OK);
    assert_int_equal(o.n_named, 1);
    assert_string_equal(o.named[0].name, "pIC50");
    assert_true(o.named[0].w == 3 && o.w[LATENT_PROP_SA] == -0.5);
    assert_string_equal(o.text, "-0.5*sa + 3*pIC50");
    assert_false(cv_latent_objective_rdkit(&o));
    ChemScores s = {.mw = 100, .logp = 2, .qed = 0.5, .sa = 3, .penalized_logp = -3};
    assert_true(isnan(cv_latent_objective_true(&o, &s)));
    assert_int_equal(cv_latent_objective_parse("\"logS (mol/L)\" - \"qed\" + my_prop", &o, &err),
                     CV_OK);
    assert_string_equal(o.text, "-qed + \"logS (mol/L)\" + my_prop"); /* "qed" is RDKit's */
    assert_int_equal(cv_latent_objective_parse(o.text, &back, &err), CV_OK);
    assert_string_equal(back.text, o.text);
    cv_latent_objective_negate(&o);
    assert_true(o.named[0].w == -1 && o.named[1].w == -1 && o.w[LATENT_PROP_QED] == 1);
    /* binding: exact name first, then the one name equal ignoring case */
    const char *names[4] = {"logP", "pic50", "pIC50", "my_prop"};
    double mean[4] = {2.5, 6.0, 7.0, 1.0}, std[4] = {1.5, 2.0, 0.5, 4.0}, wz[4], off;
    assert_int_equal(cv_latent_objective_parse("pIC50 - logp", &o, NULL), CV_OK);
    assert_int_equal(cv_latent_objective_bind(&o, 4, names, mean, std, wz, &off, &err), CV_OK);
    assert_true(wz[0] == -1.5 && wz[1] == 0 && wz[2] == 0.5 && wz[3] == 0);
    assert_true(fabs(off - (7.0 - 2.5)) < 1e-12);
    assert_int_equal(cv_latent_objective_parse("2*MY_PROP", &o, NULL), CV_OK);
    assert_int_equal(cv_latent_objective_bind(&o, 4, names, mean, std, wz, &off, &err), CV_OK);
    assert_true(wz[3] == 8 && off == 2);
    assert_int_equal(cv_latent_objective_parse("PIC50", &o, NULL), CV_OK);
    assert_int_equal(cv_latent_objective_bind(&o, 4, names, mean, std, wz, &off, &err),
                     CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "PIC50 is ambiguous: the head predicts both pic50 and pIC50"));
    assert_int_equal(cv_latent_objective_parse("foo + qed", &o, NULL), CV_OK);
    assert_int_equal(cv_latent_objective_bind(&o, 4, names, mean, std, wz, &off, &err),
                     CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "needs qed, which the model's property head does not predict "
                                    "(it predicts: logP, pic50, pIC50, my_prop)"));
    names[0] = "QED";
    assert_int_equal(cv_latent_objective_bind(&o, 4, names, mean, std, wz, &off, &err),
                     CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "needs foo"));
}

/* ---- paths ----------------------------------------------------------------------------------- */

static double norm(const float *a, size_t Z) {
    double s = 0;
    for (size_t k = 0; k < Z; k++) s += (double)a[k] * a[k];
    return sqrt(s);
}

static void test_paths(void **state) {
    (void)state;
    enum { Z = 16 };
    float a[Z], b[Z], out[Z];
    CvRng rng;
    cv_rng_init(&rng, 1);
    cv_rng_fill_normal(&rng, a, Z);
    cv_rng_fill_normal(&rng, b, Z);
    cv_latent_lerp(a, b, Z, 0.0, out);
    assert_memory_equal(out, a, sizeof a);
    cv_latent_lerp(a, b, Z, 1.0, out);
    for (int k = 0; k < Z; k++) assert_true(fabsf(out[k] - b[k]) < 1e-6f);
    cv_latent_lerp(a, b, Z, 0.25, out);
    assert_true(fabs(cv_latent_distance(a, out, Z) - 0.25 * cv_latent_distance(a, b, Z)) < 1e-5);
    cv_latent_slerp(a, b, Z, 0.0, out);
    for (int k = 0; k < Z; k++) assert_true(fabsf(out[k] - a[k]) < 1e-6f);
    cv_latent_slerp(a, b, Z, 1.0, out);
    for (int k = 0; k < Z; k++) assert_true(fabsf(out[k] - b[k]) < 1e-5f);
    /* equal norms: every point keeps the norm */
    double na = norm(a, Z), nb = norm(b, Z);
    for (int k = 0; k < Z; k++) b[k] = (float)(b[k] * na / nb);
    for (double t = 0.1; t < 1.0; t += 0.2) {
        cv_latent_slerp(a, b, Z, t, out);
        assert_true(fabs(norm(out, Z) - na) < 1e-4 * na);
    }
    /* orthogonal unit vectors: the midpoint is (a + b)/sqrt(2) */
    float e1[2] = {1, 0}, e2[2] = {0, 1}, mid[2];
    cv_latent_slerp(e1, e2, 2, 0.5, mid);
    assert_true(fabsf(mid[0] - (float)M_SQRT1_2) < 1e-6f &&
                fabsf(mid[1] - (float)M_SQRT1_2) < 1e-6f);
    /* parallel and zero vectors fall back to lerp */
    float p2[2] = {2, 0}, zero[2] = {0, 0};
    cv_latent_slerp(e1, p2, 2, 0.5, mid);
    assert_true(fabsf(mid[0] - 1.5f) < 1e-6f && mid[1] == 0.0f);
    cv_latent_slerp(zero, e2, 2, 0.5, mid);
    assert_true(mid[0] == 0.0f && fabsf(mid[1] - 0.5f) < 1e-6f);
}

/* ---- optimizer ---------------------------------------------------------------------------------
 */

typedef struct {
    double head[64][8];
    size_t steps[64], n, S, rows, valid;
} Trace;

static CvStatus trace_sink(void *ctx, size_t step, size_t S, size_t K, const float *z,
                           const double *head, const float *pred, const LatentMol *mols,
                           const double *sim, CvError *err) {
    (void)z, (void)pred, (void)err;
    Trace *t = ctx;
    assert_true(t->n < 64 && S <= 8);
    t->steps[t->n] = step;
    for (size_t s = 0; s < S; s++) t->head[t->n][s] = head[s];
    for (size_t r = 0; r < S * K; r++) {
        t->valid += (size_t)mols[r].valid;
        if (r / K == 0) assert_true(mols[r].valid ? sim[r] >= 0 && sim[r] <= 1 : isnan(sim[r]));
        else assert_true(isnan(sim[r])); /* random starts have no molecule */
    }
    t->rows += S * K;
    t->n++;
    t->S = S;
    return CV_OK;
}

static void test_optimizer_monotonic(void **state) {
    (void)state;
    Tiny t;
    tiny_init(&t, 4, 21);
    size_t S = 6, Z = (size_t)t.vae.cfg.Z;
    const char *names[2] = {"logP", "qed"};
    double mean[2] = {2.0, 0.6}, std[2] = {1.2, 0.15}, wz[2], off;
    LatentObjective obj;
    assert_int_equal(cv_latent_objective_parse("logp + 3*qed", &obj, NULL), CV_OK);
    assert_int_equal(cv_latent_objective_bind(&obj, 2, names, mean, std, wz, &off, NULL), CV_OK);
    float *z0 = malloc(S * Z * sizeof *z0), *zf = malloc(S * Z * sizeof *zf);
    CvRng rng;
    cv_rng_init(&rng, 4);
    cv_latent_sample_prior(&rng, z0, S, Z);
    const char *starts[6] = {"CCO", NULL, NULL, NULL, NULL, NULL};
    LatentOptConfig cfg;
    cv_latent_opt_config_default(&cfg);
    cfg.steps = 30;
    cfg.lr = 0.01;
    cfg.prior = 0.0;
    cfg.decode_every = 1;
    cfg.decode.attempts = 2;
    Trace tr = {0};
    LatentOptResult res[6];
    assert_int_equal(cv_latent_optimize(&t.vae, &t.vocab, &obj, wz, off, &cfg, z0, starts, S, &rng,
                                        trace_sink, &tr, res, zf, NULL),
                     CV_OK);
    assert_int_equal(tr.n, 31);
    assert_int_equal(tr.rows, 31 * S * 2);
    for (size_t s = 0; s < S; s++) {
        for (size_t i = 1; i < tr.n; i++) {
            if (!(tr.head[i][s] > tr.head[i - 1][s]))
                fail_msg("start %zu: head value fell from %g to %g at step %zu", s,
                         tr.head[i - 1][s], tr.head[i][s], i);
        }
        assert_true(fabs(res[s].head_start - tr.head[0][s]) < 1e-9);
        assert_true(fabs(res[s].head_end - tr.head[30][s]) < 1e-9);
        /* normalized steps: 30 steps of 0.01 move at most 0.3 */
        assert_true(cv_latent_distance(z0 + s * Z, zf + s * Z, Z) <= 0.3 + 1e-4);
        assert_int_equal(res[s].decoded, 31 * 2);
    }
    assert_string_equal(res[0].start_smiles, "CCO");
    assert_true(isfinite(res[0].start_score));
    assert_true(isnan(res[1].start_score));
    size_t valid = 0;
    for (size_t s = 0; s < S; s++) valid += res[s].valid;
    assert_int_equal(valid, tr.valid);
    for (size_t s = 0; s < S; s++) cv_latent_opt_result_free(&res[s]);

    /* trust region: never farther than r from the start, even with big steps */
    cfg.lr = 0.5;
    cfg.trust_radius = 0.7;
    cfg.decode_every = 100;
    cfg.steps = 10;
    assert_int_equal(cv_latent_optimize(&t.vae, &t.vocab, &obj, wz, off, &cfg, z0, NULL, S, &rng,
                                        NULL, NULL, res, zf, NULL),
                     CV_OK);
    for (size_t s = 0; s < S; s++) {
        assert_true(cv_latent_distance(z0 + s * Z, zf + s * Z, Z) <= 0.7 + 1e-4);
        cv_latent_opt_result_free(&res[s]);
    }
    free(z0);
    free(zf);
    tiny_free(&t);
}

static void test_constrained_bookkeeping(void **state) {
    (void)state;
    LatentOptResult r;
    cv_latent_opt_result_init(&r, "CCO", 1.0);
    /* too dissimilar: only best_any sees it */
    assert_int_equal(cv_latent_opt_consider(&r, "c1ccccc1", 5.0, 0.3, 0.4, 2, NULL), CV_OK);
    assert_true(isnan(r.best_score));
    assert_false(r.success);
    assert_true(r.best_any_score == 5.0);
    assert_string_equal(r.best_any_smiles, "c1ccccc1");
    /* similar but worse than the start: counted, no success, improvement 0 */
    assert_int_equal(cv_latent_opt_consider(&r, "CCN", 0.5, 0.5, 0.4, 3, NULL), CV_OK);
    assert_true(r.best_score == 0.5 && r.best_sim == 0.5 && r.best_step == 3);
    assert_false(r.success);
    assert_true(r.improvement == 0.0);
    /* the start itself is never a success */
    assert_int_equal(cv_latent_opt_consider(&r, "CCO", 1.0, 1.0, 0.4, 4, NULL), CV_OK);
    assert_string_equal(r.best_smiles, "CCO");
    assert_false(r.success);
    /* exactly at the threshold and better: success */
    assert_int_equal(cv_latent_opt_consider(&r, "CCCO", 2.5, 0.4, 0.4, 5, NULL), CV_OK);
    assert_true(r.success);
    assert_true(fabs(r.improvement - 1.5) < 1e-12);
    assert_int_equal(r.best_step, 5);
    /* a later, lower one does not replace the best */
    assert_int_equal(cv_latent_opt_consider(&r, "CCCCO", 2.0, 0.9, 0.4, 6, NULL), CV_OK);
    assert_string_equal(r.best_smiles, "CCCO");
    assert_true(r.best_any_score == 5.0);
    cv_latent_opt_result_free(&r);
    /* unconstrained: everything counts */
    cv_latent_opt_result_init(&r, "CCO", 1.0);
    assert_int_equal(cv_latent_opt_consider(&r, "c1ccccc1", 5.0, 0.05, -1.0, 1, NULL), CV_OK);
    assert_true(r.success && fabs(r.improvement - 4.0) < 1e-12);
    cv_latent_opt_result_free(&r);
    /* no start molecule: the constraint does not apply */
    cv_latent_opt_result_init(&r, NULL, 0.0);
    assert_true(isnan(r.start_score));
    assert_int_equal(cv_latent_opt_consider(&r, "CCO", -1.0, NAN, 0.4, 0, NULL), CV_OK);
    assert_true(r.best_score == -1.0);
    cv_latent_opt_result_free(&r);
    /* ranked by a key, no true score (a head property RDKit cannot compute): the best is the
     * highest key, success 0 and improvement NaN; a NaN key is never best */
    cv_latent_opt_result_init(&r, "CCO", NAN);
    assert_int_equal(cv_latent_opt_consider_key(&r, "CCN", NAN, 2.0, 0.5, 0.4, 1, NULL), CV_OK);
    assert_int_equal(cv_latent_opt_consider_key(&r, "CCCN", NAN, 3.0, 0.5, 0.4, 2, NULL), CV_OK);
    assert_int_equal(cv_latent_opt_consider_key(&r, "CCCCN", NAN, 2.5, 0.5, 0.4, 3, NULL), CV_OK);
    assert_int_equal(cv_latent_opt_consider_key(&r, "CCCCCN", 9.0, NAN, 0.5, 0.4, 4, NULL), CV_OK);
    assert_string_equal(r.best_smiles, "CCCN");
    assert_true(r.best_key == 3.0 && r.best_any_key == 3.0 && isnan(r.best_score));
    assert_false(r.success);
    assert_true(isnan(r.improvement));
    cv_latent_opt_result_free(&r);
}

/* A judge that scores a molecule by the length of its SMILES, counting its calls. */
typedef struct {
    size_t calls, molecules;
} LengthJudge;

static CvStatus length_judge(void *ctx, size_t n, const char *const *smiles,
                             const ChemScores *scores, double *out, CvError *err) {
    (void)scores, (void)err;
    LengthJudge *j = ctx;
    j->calls++;
    j->molecules += n;
    for (size_t i = 0; i < n; i++) out[i] = (double)strlen(smiles[i]);
    return CV_OK;
}

static CvStatus failing_judge(void *ctx, size_t n, const char *const *smiles,
                              const ChemScores *scores, double *out, CvError *err) {
    (void)ctx, (void)n, (void)smiles, (void)scores, (void)out;
    return cv_error_set(err, CV_ERR_IO, "judge failed");
}

/* Every valid decode seen by the sink, the longest per start. */
typedef struct {
    size_t longest[4], valid, points; /* points: decode points with a valid decode */
} Longest;

static CvStatus longest_sink(void *ctx, size_t step, size_t S, size_t K, const float *z,
                             const double *head, const float *pred, const LatentMol *mols,
                             const double *sim, CvError *err) {
    (void)step, (void)z, (void)head, (void)pred, (void)sim, (void)err;
    Longest *l = ctx;
    size_t before = l->valid;
    for (size_t r = 0; r < S * K; r++) {
        if (!mols[r].valid) continue;
        size_t len = strlen(mols[r].canonical);
        if (len > l->longest[r / K]) l->longest[r / K] = len;
        l->valid++;
    }
    l->points += l->valid > before;
    return CV_OK;
}

/* With a judge, the judge's values are the scores: one call for the starts and one per
 * decode point, and the best molecule of each start is the one it values most. */
static void test_optimizer_judge(void **state) {
    (void)state;
    Tiny t;
    tiny_init(&t, 4, 23);
    size_t S = 3, Z = (size_t)t.vae.cfg.Z;
    const char *names[2] = {"logP", "my_prop"};
    double mean[2] = {2.0, 5.0}, std[2] = {1.2, 2.0}, wz[2], off;
    LatentObjective obj;
    assert_int_equal(cv_latent_objective_parse("my_prop", &obj, NULL), CV_OK);
    assert_int_equal(cv_latent_objective_bind(&obj, 2, names, mean, std, wz, &off, NULL), CV_OK);
    float *z0 = malloc(S * Z * sizeof *z0);
    CvRng rng;
    cv_rng_init(&rng, 5);
    cv_latent_sample_prior(&rng, z0, S, Z);
    const char *starts[3] = {"CCO", "c1ccccc1O", NULL};
    LatentOptConfig cfg;
    cv_latent_opt_config_default(&cfg);
    cfg.steps = 6;
    cfg.decode_every = 3;
    cfg.decode.attempts = 4;
    cfg.decode.retry_temperature = 1.5f;
    LengthJudge judge = {0};
    cfg.judge = length_judge;
    cfg.judge_ctx = &judge;
    Longest seen = {{0}, 0, 0};
    LatentOptResult res[3];
    assert_int_equal(cv_latent_optimize(&t.vae, &t.vocab, &obj, wz, off, &cfg, z0, starts, S, &rng,
                                        longest_sink, &seen, res, NULL, NULL),
                     CV_OK);
    assert_true(seen.points > 0);
    assert_int_equal(judge.calls, 1 + seen.points);
    assert_int_equal(judge.molecules, 2 + seen.valid);
    assert_true(res[0].start_score == 3 && res[1].start_score == 9 && isnan(res[2].start_score));
    for (size_t s = 0; s < S; s++) {
        if (!seen.longest[s]) continue;
        assert_true(res[s].best_any_score == (double)seen.longest[s]);
        assert_true(strlen(res[s].best_any_smiles) == seen.longest[s]);
        assert_true(res[s].best_any_key == res[s].best_any_score);
    }
    for (size_t s = 0; s < S; s++) cv_latent_opt_result_free(&res[s]);
    /* without a judge the true value of my_prop is unknown: NaN scores, the head ranks */
    cfg.judge = NULL;
    assert_int_equal(cv_latent_optimize(&t.vae, &t.vocab, &obj, wz, off, &cfg, z0, starts, S, &rng,
                                        NULL, NULL, res, NULL, NULL),
                     CV_OK);
    for (size_t s = 0; s < S; s++) {
        assert_true(isnan(res[s].start_score) && isnan(res[s].best_any_score));
        if (res[s].best_any_smiles) assert_true(isfinite(res[s].best_any_key));
        cv_latent_opt_result_free(&res[s]);
    }
    /* a judge's error stops the optimization with it */
    cfg.judge = failing_judge;
    CvError err = {0};
    assert_int_equal(cv_latent_optimize(&t.vae, &t.vocab, &obj, wz, off, &cfg, z0, starts, S, &rng,
                                        NULL, NULL, res, NULL, &err),
                     CV_ERR_IO);
    assert_string_equal(err.msg, "judge failed");
    for (size_t s = 0; s < S; s++) cv_latent_opt_result_free(&res[s]);
    free(z0);
    tiny_free(&t);
}

int main(void) {
    cv_chem_log_rdkit(0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniq_counts),
        cmocka_unit_test(test_uniq_add_mols_skips_invalid),
        cmocka_unit_test(test_decode_attempts_layout),
        cmocka_unit_test(test_sample_around),
        cmocka_unit_test(test_objective_valid),
        cmocka_unit_test(test_objective_invalid),
        cmocka_unit_test(test_objective_bind_and_true),
        cmocka_unit_test(test_objective_named),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_optimizer_monotonic),
        cmocka_unit_test(test_constrained_bookkeeping),
        cmocka_unit_test(test_optimizer_judge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
