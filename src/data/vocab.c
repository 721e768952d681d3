/* vocab.c — token vocabulary (see include/chemvae/data/vocab.h).
 *
 * Storage: tokens[] holds one malloc'd string per id; lookup is an open-addressing hash
 * table (linear probing, FNV-1a of the token bytes) of id + 1, kept under half full and
 * rebuilt on growth. Vocabularies are small (tens to a few hundred tokens), so the choice
 * only matters for encoding: ingest encodes every token of every molecule through
 * cv_vocab_lookup, and a table beats a sorted array + bsearch there.
 *
 * cv_vocab_build collects the distinct tokens of the input in a temporary vocab, then sorts
 * them byte-wise so the ids do not depend on the order the molecules came in. */
#include "chemvae/data/vocab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/core/buf.h"
#include "chemvae/core/fileio.h"
#include "chemvae/data/tokenizer.h"

static const char *const SPECIALS[VOCAB_NSPECIAL] = {"<pad>", "<start>", "<end>", "<unk>"};

void cv_vocab_free(CvVocab *v) {
    if (!v) return;
    if (v->tokens)
        for (size_t i = 0; i < v->n; i++) free(v->tokens[i]);
    free(v->tokens);
    free(v->slots);
    memset(v, 0, sizeof *v);
}

static uint64_t hash_bytes(const char *s, size_t len) {
    return cv_fnv1a64(CV_FNV64_INIT, s, len);
}

int cv_vocab_lookup(const CvVocab *v, const char *s, size_t len) {
    if (!v->nslots) return -1;
    size_t mask = v->nslots - 1;
    for (size_t i = (size_t)hash_bytes(s, len) & mask;; i = (i + 1) & mask) {
        uint32_t slot = v->slots[i];
        if (!slot) return -1;
        const char *t = v->tokens[slot - 1];
        if (strncmp(t, s, len) == 0 && t[len] == '\0') return (int)(slot - 1);
    }
}

const char *cv_vocab_token(const CvVocab *v, int id) {
    return (id >= 0 && (size_t)id < v->n) ? v->tokens[id] : NULL;
}

/* Rebuilds the hash table with room for at least `want` tokens at load <= 1/2. */
static CvStatus rehash(CvVocab *v, size_t want, CvError *err) {
    size_t ns = 16;
    while (ns < 2 * want + 2) ns *= 2;
    uint32_t *slots = calloc(ns, sizeof *slots);
    if (!slots) return cv_error_set(err, CV_ERR_NOMEM, "vocab: out of memory");
    for (size_t id = 0; id < v->n; id++) {
        size_t i = (size_t)hash_bytes(v->tokens[id], strlen(v->tokens[id])) & (ns - 1);
        while (slots[i]) i = (i + 1) & (ns - 1);
        slots[i] = (uint32_t)id + 1;
    }
    free(v->slots);
    v->slots = slots;
    v->nslots = ns;
    return CV_OK;
}

CvStatus cv_vocab_add(CvVocab *v, const char *s, size_t len, int *id, CvError *err) {
    if (len == 0) return cv_error_set(err, CV_ERR_INVALID, "vocab: empty token");
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= ' ')
            return cv_error_set(err, CV_ERR_INVALID, "vocab: token '%.*s' contains whitespace",
                                (int)len, s);
    int found = cv_vocab_lookup(v, s, len);
    if (found >= 0) {
        if (id) *id = found;
        return CV_OK;
    }
    if (v->n >= VOCAB_MAX_SIZE)
        return cv_error_set(err, CV_ERR_INVALID, "vocab: more than %d tokens", VOCAB_MAX_SIZE);
    if (v->n == v->cap) {
        size_t nc = v->cap ? 2 * v->cap : 64;
        char **nt = realloc(v->tokens, nc * sizeof *nt);
        if (!nt) return cv_error_set(err, CV_ERR_NOMEM, "vocab: out of memory");
        v->tokens = nt;
        v->cap = nc;
    }
    char *copy = malloc(len + 1);
    if (!copy) return cv_error_set(err, CV_ERR_NOMEM, "vocab: out of memory");
    memcpy(copy, s, len);
    copy[len] = '\0';
    v->tokens[v->n++] = copy;
    if (2 * v->n + 2 > v->nslots) {
        CvStatus st = rehash(v, v->n, err);
        if (st) return st;
    } else {
        size_t mask = v->nslots - 1, i = (size_t)hash_bytes(s, len) & mask;
        while (v->slots[i]) i = (i + 1) & mask;
        v->slots[i] = (uint32_t)v->n;
    }
    if (id) *id = (int)v->n - 1;
    return CV_OK;
}

CvStatus cv_vocab_init(CvVocab *v, CvError *err) {
    memset(v, 0, sizeof *v);
    for (int i = 0; i < VOCAB_NSPECIAL; i++) {
        CvStatus st = cv_vocab_add(v, SPECIALS[i], strlen(SPECIALS[i]), NULL, err);
        if (st) {
            cv_vocab_free(v);
            return st;
        }
    }
    return CV_OK;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

CvStatus cv_vocab_build(CvVocab *v, const char *const *smiles, size_t n, CvError *err) {
    CvVocab seen = {0};
    memset(v, 0, sizeof *v);
    CvStatus st = cv_vocab_init(&seen, err);
    if (st) goto fail;
    for (size_t i = 0; i < n; i++) {
        const char *s = smiles[i];
        size_t len = strlen(s), pos = 0;
        while (pos < len) {
            size_t k = cv_tokenizer_next(s + pos, len - pos);
            if (k == 0) {
                size_t nt;
                st = cv_tokenizer_split(s, len, NULL, 0, &nt, err);
                if (!st) st = cv_error_set(err, CV_ERR_PARSE, "cannot tokenize '%s'", s);
                goto fail;
            }
            if ((st = cv_vocab_add(&seen, s + pos, k, NULL, err))) goto fail;
            pos += k;
        }
    }
    qsort(seen.tokens + VOCAB_NSPECIAL, seen.n - VOCAB_NSPECIAL, sizeof(char *), cmp_str);
    if ((st = rehash(&seen, seen.n, err))) goto fail;
    *v = seen;
    return CV_OK;
fail:
    cv_vocab_free(&seen);
    return st;
}

CvStatus cv_vocab_from_tokens(CvVocab *v, const char *const *tokens, size_t n, CvError *err) {
    CvStatus st;
    memset(v, 0, sizeof *v);
    if (n < VOCAB_NSPECIAL)
        return cv_error_set(err, CV_ERR_FORMAT, "vocab: %zu tokens, need at least the %d specials",
                            n, VOCAB_NSPECIAL);
    for (size_t i = 0; i < n; i++) {
        if (i < VOCAB_NSPECIAL && strcmp(tokens[i], SPECIALS[i]) != 0) {
            st = cv_error_set(err, CV_ERR_FORMAT, "vocab: token %zu is '%s', expected '%s'", i,
                              tokens[i], SPECIALS[i]);
            goto fail;
        }
        size_t before = v->n;
        if ((st = cv_vocab_add(v, tokens[i], strlen(tokens[i]), NULL, err))) goto fail;
        if (v->n == before) {
            st = cv_error_set(err, CV_ERR_FORMAT, "vocab: duplicate token '%s' (id %zu)", tokens[i],
                              i);
            goto fail;
        }
    }
    return CV_OK;
fail:
    cv_vocab_free(v);
    return st;
}

CvStatus cv_vocab_load(CvVocab *v, const char *path, CvError *err) {
    char *data = NULL;
    size_t len;
    const char **toks = NULL;
    memset(v, 0, sizeof *v);
    CvStatus st = cv_read_file(path, &data, &len, err);
    if (st) return st;
    if (memchr(data, '\0', len)) {
        st = cv_error_set(err, CV_ERR_FORMAT, "%s: not a text file (NUL byte)", path);
        goto fail;
    }
    size_t nlines = 1;
    for (size_t i = 0; i < len; i++) nlines += data[i] == '\n';
    toks = malloc(nlines * sizeof *toks);
    if (!toks) {
        st = cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    size_t ntok = 0, lineno = 0;
    char *p = data, *end = data + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        if (e > p && e[-1] == '\r') e[-1] = '\0';
        *e = '\0';
        lineno++;
        if (lineno == 1) {
            if (strcmp(p, VOCAB_MAGIC_LINE) != 0) {
                st = cv_error_set(err, CV_ERR_FORMAT,
                                  "%s:1: not a chemvae vocabulary (expected '%s')", path,
                                  VOCAB_MAGIC_LINE);
                goto fail;
            }
        } else {
            if (!*p || strpbrk(p, " \t")) {
                st = cv_error_set(err, CV_ERR_FORMAT, "%s:%zu: %s token", path, lineno,
                                  *p ? "whitespace in" : "empty");
                goto fail;
            }
            toks[ntok++] = p;
        }
        p = e + 1;
    }
    if (lineno == 0) {
        st = cv_error_set(err, CV_ERR_FORMAT, "%s: empty file", path);
        goto fail;
    }
    if ((st = cv_vocab_from_tokens(v, toks, ntok, err))) {
        cv_error_prefix(err, "%s", path);
        goto fail;
    }
    free(toks);
    free(data);
    return CV_OK;
fail:
    free(toks);
    free(data);
    return st;
}

CvStatus cv_vocab_save(const CvVocab *v, const char *path, CvError *err) {
    CvBuf text = {0}; /* the file, built in memory (a vocabulary is a few hundred bytes) */
    int bad = cv_buf_append(&text, VOCAB_MAGIC_LINE "\n", sizeof VOCAB_MAGIC_LINE);
    for (size_t i = 0; i < v->n && !bad; i++)
        bad = cv_buf_append(&text, v->tokens[i], strlen(v->tokens[i])) ||
              cv_buf_append(&text, "\n", 1);
    CvStatus st = bad ? cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", path)
                      : cv_atomic_write_file(path, text.p, text.len, err);
    free(text.p);
    return st;
}

uint64_t cv_vocab_hash(const CvVocab *v) {
    uint64_t h = CV_FNV64_INIT;
    for (size_t i = 0; i < v->n; i++) {
        h = cv_fnv1a64(h, v->tokens[i], strlen(v->tokens[i]));
        h = cv_fnv1a64(h, "\n", 1);
    }
    return h;
}

CvStatus cv_vocab_encode(const CvVocab *v, const char *smiles, size_t T, int unk_ok, int32_t *row,
                         size_t *len, CvError *err) {
    size_t n = strlen(smiles), pos = 0, t = 0;
    if (len) *len = 0;
    while (pos < n) {
        size_t k = cv_tokenizer_next(smiles + pos, n - pos);
        if (k == 0) {
            size_t nt;
            CvStatus st = cv_tokenizer_split(smiles, n, NULL, 0, &nt, err);
            return st ? st : cv_error_set(err, CV_ERR_PARSE, "cannot tokenize '%s'", smiles);
        }
        int id = cv_vocab_lookup(v, smiles + pos, k);
        if (id < 0) {
            if (!unk_ok)
                return cv_error_set(err, CV_ERR_INVALID,
                                    "unknown token '%.*s' (not in the vocabulary) in SMILES '%s'",
                                    (int)k, smiles + pos, smiles);
            id = VOCAB_UNK;
        }
        if (t + 1 >= T) {
            size_t total;
            if (cv_tokenizer_split(smiles, n, NULL, 0, &total, NULL)) total = t + 1;
            return cv_error_set(err, CV_ERR_INVALID, "too long: %zu tokens, max %zu: '%s'", total,
                                T ? T - 1 : 0, smiles);
        }
        row[t++] = id;
        pos += k;
    }
    if (t + 1 > T)
        return cv_error_set(err, CV_ERR_INVALID, "too long: %zu tokens, max %zu", t, T ? T - 1 : 0);
    row[t++] = VOCAB_END;
    if (len) *len = t;
    for (; t < T; t++) row[t] = VOCAB_PAD;
    return CV_OK;
}

char *cv_vocab_decode(const CvVocab *v, const int32_t *ids, size_t n) {
    size_t cap = 1;
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id == VOCAB_END || id == VOCAB_PAD) break;
        cap += (id >= VOCAB_NSPECIAL && (size_t)id < v->n) ? strlen(v->tokens[id]) : 1;
    }
    char *out = malloc(cap), *p = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id == VOCAB_END || id == VOCAB_PAD) break;
        if (id == VOCAB_START) continue;
        if (id >= VOCAB_NSPECIAL && (size_t)id < v->n) {
            size_t k = strlen(v->tokens[id]);
            memcpy(p, v->tokens[id], k);
            p += k;
        } else {
            *p++ = '?';
        }
    }
    *p = '\0';
    return out;
}

void cv_vocab_onehot(const int32_t *ids, size_t B, size_t T, size_t V, float *x) {
    memset(x, 0, (size_t)B * T * V * sizeof *x);
    for (size_t k = 0; k < B * T; k++)
        if (ids[k] >= 0 && (size_t)ids[k] < V) x[k * V + (size_t)ids[k]] = 1.0f;
}
