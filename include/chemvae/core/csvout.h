/* csvout.h — the CSV writer (RFC 4180), the counterpart of the reader in csvin.h.
 *
 * A field is quoted when it holds a comma, a double quote, CR or LF, and also when it
 * begins or ends with a space (readers such as csvin trim the spaces around an unquoted
 * field, so only quoting keeps them); a quote inside a quoted field is doubled. Records
 * end in "\n". Everything that writes CSV (score, query, ingest's summary and reject file,
 * ...) goes through these functions, so one quoting rule holds for all of them. */
#ifndef CHEMVAE_CSVOUT_H
#define CHEMVAE_CSVOUT_H

#include <stddef.h>
#include <stdio.h>

/* cv_csv_field flags. */
enum {
    CV_CSV_QUOTE_EMPTY = 1,  /* an empty string is written as "" (so it differs from a
                                missing value, which is an empty field) */
    CV_CSV_ESCAPE_BYTES = 2, /* bytes below 0x20 other than tab, CR and LF, and bytes >= 0x7f,
                                are written as the four characters \xNN (a file of binary
                                garbage quoted back stays text) */
};

/* Writes s[0..len) (may hold NULs) as one field. Returns 0, or -1 on a write error. */
int cv_csv_field(FILE *fp, const char *s, size_t len, unsigned flags);

/* cv_csv_field of a NUL-terminated string, no flags. */
int cv_csv_str(FILE *fp, const char *s);

/* Writes the n NUL-terminated fields (NULL: an empty field) separated by commas and ended
 * by "\n", no flags. Returns 0, or -1 on a write error. */
int cv_csv_record(FILE *fp, const char *const *fields, size_t n);

#endif
