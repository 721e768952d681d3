/* fuzz_vocab.c — libFuzzer target for the vocabulary file reader. Arbitrary bytes as a
 * vocabulary: cv_vocab_load refuses (missing header or specials, duplicate or empty tokens)
 * or gives a vocabulary whose ids look themselves up: cv_vocab_lookup(token i) == i. */
#include <stdint.h>
#include <string.h>

#include "chemvae/data/vocab.h"
#include "fuzz_tmpfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_tmp_write("vocab", data, size);
    if (!path) return 0;
    CvVocab v;
    CvError err;
    if (cv_vocab_load(&v, path, &err) != CV_OK) return 0;
    for (size_t i = 0; i < v.n; i++)
        if (cv_vocab_lookup(&v, v.tokens[i], strlen(v.tokens[i])) != (int)i) abort();
    cv_vocab_free(&v);
    return 0;
}
