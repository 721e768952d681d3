/* fuzz_scorer.c — libFuzzer target for the reader of an external scorer's output
 * (cv_scorer_parse), which reads whatever bytes the user's program wrote for `--scorer`.
 * The first byte picks how many values are expected (0..15); the rest is the output, read
 * once for that count and once for the count of its lines. Invariants: no out-of-bounds
 * read; CV_OK or CV_ERR_PARSE with a message naming the scorer; an accepted output has
 * exactly that many lines and every value finite or NaN (from "nan"), and reading it again
 * gives the same values. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/app/app_scorer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *text, size_t len, size_t n) {
    double *out = malloc((n ? n : 1) * sizeof *out), *again = malloc((n ? n : 1) * sizeof *again);
    if (!out || !again) abort();
    CvError err = {0};
    CvStatus st = cv_scorer_parse("fuzz", text, len, NULL, n, out, &err);
    if (st != CV_OK && (st != CV_ERR_PARSE || !strstr(err.msg, "scorer 'fuzz'"))) abort();
    if (st == CV_OK) {
        size_t lines = 0;
        for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
        lines += len && text[len - 1] != '\n';
        if (lines != n) abort();
        if (cv_scorer_parse("fuzz", text, len, NULL, n, again, &err) != CV_OK) abort();
        for (size_t i = 0; i < n; i++) {
            if (isinf(out[i])) abort();
            if (isnan(out[i]) ? !isnan(again[i]) : out[i] != again[i]) abort();
        }
    }
    free(out);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 65536) return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1, lines = 0;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    lines += len && text[len - 1] != '\n';
    check(text, len, data[0] % 16u);
    check(text, len, lines);
    return 0;
}
