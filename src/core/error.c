/* error.c — formatting of CvError records (see include/chemvae/core/error.h).
 * Messages are truncated to CV_ERRMSG_MAX-1 bytes; nothing is allocated. */
#include "chemvae/core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

CvStatus cv_error_set(CvError *err, CvStatus code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void cv_error_prefix(CvError *err, const char *fmt, ...) {
    if (!err) return;
    char prefix[CV_ERRMSG_MAX], old[CV_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t np = strlen(prefix), no = strnlen(old, sizeof old - 1), cap = sizeof err->msg - 1;
    if (np > cap) np = cap;
    memcpy(err->msg, prefix, np);
    size_t n = np;
    for (const char *sep = ": "; *sep && n < cap; sep++) err->msg[n++] = *sep;
    if (no > cap - n) no = cap - n;
    memcpy(err->msg + n, old, no);
    err->msg[n + no] = '\0';
}

void cv_error_clear(CvError *err) {
    if (!err) return;
    err->code = CV_OK;
    err->msg[0] = '\0';
}

const char *cv_status_name(CvStatus code) {
    switch (code) {
    case CV_OK:
        return "ok";
    case CV_ERR_IO:
        return "io";
    case CV_ERR_NOMEM:
        return "out of memory";
    case CV_ERR_PARSE:
        return "parse";
    case CV_ERR_FORMAT:
        return "format";
    case CV_ERR_MISMATCH:
        return "mismatch";
    case CV_ERR_INVALID:
        return "invalid";
    case CV_ERR_DB:
        return "database";
    case CV_ERR_CHEM:
        return "chemistry";
    case CV_ERR_NUMERIC:
        return "numeric";
    case CV_ERR_INTERRUPTED:
        return "interrupted";
    case CV_ERR_EMPTY:
        return "empty";
    }
    return "unknown";
}
