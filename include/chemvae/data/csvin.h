/* csvin.h — streaming CSV records with line numbers, raw text and resynchronization,
 * on top of libcsv (which owns csv.h and the csv_* names; this module is csvin_*).
 *
 * Push interface: cv_csvin_feed() any number of byte chunks (of any size; the result does not
 * depend on how the input is cut), then cv_csvin_finish(). Every record is handed to the
 * callback as soon as it is complete, so memory is bounded by the longest record, never by
 * the number of rows.
 *
 * What it handles: quoted fields with embedded delimiters, quotes ("") and newlines;
 * spaces around unquoted fields (trimmed by libcsv); CRLF, LF and bare CR line ends; a
 * UTF-8 byte order mark; any one-byte delimiter, auto-detected from the first line when
 * not given (tab if the first line has a tab and no comma, else comma); blank lines are
 * skipped.
 *
 * Bad input never stops the stream. libcsv runs in strict mode; a record is unparsable
 * when libcsv reports a parse error (a stray quote) or when a quoted field stays open for
 * more than max_record_lines physical lines or max_record_bytes bytes (an unterminated
 * quote that would otherwise swallow the rest of the file). Then the FIRST physical line of
 * that record is delivered as an error record (error != NULL, no fields), the parser is
 * reset, and the lines after it are parsed again. So every physical line ends up in exactly
 * one delivered record, good records after a broken one are kept, and a broken record costs
 * O(max_record_lines) re-parsing.
 *
 * Line numbers are 1-based physical lines of the input (the BOM does not count); a record
 * reports the line it starts on. */
#ifndef CHEMVAE_CSVIN_H
#define CHEMVAE_CSVIN_H

#include <stddef.h>
#include <stdio.h>

#include "chemvae/core/error.h"

typedef struct {
    size_t nfields;
    const char *const *fields; /* (nfields) NUL-terminated; may hold embedded NULs: see lens */
    const size_t *lens;        /* (nfields) field lengths in bytes */
    size_t line;               /* line the record starts on (1-based) */
    const char *raw;           /* original bytes up to and including the line end that closes
                                  the record (of a CRLF only the CR) */
    size_t raw_len;
    const char *error; /* NULL, or why the record is not valid CSV (nfields == 0) */
} CsvinRecord;

/* Called once per record; return 0 to continue, non-zero to stop (cv_csvin_feed/finish then
 * return CV_ERR_INTERRUPTED without a message unless the callback set one). The record
 * and its strings are valid only during the call. */
typedef int (*CsvinRecordFn)(const CsvinRecord *rec, void *user);

typedef struct {
    char delim;              /* 0 = auto-detect (',' or '\t') from the first line */
    char quote;              /* 0 = '"' */
    size_t max_record_lines; /* 0 = 16: longest record in physical lines */
    size_t max_record_bytes; /* 0 = 1 MiB: longest record in bytes */
} CsvinOptions;

typedef struct Csvin Csvin; /* opaque */

/* Creates a reader (opt NULL = defaults); *out is NULL on failure. */
CvStatus cv_csvin_open(Csvin **out, const CsvinOptions *opt, CsvinRecordFn fn, void *user,
                       CvError *err);
/* Parses n more bytes. Returns CV_OK, CV_ERR_NOMEM, or CV_ERR_INTERRUPTED (callback). */
CvStatus cv_csvin_feed(Csvin *r, const char *buf, size_t n, CvError *err);
/* Flushes the last record (a file need not end with a newline). Call once, after the last
 * feed. */
CvStatus cv_csvin_finish(Csvin *r, CvError *err);
/* Delimiter in use (after auto-detection; 0 before the first line is complete). */
char cv_csvin_delimiter(const Csvin *r);
void cv_csvin_close(Csvin *r); /* NULL-safe */

/* Convenience: opens `path` ("-" = stdin), plain or gzip-compressed (detected from the
 * bytes, not the name), streams it through a reader in 64 KiB chunks.
 * I/O errors, including a damaged gzip stream, are CV_ERR_IO naming the path. */
CvStatus cv_csvin_read_file(const char *path, const CsvinOptions *opt, CsvinRecordFn fn, void *user,
                            CvError *err);

#endif
