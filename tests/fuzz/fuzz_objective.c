/* fuzz_objective.c — libFuzzer target for the objective parser (cv_latent_objective_parse),
 * which reads user text from `chemvae optimize --objective`. Invariants on arbitrary bytes:
 * no out-of-bounds read; the result is CV_OK or CV_ERR_PARSE with a message; an accepted
 * objective has finite weights, at least one non-zero, named terms with NUL-terminated
 * names of at most LATENT_NAME_MAX - 1 bytes, and its normalized text parses again to the
 * same weights, known and named (up to the 6 significant digits the text keeps). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/latent/latent_objective.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    LatentObjective o, back;
    CvError err = {0};
    CvStatus st = cv_latent_objective_parse(s, &o, &err);
    if (st != CV_OK && (st != CV_ERR_PARSE || !err.msg[0])) abort();
    if (st == CV_OK) {
        int any = 0;
        for (int p = 0; p < LATENT_NPROPS; p++) {
            if (!isfinite(o.w[p])) abort();
            any |= o.w[p] != 0.0;
        }
        if (o.n_named > LATENT_MAX_NAMED) abort();
        for (size_t j = 0; j < o.n_named; j++) {
            if (!isfinite(o.named[j].w) || !memchr(o.named[j].name, 0, LATENT_NAME_MAX)) abort();
            any |= o.named[j].w != 0.0;
        }
        if (!any) abort();
        /* round trip through the normalized text (it may be cut at LATENT_OBJECTIVE_TEXT) */
        if (strlen(o.text) + 1 < LATENT_OBJECTIVE_TEXT &&
            cv_latent_objective_parse(o.text, &back, &err) == CV_OK) {
            for (int p = 0; p < LATENT_NPROPS; p++)
                if (fabs(back.w[p] - o.w[p]) > 1e-5 * fabs(o.w[p]) + 1e-300) abort();
            /* the text keeps the named terms of non-zero weight, in order */
            size_t k = 0;
            for (size_t j = 0; j < o.n_named; j++) {
                if (o.named[j].w == 0.0) continue;
                if (k >= back.n_named || strcmp(back.named[k].name, o.named[j].name) ||
                    fabs(back.named[k].w - o.named[j].w) > 1e-5 * fabs(o.named[j].w) + 1e-300)
                    abort();
                k++;
            }
            if (k != back.n_named) abort();
        }
    }
    free(s);
    return 0;
}
