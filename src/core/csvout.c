/* csvout.c — the CSV writer (see include/chemvae/core/csvout.h). Bytes are copied in runs
 * between the characters that need care, so a large query result costs one fwrite per
 * field, not one call per byte. */
#include "chemvae/core/csvout.h"

#include <string.h>

static int needs_quotes(const char *s, size_t len, unsigned flags) {
    if (!len) return (flags & CV_CSV_QUOTE_EMPTY) != 0;
    if (s[0] == ' ' || s[len - 1] == ' ') return 1;
    for (size_t i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') return 1;
    return 0;
}

/* 1 when byte c is not copied as it is. */
static int special(unsigned char c, unsigned flags) {
    if (c == '"') return 1;
    return (flags & CV_CSV_ESCAPE_BYTES) &&
           ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c >= 0x7f);
}

int cv_csv_field(FILE *fp, const char *s, size_t len, unsigned flags) {
    int quote = needs_quotes(s, len, flags);
    if (quote && fputc('"', fp) == EOF) return -1;
    size_t run = 0; /* start of the bytes not yet written */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!special(c, flags)) continue;
        if (fwrite(s + run, 1, i - run, fp) != i - run) return -1;
        run = i + 1;
        int ok = c == '"' ? fputs("\"\"", fp) != EOF : fprintf(fp, "\\x%02x", c) == 4;
        if (!ok) return -1;
    }
    if (fwrite(s + run, 1, len - run, fp) != len - run) return -1;
    if (quote && fputc('"', fp) == EOF) return -1;
    return 0;
}

int cv_csv_str(FILE *fp, const char *s) {
    return cv_csv_field(fp, s, strlen(s), 0);
}

int cv_csv_record(FILE *fp, const char *const *fields, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (i && fputc(',', fp) == EOF) return -1;
        if (fields[i] && cv_csv_str(fp, fields[i])) return -1;
    }
    return fputc('\n', fp) == EOF ? -1 : 0;
}
