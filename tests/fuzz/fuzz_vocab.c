/* fuzz_vocab.c — libFuzzer target for the vocabulary file reader. Arbitrary bytes as a
 * vocabulary: vocab_load refuses (missing header or specials, duplicate or empty tokens)
 * or gives a vocabulary whose ids look themselves up: vocab_lookup(token i) == i. */
#include <stdint.h>
#include <string.h>

#include "chemvae/vocab.h"
#include "fuzz_tmpfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_tmp_write("vocab", data, size);
    if (!path) return 0;
    CvVocab v;
    CvError err;
    if (vocab_load(&v, path, &err) != CV_OK) return 0;
    for (size_t i = 0; i < v.n; i++)
        if (vocab_lookup(&v, v.tokens[i], strlen(v.tokens[i])) != (int)i) abort();
    vocab_free(&v);
    return 0;
}
