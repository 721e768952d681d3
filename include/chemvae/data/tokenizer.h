/* tokenizer.h — SMILES → tokens as chemists read them.
 *
 * A token is one of:
 *   bracket atom      "[...]" up to the first ']'      [nH] [C@@H] [N+] [13CH3] [Na+]
 *   two-letter atom   Cl Br                              (outside brackets, only these two)
 *   one-letter atom   B C N O P S F I  b c n o p s  *
 *   ring closure      0-9, and "%NN" (two digits)
 *   bond / branch     - = # $ : / \ ~ ( ) .
 * Anything else (a lone ']', '%' without two digits, a letter such as 'X', whitespace, a
 * control or non-ASCII byte, an unterminated '[') cannot start a token: the SMILES is
 * rejected with a message naming the byte and its offset.
 *
 * Tokens are spans (offset, length) into the caller's string; nothing is copied, so
 * concatenating the spans in order reproduces the input exactly
 * (detokenize(tokenize(s)) == s for every s that tokenizes). */
#ifndef CHEMVAE_TOKENIZER_H
#define CHEMVAE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/core/error.h"

/* Longest bracket atom accepted, in bytes including the brackets. */
#define TOKENIZER_MAX_TOKEN 32

typedef struct {
    uint32_t off; /* byte offset of the token in the SMILES */
    uint32_t len; /* length in bytes (1..TOKENIZER_MAX_TOKEN) */
} TokenSpan;

/* Length in bytes of the token that starts at s[0] (s holds `len` bytes, need not be
 * NUL-terminated), or 0 when no token starts there. */
size_t cv_tokenizer_next(const char *s, size_t len);

/* Splits smiles[0..len) into tokens. Writes the first min(*n, cap) spans into spans[]
 * (spans may be NULL when cap == 0) and sets *n to the total number of tokens, which may
 * exceed cap (the caller decides whether that is "too long"). Returns CV_OK, or
 * CV_ERR_PARSE with a message naming the offending byte and offset (the SMILES is quoted
 * in the message when it is printable). An empty string has 0 tokens and is CV_OK. */
CvStatus cv_tokenizer_split(const char *smiles, size_t len, TokenSpan *spans, size_t cap, size_t *n,
                            CvError *err);

/* Concatenates `n` NUL-terminated tokens into out (capacity cap bytes including the NUL).
 * Returns the length written, or (size_t)-1 when it does not fit (out then holds a
 * truncated, NUL-terminated prefix). */
size_t cv_tokenizer_join(const char *const *tokens, size_t n, char *out, size_t cap);

#endif
