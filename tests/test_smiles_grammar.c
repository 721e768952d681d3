/* test_smiles_grammar.c — the SMILES prefix state machine behind constrained decoding:
 * the mask never forbids a real molecule (every token of 2,000 ZINC SMILES, in canonical
 * and randomized spellings, is in the allowed set at its step, and <end> is allowed after
 * the last one), it forbids what RDKit rejects for the reasons it names, and its
 * failure classes match hand-made broken strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"
#include "chemvae/data/csvin.h"
#include "chemvae/data/smiles_grammar.h"
#include "chemvae/data/vocab.h"

#define T_MAX 120

typedef struct {
    CvVocab vocab;
    SmilesGrammar g;
} Fixture;

static int setup(void **state) {
    Fixture *f = calloc(1, sizeof *f);
    CvError err = {0};
    if (!f || cv_vocab_load(&f->vocab, "vocab/zinc.vocab", &err) != CV_OK) return -1;
    if (cv_smiles_grammar_init(&f->g, (const char *const *)f->vocab.tokens, (int)f->vocab.n,
                               &err) != CV_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    Fixture *f = *state;
    cv_smiles_grammar_free(&f->g);
    cv_vocab_free(&f->vocab);
    free(f);
    return 0;
}

/* Walks the tokens of `smiles` through the state machine and fails when the mask would
 * have forbidden one of them (or the final <end>). Returns 0 when the SMILES does not
 * encode with the vocabulary (skipped). */
static int walk_allowed(const Fixture *f, const char *smiles, int mode) {
    int32_t row[T_MAX];
    size_t len;
    CvError err = {0};
    if (cv_vocab_encode(&f->vocab, smiles, T_MAX, 0, row, &len, &err) != CV_OK) return 0;
    SmilesState s;
    cv_smiles_state_reset(&s);
    uint8_t allowed[256];
    for (size_t t = 0; t < len; t++) {
        cv_smiles_state_allowed(&f->g, &s, mode, (int)(T_MAX - t), allowed);
        if (!allowed[row[t]])
            fail_msg("mode %s forbids token %zu '%s' of %s", cv_smiles_constrain_name(mode), t,
                     cv_vocab_token(&f->vocab, row[t]), smiles);
        if (row[t] != f->g.end_id) cv_smiles_state_push(&f->g, &s, row[t]);
    }
    return 1;
}

typedef struct {
    char **smiles;
    size_t n, cap;
} SmilesList;

/* The first `cap` SMILES of a ZINC CSV (first field, trailing whitespace trimmed). */
static int collect(const CsvinRecord *r, void *user) {
    SmilesList *l = user;
    if (r->error || r->nfields < 1 || r->line == 1) return 0;
    if (l->n == l->cap) return 1;
    size_t n = r->lens[0];
    while (n && (r->fields[0][n - 1] == '\n' || r->fields[0][n - 1] == '\r' ||
                 r->fields[0][n - 1] == ' '))
        n--;
    l->smiles[l->n++] = strndup(r->fields[0], n);
    return 0;
}

static void test_never_forbids_zinc(void **state) {
    Fixture *f = *state;
    SmilesList l = {calloc(2000, sizeof(char *)), 0, 2000};
    CvError err = {0};
    cv_csvin_read_file("datasets/zinc24k.csv", NULL, collect, &l, &err); /* stops at 2,000 */
    assert_int_equal(l.n, 2000);
    size_t walked = 0, random_walked = 0;
    for (size_t i = 0; i < l.n; i++) {
        char *can = cv_chem_canonical(l.smiles[i]);
        assert_non_null(can);
        walked += (size_t)walk_allowed(f, can, SMILES_VALENCE);
        walk_allowed(f, can, SMILES_SYNTAX);
        for (uint64_t seed = 1; seed <= 2; seed++) {
            char *r = cv_chem_random_smiles(can, seed * 7919 + i);
            assert_non_null(r);
            random_walked += (size_t)walk_allowed(f, r, SMILES_VALENCE);
            free(r);
        }
        free(can);
        free(l.smiles[i]);
    }
    assert_true(walked >= 1990);
    assert_true(random_walked >= 3800); /* a few random spellings need ring digits > 6 */
    free(l.smiles);
}

/* Token ids of a space-separated token list. */
static size_t ids_of(const Fixture *f, const char *toks, int32_t *ids) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", toks);
    size_t n = 0;
    for (char *p = strtok(buf, " "); p; p = strtok(NULL, " ")) {
        int id = cv_vocab_lookup(&f->vocab, p, strlen(p));
        if (id < 0) fail_msg("token '%s' not in the vocabulary", p);
        ids[n++] = id;
    }
    return n;
}

static void test_classify(void **state) {
    Fixture *f = *state;
    struct {
        const char *toks;
        SmilesFailure want;
    } cases[] = {
        {"C C O <end>", SMILES_OK},
        {"c 1 c c c c c 1 <end>", SMILES_OK},
        {"C ( <end>", SMILES_FAIL_SYNTAX},
        {"C ( ) C <end>", SMILES_FAIL_SYNTAX},
        {"C ) <end>", SMILES_FAIL_SYNTAX},
        {"= C <end>", SMILES_FAIL_SYNTAX},
        {"C = <end>", SMILES_FAIL_SYNTAX},
        {"C 1 C C <end>", SMILES_FAIL_RING},
        {"C 1 1 <end>", SMILES_FAIL_RING},
        {"C 1 C 1 <end>", SMILES_FAIL_RING},
        {"C 1 2 C C 1 2 <end>", SMILES_FAIL_RING}, /* the second closure bonds the pair twice */
        {"C = 1 C C # 1 <end>", SMILES_FAIL_RING},
        {"O = O = O <end>", SMILES_FAIL_VALENCE},
        {"C ( C ) ( C ) ( C ) ( C ) C <end>", SMILES_FAIL_VALENCE},
        {"F F F <end>", SMILES_FAIL_VALENCE},
        {"[O-] = C <end>", SMILES_FAIL_VALENCE},
        {"c c c <end>", SMILES_FAIL_AROMATICITY},
        {"C C C", SMILES_FAIL_LENGTH},
        {"C [N+] ( C ) ( C ) C <end>", SMILES_OK},
        {"C S ( = O ) ( = O ) C <end>", SMILES_OK},
        {"c 1 c c [nH] c 1 <end>", SMILES_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t ids[64];
        size_t n = ids_of(f, cases[i].toks, ids);
        SmilesFailure got = cv_smiles_grammar_classify(&f->g, ids, n);
        if (got != cases[i].want)
            fail_msg("'%s': %s, want %s", cases[i].toks, cv_smiles_failure_name(got),
                     cv_smiles_failure_name(cases[i].want));
    }
}

/* With a few steps left only closing tokens remain; <end> only when nothing is open. */
static void test_length_limit(void **state) {
    Fixture *f = *state;
    int32_t ids[16];
    size_t n = ids_of(f, "C 1 C C ( C", ids);
    SmilesState s;
    cv_smiles_state_reset(&s);
    for (size_t i = 0; i < n; i++) cv_smiles_state_push(&f->g, &s, ids[i]);
    uint8_t allowed[256];
    /* a branch and ring 1 are open: "1 ) <end>" closes both in 3 steps; ")" first would
     * need an atom before the ring digit (4 steps); 2 steps close nothing */
    assert_int_equal(cv_smiles_state_allowed(&f->g, &s, SMILES_VALENCE, 2, allowed), 0);
    int k = cv_smiles_state_allowed(&f->g, &s, SMILES_VALENCE, 3, allowed);
    int close = cv_vocab_lookup(&f->vocab, ")", 1), one = cv_vocab_lookup(&f->vocab, "1", 1);
    assert_int_equal(k, 1);
    assert_true(allowed[one]);
    assert_false(allowed[close]);
    assert_false(allowed[f->g.end_id]);
    assert_true(cv_smiles_state_allowed(&f->g, &s, SMILES_VALENCE, 4, allowed) > k);
    assert_true(allowed[close]);
}

/* Random token sequences obeying the mask: <end> is only ever allowed on a string the
 * state machine accepts whole (nothing open), in both modes. In syntax mode the length
 * rule alone guarantees every walk ends. Uniformly random valence-mode walks drift into
 * chemistry no model writes (chains of charged aromatic bracket atoms) and some reach a
 * prefix whose aromatic atoms can no longer be satisfied; the decoder then lets the row
 * end and the string gets a failure class. Their rate is printed, not bounded: what
 * matters for decoding is measured on model output (src/latent/README.md
 * "Constrained decoding, measured"). */
static int random_walks(const Fixture *f, int mode, int walks) {
    uint64_t x = 12345;
    uint8_t allowed[256];
    int dead = 0;
    for (int walk = 0; walk < walks; walk++) {
        SmilesState s;
        cv_smiles_state_reset(&s);
        int32_t ids[T_MAX];
        int T = 10 + walk % 60, t = 0, ended = 0;
        for (; t < T; t++) {
            int n = cv_smiles_state_allowed(&f->g, &s, mode, T - t, allowed);
            if (n == 0) {
                if (getenv("WALK_DEBUG") && dead < 5) {
                    char *txt = cv_vocab_decode(&f->vocab, ids, (size_t)t);
                    printf("DEAD %s %d left: %s\n", cv_smiles_constrain_name(mode), T - t, txt);
                    free(txt);
                }
                break;
            }
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            int pick = (int)((x >> 33) % (uint64_t)n), k = 0;
            for (;; k++)
                if (allowed[k] && pick-- == 0) break;
            ids[t] = k;
            if (k == f->g.end_id) {
                ended = 1;
                break;
            }
            cv_smiles_state_push(&f->g, &s, k);
        }
        if (!ended) {
            dead++;
            continue;
        }
        SmilesFailure got = cv_smiles_grammar_classify(&f->g, ids, (size_t)t + 1);
        if (got != SMILES_OK && !(mode == SMILES_SYNTAX &&
                                  (got == SMILES_FAIL_VALENCE || got == SMILES_FAIL_AROMATICITY))) {
            char *txt = cv_vocab_decode(&f->vocab, ids, (size_t)t);
            fail_msg("mode %s allowed <end> after '%s' (%s)", cv_smiles_constrain_name(mode), txt,
                     cv_smiles_failure_name(got));
        }
    }
    return dead;
}

static void test_masked_walks_close(void **state) {
    Fixture *f = *state;
    assert_int_equal(random_walks(f, SMILES_SYNTAX, 3000), 0);
    int dead = random_walks(f, SMILES_VALENCE, 3000);
    printf("valence-mode random walks: %d of 3000 reached a dead end\n", dead);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_never_forbids_zinc),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_masked_walks_close),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
