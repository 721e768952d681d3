/* fuzz_sqltext.c — libFuzzer target for the texts the PostgreSQL store rewrites
 * (src/store/sqltext.c): SQL with ?N parameters turned into $N, and a connection URI with
 * its password hidden. The input (NUL-terminated) is both. Invariants: no crash or leak;
 * the SQL keeps its length and changes only '?' into '$', each before a digit and outside
 * quotes; the URI shown replaces the password of a user:PASSWORD@host authority by *** and
 * grows by at most 3 bytes a password; a message quoting the URI keeps none of that
 * password once store_text_hide_passwords has run (when the message fit). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/store/store_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_sql(const char *in) {
    char *out = store_sql_dollar_params(in);
    if (!out) return;
    size_t n = strlen(in);
    if (strlen(out) != n) abort();
    for (size_t i = 0; i < n; i++)
        if (out[i] != in[i] &&
            !(in[i] == '?' && out[i] == '$' && in[i + 1] >= '0' && in[i + 1] <= '9'))
            abort();
    free(out);
}

static void check_uri(const char *in) {
    char *out = store_uri_without_password(in);
    if (!out) return;
    /* one *** per password at most: the authority's and each password= */
    size_t n = 1;
    for (const char *q = strstr(in, "password="); q; q = strstr(q + 1, "password=")) n++;
    if (strlen(out) > strlen(in) + 3 * n) abort();
    const char *p = strstr(in, "://");
    const char *at = p ? strrchr(p + 3, '@') : NULL, *colon = p ? strchr(p + 3, ':') : NULL;
    if (at && colon && colon < at) {
        /* the output keeps "scheme://user:" and then shows *** */
        size_t user = (size_t)(colon - in) + 1;
        if (strncmp(out, in, user) || strncmp(out + user, "***", 3)) abort();
    }
    /* a message quoting the URI (here: the URI itself) shows none of the authority's
     * password afterwards; a password of 4+ bytes is replaced by a shorter ***, so the
     * text never outgrows its buffer */
    char text[1024];
    if (strlen(in) >= sizeof text) {
        free(out);
        return;
    }
    strcpy(text, in);
    store_text_hide_passwords(text, sizeof text, in);
    char secret[64];
    size_t len = at && colon && colon < at ? (size_t)(at - colon - 1) : 0;
    if (len >= 4 && len < sizeof secret) {
        memcpy(secret, colon + 1, len);
        secret[len] = 0;
        if (!strchr(secret, '*') && strlen(secret) == len && strstr(text, secret)) abort();
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    check_sql(text);
    check_uri(text);
    free(text);
    return 0;
}
