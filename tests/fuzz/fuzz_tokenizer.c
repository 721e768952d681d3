/* fuzz_tokenizer.c — libFuzzer target for the SMILES tokenizer and vocabulary.
 * Invariants on arbitrary bytes: cv_tokenizer_split never reads out of bounds; when it
 * accepts the input, the spans tile it exactly (detokenize(tokenize(s)) == s), and a
 * vocabulary built from it encodes and decodes it back unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/data/tokenizer.h"
#include "chemvae/data/vocab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    size_t n = 0;
    TokenSpan *spans = malloc((size + 1) * sizeof *spans);
    CvError err;
    if (spans && cv_tokenizer_split(s, size, spans, size + 1, &n, &err) == CV_OK) {
        size_t pos = 0;
        for (size_t i = 0; i < n; i++) {
            if (spans[i].off != pos || spans[i].len == 0) abort();
            pos += spans[i].len;
        }
        if (pos != size) abort();
        if (!memchr(data, 0, size)) { /* NUL-free: usable as a C string */
            const char *one[1] = {s};
            CvVocab v;
            if (cv_vocab_build(&v, one, 1, &err) != CV_OK) abort();
            int32_t *row = malloc((n + 1) * sizeof *row);
            size_t len;
            if (row && cv_vocab_encode(&v, s, n + 1, 0, row, &len, &err) == CV_OK) {
                char *back = cv_vocab_decode(&v, row, n + 1);
                if (!back || strcmp(back, s) != 0 || len != n + 1) abort();
                free(back);
            } else if (row) {
                abort();
            }
            free(row);
            cv_vocab_free(&v);
        }
    }
    free(spans);
    free(s);
    return 0;
}
