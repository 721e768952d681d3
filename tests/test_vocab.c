/* test_vocab.c — tokenizer rules and round trip, vocabulary build/save/load/hash/encode/
 * decode, one-hot, the token line `chemvae vocab tokenize` prints (cv_vocab_tokens_write). The
 * round trip over every molecule of the bundled dataset lives in test_csvin.c (it needs the CSV
 * reader). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/app/app_vocab.h"
#include "chemvae/data/tokenizer.h"
#include "chemvae/data/vocab.h"

/* Tokenizes s and checks the tokens against the space-separated list `want`. */
static void check_tokens(const char *s, const char *want) {
    TokenSpan spans[256];
    size_t n;
    CvError err;
    assert_int_equal(cv_tokenizer_split(s, strlen(s), spans, 256, &n, &err), CV_OK);
    char buf[1024] = "";
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(buf, " ");
        strncat(buf, s + spans[i].off, spans[i].len);
    }
    if (strcmp(buf, want) != 0) fail_msg("tokens of '%s': got '%s', want '%s'", s, buf, want);
}

static void test_tokenizer_rules(void **state) {
    (void)state;
    check_tokens("CCl", "C Cl");
    check_tokens("BrCBr", "Br C Br");
    check_tokens("c1ccccc1", "c 1 c c c c c 1");
    check_tokens("C[C@@H](N)C(=O)O", "C [C@@H] ( N ) C ( = O ) O");
    check_tokens("c1cc[nH]c1", "c 1 c c [nH] c 1");
    check_tokens("C[N+](C)(C)C.[Cl-]", "C [N+] ( C ) ( C ) C . [Cl-]");
    check_tokens("C%12CC%12", "C %12 C C %12");
    check_tokens("F/C=C\\F", "F / C = C \\ F");
    check_tokens("C#N", "C # N");
    check_tokens("[13CH3]O", "[13CH3] O");
    check_tokens("B1OCO1", "B 1 O C O 1");
    check_tokens("", "");
}

static void test_tokenizer_rejects(void **state) {
    (void)state;
    const char *bad[] = {"C[C", "CX", "C C", "C%1", "C]", "[]", "C\x01", "C\xff", "C[N\n]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n;
        CvError err;
        cv_error_clear(&err);
        CvStatus st = cv_tokenizer_split(bad[i], strlen(bad[i]), NULL, 0, &n, &err);
        if (st != CV_ERR_PARSE) fail_msg("'%s' should not tokenize", bad[i]);
        assert_non_null(strstr(err.msg, "offset"));
    }
    char joined[8];
    const char *toks[] = {"Cl", "C", "[nH]"};
    assert_int_equal(cv_tokenizer_join(toks, 2, joined, sizeof joined), 3);
    assert_string_equal(joined, "ClC");
    assert_true(cv_tokenizer_join(toks, 3, joined, 5) == (size_t)-1);
}

static const char *const MOLS[] = {
    "CCN(Cc1ccc(OC)c(OC)c1)C(=O)c1ccsc1",
    "Cc1ccc(/C=C2\\SC(N3CC[NH2+]CC3)=NC2=O)cc1",
    "CN1C[C@@H]([NH2+][C@H](c2cccs2)C2CC2)CC1=O",
    "ClC(Br)CI",
    "C%10CC%10",
};
#define NMOLS (sizeof MOLS / sizeof MOLS[0])

static void test_vocab_build_roundtrip(void **state) {
    (void)state;
    CvVocab v;
    CvError err;
    assert_int_equal(cv_vocab_build(&v, MOLS, NMOLS, &err), CV_OK);
    assert_string_equal(cv_vocab_token(&v, VOCAB_PAD), "<pad>");
    assert_string_equal(cv_vocab_token(&v, VOCAB_START), "<start>");
    assert_string_equal(cv_vocab_token(&v, VOCAB_END), "<end>");
    assert_string_equal(cv_vocab_token(&v, VOCAB_UNK), "<unk>");
    for (size_t i = VOCAB_NSPECIAL + 1; i < v.n; i++)
        assert_true(strcmp(v.tokens[i - 1], v.tokens[i]) < 0); /* sorted, distinct */
    assert_true(cv_vocab_lookup(&v, "Cl", 2) >= VOCAB_NSPECIAL);
    assert_true(cv_vocab_lookup(&v, "[NH2+]", 6) >= VOCAB_NSPECIAL);
    assert_int_equal(cv_vocab_lookup(&v, "Se", 2), -1);

    int32_t row[64];
    for (size_t m = 0; m < NMOLS; m++) {
        size_t len;
        assert_int_equal(cv_vocab_encode(&v, MOLS[m], 64, 0, row, &len, &err), CV_OK);
        assert_int_equal(row[len - 1], VOCAB_END);
        for (size_t t = len; t < 64; t++) assert_int_equal(row[t], VOCAB_PAD);
        char *back = cv_vocab_decode(&v, row, 64);
        assert_string_equal(back, MOLS[m]);
        free(back);
    }
    /* order independence */
    const char *rev[NMOLS];
    for (size_t i = 0; i < NMOLS; i++) rev[i] = MOLS[NMOLS - 1 - i];
    CvVocab v2;
    assert_int_equal(cv_vocab_build(&v2, rev, NMOLS, &err), CV_OK);
    assert_true(cv_vocab_hash(&v) == cv_vocab_hash(&v2));
    cv_vocab_free(&v2);
    cv_vocab_free(&v);
}

static void test_vocab_encode_errors(void **state) {
    (void)state;
    CvVocab v;
    CvError err;
    assert_int_equal(cv_vocab_build(&v, MOLS, 1, &err), CV_OK);
    int32_t row[16];
    size_t len;
    assert_int_equal(cv_vocab_encode(&v, "CC[Se]C", 16, 0, row, &len, &err), CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'[Se]'"));
    assert_int_equal(cv_vocab_encode(&v, "CC[Se]C", 16, 1, row, &len, &err), CV_OK);
    assert_int_equal(len, 5);
    assert_int_equal(row[2], VOCAB_UNK);
    char *back = cv_vocab_decode(&v, row, 16);
    assert_string_equal(back, "CC?C");
    free(back);
    /* T counts <end>: 4 tokens fit in T = 5, not in T = 4 */
    assert_int_equal(cv_vocab_encode(&v, "CCCC", 5, 0, row, &len, &err), CV_OK);
    assert_int_equal(cv_vocab_encode(&v, "CCCC", 4, 0, row, &len, &err), CV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "too long: 4 tokens, max 3"));
    assert_int_equal(cv_vocab_encode(&v, "C[C", 16, 1, row, &len, &err), CV_ERR_PARSE);
    const int32_t odd[] = {VOCAB_START, 4, 999, -5, VOCAB_END, 4};
    back = cv_vocab_decode(&v, odd, 6);
    assert_string_equal(back, "(??"); /* token 4 is '(' in this vocab */
    free(back);
    cv_vocab_free(&v);
}

static void test_vocab_save_load(void **state) {
    (void)state;
    char path[] = "/tmp/chemvae-vocab-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    CvVocab v, w;
    CvError err;
    assert_int_equal(cv_vocab_build(&v, MOLS, NMOLS, &err), CV_OK);
    assert_int_equal(cv_vocab_save(&v, path, &err), CV_OK);
    assert_int_equal(cv_vocab_load(&w, path, &err), CV_OK);
    assert_int_equal(w.n, v.n);
    for (size_t i = 0; i < v.n; i++) assert_string_equal(w.tokens[i], v.tokens[i]);
    assert_true(cv_vocab_hash(&v) == cv_vocab_hash(&w));
    cv_vocab_free(&w);

    /* malformed files are refused, naming file and line */
    const char *bad[] = {"",
                         "chemvae-vocab 2\n<pad>\n",
                         "chemvae-vocab 1\n<start>\n<pad>\n<end>\n<unk>\n",
                         "chemvae-vocab 1\n<pad>\n<start>\n<end>\n<unk>\nC\nC\n",
                         "chemvae-vocab 1\n<pad>\n<start>\n<end>\n<unk>\n\nC\n",
                         "chemvae-vocab 1\n<pad>\n<start>\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *fp = fopen(path, "wb");
        fputs(bad[i], fp);
        fclose(fp);
        cv_error_clear(&err);
        if (cv_vocab_load(&w, path, &err) == CV_OK) fail_msg("bad vocab %zu accepted", i);
        assert_non_null(strstr(err.msg, path));
        cv_vocab_free(&w);
    }
    assert_int_equal(cv_vocab_load(&w, "/nonexistent/x.vocab", &err), CV_ERR_IO);
    cv_vocab_free(&v);
    unlink(path);
}

static void test_onehot(void **state) {
    (void)state;
    const int32_t ids[] = {4, 2, 0, 5, 1, 99};
    float x[2 * 3 * 6];
    cv_vocab_onehot(ids, 2, 3, 6, x);
    for (size_t k = 0; k < 6; k++) {
        float s = 0;
        for (size_t j = 0; j < 6; j++) s += x[k * 6 + j];
        assert_true(s == (k == 5 ? 0.0f : 1.0f));
        if (k < 5) assert_true(x[k * 6 + (size_t)ids[k]] == 1.0f);
    }
}

/* The tokens of a SMILES written as one line, with their ids when given a vocabulary (-1 for
 * a token it lacks); a SMILES that does not tokenize writes nothing. */
static void test_tokens_write(void **state) {
    (void)state;
    const char *train[] = {"CCl", "c1ccccc1"};
    CvVocab v;
    CvError err;
    assert_int_equal(cv_vocab_build(&v, train, 2, &err), CV_OK);
    char *text = NULL, want[256];
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    assert_non_null(fp);
    assert_int_equal(cv_vocab_tokens_write(fp, "C[C@@H](Cl)Br", NULL, &err), CV_OK);
    assert_int_equal(cv_vocab_tokens_write(fp, "C[C", &v, &err), CV_ERR_PARSE);
    assert_int_equal(cv_vocab_tokens_write(fp, "CCl[Se]", &v, &err), CV_OK);
    assert_int_equal(cv_vocab_tokens_write(fp, "", NULL, &err), CV_OK);
    fclose(fp);
    snprintf(want, sizeof want, "C [C@@H] ( Cl ) Br\nC=%d Cl=%d [Se]=-1\n\n",
             cv_vocab_lookup(&v, "C", 1), cv_vocab_lookup(&v, "Cl", 2));
    assert_string_equal(text, want);
    assert_true(cv_vocab_lookup(&v, "Cl", 2) >= 0);
    free(text);
    cv_vocab_free(&v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenizer_rules),       cmocka_unit_test(test_tokenizer_rejects),
        cmocka_unit_test(test_vocab_build_roundtrip), cmocka_unit_test(test_vocab_encode_errors),
        cmocka_unit_test(test_vocab_save_load),       cmocka_unit_test(test_onehot),
        cmocka_unit_test(test_tokens_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
