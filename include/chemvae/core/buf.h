/* buf.h — a growable byte buffer that stays NUL-terminated (for strings assembled piece by
 * piece and for arenas of NUL-separated fields). The caller owns p; free it with free().
 * A zeroed CvBuf is empty and valid. */
#ifndef CHEMVAE_BUF_H
#define CHEMVAE_BUF_H

#include <stddef.h>

typedef struct {
    char *p;    /* (cap) bytes, len used, p[len] == '\0' once anything was appended */
    size_t len; /* bytes used, not counting the trailing NUL */
    size_t cap; /* bytes allocated */
} CvBuf;

/* Appends n bytes of s (s may be NULL when n is 0) and keeps p NUL-terminated, growing
 * the allocation by doubling. Returns 0, or -1 when out of memory (b is unchanged). */
int cv_buf_append(CvBuf *b, const void *s, size_t n);

#endif
