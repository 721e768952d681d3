/* tokenizer.c — SMILES tokenizer (see include/chemvae/data/tokenizer.h).
 *
 * A hand-written scanner equivalent to the regular expression used by the Molecular
 * Transformer / chemical_vae-style SMILES tokenizers:
 *   \[[^\]]+\] | Br | Cl | [BCNOPSFIbcnops*] | %[0-9]{2} | [0-9] | [-=#$:/\\~().]
 * A regex engine would be slower and would need a dependency; the grammar is tiny. The
 * scanner never allocates and never reads past `len`, so it is safe on arbitrary bytes
 * (fuzzed by tests/fuzz/fuzz_tokenizer.c). */
#include "chemvae/data/tokenizer.h"

#include <string.h>

size_t cv_tokenizer_next(const char *s, size_t len) {
    if (len == 0) return 0;
    unsigned char c = (unsigned char)s[0];
    switch (c) {
    case '[': {
        /* up to the first ']'; a bracket atom holds printable ASCII other than '[' */
        for (size_t i = 1; i < len && i < TOKENIZER_MAX_TOKEN; i++) {
            unsigned char d = (unsigned char)s[i];
            if (d == ']') return i > 1 ? i + 1 : 0;
            if (d <= ' ' || d >= 0x7f || d == '[') return 0;
        }
        return 0;
    }
    case 'B':
        return (len > 1 && s[1] == 'r') ? 2 : 1;
    case 'C':
        return (len > 1 && s[1] == 'l') ? 2 : 1;
    case 'N':
    case 'O':
    case 'P':
    case 'S':
    case 'F':
    case 'I':
    case 'b':
    case 'c':
    case 'n':
    case 'o':
    case 'p':
    case 's':
    case '*':
        return 1;
    case '%':
        return (len > 2 && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9') ? 3 : 0;
    case '-':
    case '=':
    case '#':
    case '$':
    case ':':
    case '/':
    case '\\':
    case '~':
    case '(':
    case ')':
    case '.':
        return 1;
    default:
        return (c >= '0' && c <= '9') ? 1 : 0;
    }
}

/* Printable-ASCII check used to decide whether a SMILES may be quoted in a message. */
static int printable(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] >= 0x7f) return 0;
    return 1;
}

CvStatus cv_tokenizer_split(const char *smiles, size_t len, TokenSpan *spans, size_t cap, size_t *n,
                            CvError *err) {
    size_t count = 0, pos = 0;
    *n = 0;
    while (pos < len) {
        size_t k = cv_tokenizer_next(smiles + pos, len - pos);
        if (k == 0) {
            unsigned char c = (unsigned char)smiles[pos];
            const char *what =
                c == '[' ? "unterminated or malformed bracket atom starting" : "cannot tokenize";
            if (len <= 200 && printable(smiles, len))
                return cv_error_set(err, CV_ERR_PARSE, "%s at offset %zu ('%c') in SMILES '%.*s'",
                                    what, pos, (char)c, (int)len, smiles);
            return cv_error_set(err, CV_ERR_PARSE, "%s at offset %zu (byte 0x%02x)", what, pos, c);
        }
        if (count < cap) {
            spans[count].off = (uint32_t)pos;
            spans[count].len = (uint32_t)k;
        }
        count++;
        pos += k;
    }
    *n = count;
    return CV_OK;
}

size_t cv_tokenizer_join(const char *const *tokens, size_t n, char *out, size_t cap) {
    size_t pos = 0;
    if (cap == 0) return (size_t)-1;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(tokens[i]);
        if (pos + k + 1 > cap) {
            size_t fit = cap - 1 - pos;
            memcpy(out + pos, tokens[i], fit);
            out[cap - 1] = '\0';
            return (size_t)-1;
        }
        memcpy(out + pos, tokens[i], k);
        pos += k;
    }
    out[pos] = '\0';
    return pos;
}
