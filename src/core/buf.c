/* buf.c — CvBuf (see buf.h): realloc by doubling from 256 bytes, so appending n bytes in
 * pieces costs O(n) amortized. One copy for the CSV reader, the ingest arenas and the
 * pipeline-file parser, which each had their own. */
#include "chemvae/core/buf.h"

#include <stdlib.h>
#include <string.h>

int cv_buf_append(CvBuf *b, const void *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}
