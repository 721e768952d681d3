/* fuzz_molin.c — libFuzzer target for the molecule-file reader (SMILES files and SDF).
 * The input's first byte picks the format (bit 7) and a chunk size; the rest is parsed in
 * one piece and in chunks. Invariants: no crash or leak; both parses deliver the same
 * records (numbers, lines, names, molecules, data items, errors); record numbers count up
 * from 1 and lines never decrease; every string is NUL-terminated at its length; an error
 * record has no molecule and no items; an SDF molecule ends in its "M  END" line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/core/fileio.h"
#include "chemvae/data/molin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    uint64_t hash;
    size_t count, last_line;
} Digest;

static void mix(Digest *d, const char *s) {
    d->hash = cv_fnv1a64(d->hash, s, strlen(s) + 1);
}

static int digest_record(const MolinRecord *r, void *user) {
    Digest *d = user;
    if (r->number != d->count + 1 || r->line < d->last_line) abort();
    if (strlen(r->mol) != r->mol_len) abort();
    if (r->error && (r->mol_len || r->nitems)) abort();
    if (!r->error && r->molblock && !strstr(r->mol, "M  END")) abort();
    d->count++;
    d->last_line = r->line;
    d->hash = cv_fnv1a64(d->hash, &r->line, sizeof r->line);
    mix(d, r->mol);
    mix(d, r->name);
    mix(d, r->first);
    mix(d, r->error ? r->error : "");
    for (size_t i = 0; i < r->nitems; i++) {
        mix(d, r->tags[i]);
        mix(d, r->values[i]);
    }
    return 0;
}

static void run(const uint8_t *data, size_t size, size_t chunk, MolinFormat f, Digest *d) {
    Molin *r;
    MolinOptions o = {f, 512};
    memset(d, 0, sizeof *d);
    d->hash = CV_FNV64_INIT;
    if (cv_molin_open(&r, &o, digest_record, d, NULL) != CV_OK) abort();
    for (size_t i = 0; i < size; i += chunk)
        if (cv_molin_feed(r, (const char *)data + i, size - i < chunk ? size - i : chunk, NULL))
            abort();
    if (cv_molin_finish(r, NULL)) abort();
    cv_molin_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t chunk = 1 + data[0] % 17;
    MolinFormat f = (data[0] & 0x80) ? MOLIN_SDF : MOLIN_SMI;
    Digest whole, pieces;
    run(data + 1, size - 1, size, f, &whole);
    run(data + 1, size - 1, chunk, f, &pieces);
    if (whole.count != pieces.count || whole.hash != pieces.hash) abort();
    return 0;
}
