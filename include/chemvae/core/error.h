/* error.h — status codes and the error record every fallible chemvae function fills.
 *
 * Contract: a fallible function returns CvStatus (CV_OK == 0) and, when it fails and
 * `err` is not NULL, writes a one-line message into err->msg that names the file, line,
 * row, value or SMILES at fault. Library code never calls exit() or abort(); only
 * src/cli/ turns a CvError into a message and an exit code. */
#ifndef CHEMVAE_ERROR_H
#define CHEMVAE_ERROR_H

#include <stddef.h>

typedef enum {
    CV_OK = 0,
    CV_ERR_IO,          /* open/read/write/rename failed (errno text in msg) */
    CV_ERR_NOMEM,       /* allocation failed */
    CV_ERR_PARSE,       /* malformed text input (CSV, vocab, pipeline file, options) */
    CV_ERR_FORMAT,      /* binary file with bad magic, version, size or CRC */
    CV_ERR_MISMATCH,    /* files that do not belong together (vocab vs checkpoint...) */
    CV_ERR_INVALID,     /* invalid argument or value (unknown token, bad shape...) */
    CV_ERR_DB,          /* SQLite error (sqlite3_errmsg in msg) */
    CV_ERR_CHEM,        /* RDKit failure that is not just "invalid SMILES" */
    CV_ERR_NUMERIC,     /* NaN/Inf where a finite number is required */
    CV_ERR_INTERRUPTED, /* stopped by a signal after a clean checkpoint */
    CV_ERR_EMPTY        /* no usable input (e.g. zero valid rows) */
} CvStatus;

/* room for two paths of PATH_MAX (4096) bytes and the sentence around them */
#define CV_ERRMSG_MAX 10240

typedef struct {
    CvStatus code;
    char msg[CV_ERRMSG_MAX];
} CvError;

/* Sets err->code and formats err->msg (printf-style). err may be NULL.
 * Returns `code` so callers can write `return cv_error_set(err, CV_ERR_IO, ...)`. */
CvStatus cv_error_set(CvError *err, CvStatus code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an existing message (adds context on the way up). */
void cv_error_prefix(CvError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Resets err to CV_OK and an empty message. err may be NULL. */
void cv_error_clear(CvError *err);

/* Short name of a status code ("io", "format", ...). Never NULL. */
const char *cv_status_name(CvStatus code);

#endif
