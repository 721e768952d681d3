/* fuzz_sqltext.c — libFuzzer target for the texts the PostgreSQL store rewrites
 * (src/store/sqltext.c): SQL with ?N parameters turned into $N, and a connection URI with
 * its password hidden. The input (NUL-terminated) is both. Invariants: no crash or leak;
 * the SQL keeps its length and changes only '?' into '$', each before a digit and outside
 * quotes; the URI shown never contains the password of a user:PASSWORD@host authority and
 * is at most 3 bytes longer than the URI. */
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
    if (strlen(out) > strlen(in) + 3) abort();
    const char *p = strstr(in, "://");
    const char *at = p ? strchr(p + 3, '@') : NULL, *slash = p ? strchr(p + 3, '/') : NULL;
    const char *colon = p ? strchr(p + 3, ':') : NULL;
    if (at && (!slash || at < slash) && colon && colon < at) {
        /* the authority of the output is user:***@ */
        size_t user = (size_t)(colon - in) + 1;
        if (strncmp(out, in, user) || strncmp(out + user, "***@", 4)) abort();
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
