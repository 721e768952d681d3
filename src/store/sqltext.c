/* sqltext.c — the two texts the PostgreSQL backend (pg.c) rewrites, kept apart from libpq so
 * they build and are fuzzed (tests/fuzz/fuzz_sqltext.c) in every build:
 *   - SQL written with SQLite's ?N parameters, as the store's statements and a user's
 *     `chemvae query -p` SQL are, turned into PostgreSQL's $N: only outside '...' strings,
 *     "..." identifiers and -- comments, and only a ? followed by a digit (a bare ? is left
 *     alone, so the jsonb operators ? ?| ?& still reach the server);
 *   - a connection URI with its passwords replaced by *** for messages: user:PASSWORD@host in
 *     the authority (up to the last '@') and every password=... parameter; the same
 *     passwords hidden in a text that may quote them (libpq's error messages). */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *store_sql_dollar_params(const char *sql) {
    size_t n = strlen(sql);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        char c = sql[i];
        if (c == '\'' || c == '"') {
            size_t j = i + 1;
            while (j < n && sql[j] != c) j++;
            j = j < n ? j + 1 : n;
            memcpy(out + k, sql + i, j - i);
            k += j - i;
            i = j;
        } else if (c == '-' && sql[i + 1] == '-') {
            while (i < n && sql[i] != '\n') out[k++] = sql[i++];
        } else if (c == '?' && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
            out[k++] = '$';
            i++;
        } else out[k++] = sql[i++];
    }
    out[k] = 0;
    return out;
}

/* The byte spans [start, end) of uri's passwords, in order: user:PASSWORD@ (up to the last
 * '@', so a '/' in an unencoded password is still covered) and every password=VALUE.
 * Returns their number (at most max). */
static size_t password_spans(const char *uri, size_t spans[][2], size_t max) {
    size_t n = 0;
    const char *p = strstr(uri, "://");
    const char *at = p ? strrchr(p + 3, '@') : NULL, *colon = p ? strchr(p + 3, ':') : NULL;
    if (at && colon && colon < at && n < max) {
        spans[n][0] = (size_t)(colon + 1 - uri);
        spans[n++][1] = (size_t)(at - uri);
    }
    for (const char *q = strstr(uri, "password="); q && n < max; q = strstr(q + 1, "password=")) {
        size_t start = (size_t)(q + 9 - uri), end = start + strcspn(q + 9, "&#");
        if (n && start < spans[n - 1][1]) continue; /* inside the span before */
        spans[n][0] = start;
        spans[n++][1] = end;
    }
    return n;
}

enum { MAX_SPANS = 16 };

char *store_uri_without_password(const char *uri) {
    size_t spans[MAX_SPANS][2];
    size_t n = password_spans(uri, spans, MAX_SPANS), len = strlen(uri);
    char *out = malloc(len + 3 * n + 1);
    if (!out) return NULL;
    size_t k = 0, from = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(out + k, uri + from, spans[i][0] - from);
        k += spans[i][0] - from;
        memcpy(out + k, "***", 3);
        k += 3;
        from = spans[i][1];
    }
    memcpy(out + k, uri + from, len - from + 1);
    return out;
}

/* The first place at or after text where the len bytes of secret occur, or NULL. */
static char *find_bytes(char *text, const char *secret, size_t len) {
    for (char *c = text; *c; c++)
        if (!strncmp(c, secret, len)) return c;
    return NULL;
}

void store_text_hide_passwords(char *text, size_t cap, const char *uri) {
    size_t spans[MAX_SPANS][2];
    size_t n = password_spans(uri, spans, MAX_SPANS);
    for (size_t i = 0; i < n; i++) {
        size_t len = spans[i][1] - spans[i][0];
        char *hit = text;
        while (len && (hit = find_bytes(hit, uri + spans[i][0], len))) {
            size_t rest = strlen(hit + len) + 1;
            if ((size_t)(hit - text) + 3 + rest > cap) break;
            memmove(hit + 3, hit + len, rest);
            memcpy(hit, "***", 3);
            hit += 3;
        }
    }
}
