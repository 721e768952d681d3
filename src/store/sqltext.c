/* sqltext.c — the two texts the PostgreSQL backend (pg.c) rewrites, kept apart from libpq so
 * they build and are fuzzed (tests/fuzz/fuzz_sqltext.c) in every build:
 *   - SQL written with SQLite's ?N parameters, as the store's statements and a user's
 *     `chemvae query -p` SQL are, turned into PostgreSQL's $N: only outside '...' strings,
 *     "..." identifiers and -- comments, and only a ? followed by a digit (a bare ? is left
 *     alone, so the jsonb operators ? ?| ?& still reach the server);
 *   - a connection URI with its password replaced by *** for messages: user:PASSWORD@host
 *     in the authority, or a password=... parameter. */
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

char *store_uri_without_password(const char *uri) {
    char *out = malloc(strlen(uri) + 4);
    if (!out) return NULL;
    const char *p = strstr(uri, "://"), *cut = NULL, *resume = NULL;
    const char *at = p ? strchr(p + 3, '@') : NULL, *slash = p ? strchr(p + 3, '/') : NULL;
    const char *colon = p ? strchr(p + 3, ':') : NULL;
    if (at && (!slash || at < slash) && colon && colon < at) cut = colon + 1, resume = at;
    const char *pw = strstr(uri, "password=");
    if (!cut && pw) cut = pw + 9, resume = pw + 9 + strcspn(pw + 9, "&");
    if (!cut) return strcpy(out, uri);
    sprintf(out, "%.*s***%s", (int)(cut - uri), uri, resume);
    return out;
}
