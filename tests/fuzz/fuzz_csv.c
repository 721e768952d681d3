/* fuzz_csv.c — libFuzzer target for the streaming CSV reader (csvin over libcsv).
 * The input is parsed twice: in one piece and in chunks whose sizes come from the input's
 * first byte. Invariants: no crash or leak; both parses deliver the same records (count,
 * line numbers, fields, raw text, error flags); line numbers never decrease; an error
 * record has no fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/data/csvin.h"
#include "chemvae/core/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    uint64_t hash;
    size_t count, last_line;
} Digest;

static int digest_record(const CsvinRecord *r, void *user) {
    Digest *d = user;
    if (r->line < d->last_line) abort();
    if (r->error && r->nfields) abort();
    d->last_line = r->line;
    d->count++;
    d->hash = cv_fnv1a64(d->hash, &r->line, sizeof r->line);
    d->hash = cv_fnv1a64(d->hash, &r->nfields, sizeof r->nfields);
    d->hash = cv_fnv1a64(d->hash, r->raw, r->raw_len);
    d->hash = cv_fnv1a64(d->hash, r->error ? "E" : "o", 1);
    for (size_t i = 0; i < r->nfields; i++) {
        if (r->fields[i][r->lens[i]] != '\0') abort();
        d->hash = cv_fnv1a64(d->hash, r->fields[i], r->lens[i] + 1);
    }
    return 0;
}

static void run(const uint8_t *data, size_t size, size_t chunk, char delim, Digest *d) {
    Csvin *r;
    CsvinOptions o = {delim, 0, 4, 256};
    memset(d, 0, sizeof *d);
    d->hash = CV_FNV64_INIT;
    if (cv_csvin_open(&r, &o, digest_record, d, NULL) != CV_OK) abort();
    for (size_t i = 0; i < size; i += chunk)
        if (cv_csvin_feed(r, (const char *)data + i, size - i < chunk ? size - i : chunk, NULL))
            abort();
    if (cv_csvin_finish(r, NULL)) abort();
    cv_csvin_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t chunk = 1 + data[0] % 17;
    char delim = (data[0] & 0x80) ? '\t' : 0;
    Digest whole, pieces;
    run(data + 1, size - 1, size, delim, &whole);
    run(data + 1, size - 1, chunk, delim, &pieces);
    if (whole.count != pieces.count || whole.hash != pieces.hash) abort();
    return 0;
}
