/* vocab.h — the token vocabulary: token string ↔ integer id.
 *
 * Ids are dense, 0..V-1. The four special tokens always come first with fixed ids:
 *   VOCAB_PAD = 0 "<pad>", VOCAB_START = 1 "<start>", VOCAB_END = 2 "<end>",
 *   VOCAB_UNK = 3 "<unk>".
 * File format (text, files under vocab/): the first line is "chemvae-vocab 1"; every following
 * line is one token, and a token's id is its index among those lines (so the file starts
 * "<pad>\n<start>\n<end>\n<unk>\n"). Tokens contain no whitespace.
 *
 * cv_vocab_hash is FNV-1a 64 (cv_fnv1a64) over every token's bytes followed by one '\n',
 * in id order: two vocabularies with the same hash map every token to the same id.
 * Checkpoints and datasets store it to refuse a mismatched vocabulary.
 *
 * Ownership: a CvVocab owns its token strings and lookup table; cv_vocab_free releases them
 * and is safe on a zeroed or half-built vocab. Lookups are read-only and thread-safe. */
#ifndef CHEMVAE_VOCAB_H
#define CHEMVAE_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/core/error.h"

enum { VOCAB_PAD = 0, VOCAB_START = 1, VOCAB_END = 2, VOCAB_UNK = 3, VOCAB_NSPECIAL = 4 };

#define VOCAB_MAGIC_LINE "chemvae-vocab 1"
/* Largest vocabulary: ids must fit in uint16_t. */
#define VOCAB_MAX_SIZE 65535

typedef struct {
    size_t n;        /* V: number of tokens, specials included */
    size_t cap;      /* capacity of tokens[] */
    char **tokens;   /* (V) NUL-terminated token strings, owned */
    uint32_t *slots; /* (nslots) open-addressing hash table of id + 1; 0 = empty */
    size_t nslots;   /* power of two, > 2 V */
} CvVocab;

/* Makes *v the vocabulary of the four special tokens only (overwrites *v; free first if it
 * held one). */
CvStatus cv_vocab_init(CvVocab *v, CvError *err);
void cv_vocab_free(CvVocab *v);

/* Id of the token s[0..len), or -1 when it is not in the vocabulary. */
int cv_vocab_lookup(const CvVocab *v, const char *s, size_t len);
/* Token string of `id`, or NULL when id is out of range. */
const char *cv_vocab_token(const CvVocab *v, int id);

/* Adds token s[0..len) unless present; *id (may be NULL) receives its id. CV_ERR_INVALID
 * for an empty token, one with whitespace, or more than VOCAB_MAX_SIZE tokens. */
CvStatus cv_vocab_add(CvVocab *v, const char *s, size_t len, int *id, CvError *err);

/* Builds the vocabulary of the given SMILES (overwrites *v): the specials, then every
 * distinct token in byte-wise sorted order, so the result does not depend on the order of
 * the molecules. A SMILES that does not tokenize is CV_ERR_PARSE naming it. */
CvStatus cv_vocab_build(CvVocab *v, const char *const *smiles, size_t n, CvError *err);

/* Text file I/O (format above). cv_vocab_load overwrites *v and refuses a file without the
 * version line, with a blank or duplicate token, or without the specials in place, naming
 * the file and line. cv_vocab_save writes atomically (temp file + rename). */
CvStatus cv_vocab_load(CvVocab *v, const char *path, CvError *err);
CvStatus cv_vocab_save(const CvVocab *v, const char *path, CvError *err);

/* Vocabulary from an array of V tokens (e.g. embedded in a dataset or checkpoint);
 * checks the specials as cv_vocab_load does. Overwrites *v. */
CvStatus cv_vocab_from_tokens(CvVocab *v, const char *const *tokens, size_t n, CvError *err);

/* FNV-1a 64 of the token list (see above). */
uint64_t cv_vocab_hash(const CvVocab *v);

/* Encodes one SMILES as a model row of T ids: [tok_1 .. tok_L, <end>, <pad> ...].
 * row: (T) overwritten; *len (may be NULL) = L + 1 (tokens including <end>).
 * A token not in the vocabulary is VOCAB_UNK when unk_ok, else CV_ERR_INVALID naming the
 * token and the SMILES. L + 1 > T is CV_ERR_INVALID ("too long: L tokens, max T-1").
 * A SMILES that does not tokenize is CV_ERR_PARSE. smiles is NUL-terminated. */
CvStatus cv_vocab_encode(const CvVocab *v, const char *smiles, size_t T, int unk_ok, int32_t *row,
                         size_t *len, CvError *err);

/* Decodes ids[0..n) into a malloc'd NUL-terminated SMILES (NULL only on out of memory):
 * stops at the first <end> or <pad>, skips <start>, writes "?" for <unk> and for an id
 * outside 0..V-1 (so the result is an invalid SMILES, never a silently different one). */
char *cv_vocab_decode(const CvVocab *v, const int32_t *ids, size_t n);

/* One-hot: x (B, T, V) overwritten; x[b, t, ids[b*T + t]] = 1, all else 0. ids (B, T).
 * An id outside 0..V-1 leaves its row all zero. */
void cv_vocab_onehot(const int32_t *ids, size_t B, size_t T, size_t V, float *x);

#endif
