/* csvin.c — streaming CSV records on top of libcsv (see include/chemvae/data/csvin.h).
 *
 * How: input bytes are cut into physical lines (each ends at '\n' or '\r'), and each line
 * is handed to csv_parse() on its own. A record can only end at a line end, so when
 * libcsv's end-of-row callback fires, the lines buffered since the record started are
 * exactly its raw text, and the record's first line number is known. That is what makes
 * the reject report possible (libcsv itself reports neither).
 *
 * Recovery: libcsv in strict mode stops at a stray quote, and a missing closing quote makes
 * the rest of the file one field. Both are detected per record (parse error, or a record
 * longer than max_record_lines / max_record_bytes), the record's first line is delivered as
 * an error record, a fresh parser is created, and the record's remaining buffered lines are
 * parsed again (resync). Each resync consumes one line, so it always terminates, and the
 * buffer it replays is bounded by the record limits: memory stays constant in the number of
 * rows.
 *
 * Memory: one line buffer, one record buffer (raw bytes), one field buffer + offsets, all
 * reused; libcsv's own entry buffer. Nothing grows with the number of records.
 *
 * Files: cv_csvin_read_file reads through zlib (readchunks.c), so a gzip-compressed CSV
 * (data sets are often shipped as .csv.gz) is read like a plain one. */
#include "chemvae/data/csvin.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/core/buf.h"
#include "data_internal.h"

#define DEFAULT_MAX_LINES 16
#define DEFAULT_MAX_BYTES ((size_t)1 << 20)

struct Csvin {
    struct csv_parser parser;
    int parser_ok;
    CsvinOptions opt;
    CsvinRecordFn fn;
    void *user;
    char delim;
    int stopped, nomem, discard, got_row;
    unsigned char bom[3];
    size_t bom_len;
    int bom_done, first_line_done;
    CvBuf line; /* current physical line */
    CvBuf rec;  /* raw bytes of the record being parsed */
    size_t rec_lines, rec_first_len, rec_start;
    size_t after_first_line; /* line counter state after the record's first line */
    int after_first_cr;
    int in_record;
    CvBuf fbuf; /* field bytes, NUL after each */
    size_t *foff, *flen, nf, fcap;
    const char **fptr;
    size_t line_no; /* number of the physical line being read */
    int prev_cr;    /* previous line ended with '\r' */
};

static int space_only(unsigned char c) {
    return c == ' ';
}
static int space_or_tab(unsigned char c) {
    return c == ' ' || c == '\t';
}

static int parser_reset(Csvin *r) {
    if (r->parser_ok) csv_free(&r->parser);
    r->parser_ok = 0;
    if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI) != 0) return -1;
    r->parser_ok = 1;
    csv_set_delim(&r->parser, (unsigned char)(r->delim ? r->delim : ','));
    csv_set_quote(&r->parser, (unsigned char)r->opt.quote);
    csv_set_space_func(&r->parser, r->delim == '\t' ? space_only : space_or_tab);
    r->nf = 0;
    r->fbuf.len = 0;
    return 0;
}

static void cb_field(void *s, size_t len, void *data) {
    Csvin *r = data;
    if (r->discard || r->nomem) return;
    if (r->nf == r->fcap) {
        size_t nc = r->fcap ? 2 * r->fcap : 16;
        size_t *no = realloc(r->foff, nc * sizeof *no);
        if (no) r->foff = no;
        size_t *nl = realloc(r->flen, nc * sizeof *nl);
        if (nl) r->flen = nl;
        const char **np = realloc(r->fptr, nc * sizeof *np);
        if (np) r->fptr = np;
        if (!no || !nl || !np) {
            r->nomem = 1;
            return;
        }
        r->fcap = nc;
    }
    r->foff[r->nf] = r->fbuf.len;
    r->flen[r->nf] = len;
    if (cv_buf_append(&r->fbuf, s, len) || cv_buf_append(&r->fbuf, "", 1)) {
        r->nomem = 1;
        return;
    }
    r->nf++;
}

static void deliver(Csvin *r, CsvinRecord *rec) {
    if (r->stopped) return;
    if (r->fn(rec, r->user) != 0) r->stopped = 1;
}

static void cb_row(int c, void *data) {
    (void)c;
    Csvin *r = data;
    if (r->discard || r->nomem) return;
    for (size_t i = 0; i < r->nf; i++) r->fptr[i] = r->fbuf.p + r->foff[i];
    CsvinRecord rec = {r->nf, r->fptr, r->flen, r->rec_start, r->rec.p, r->rec.len, NULL};
    deliver(r, &rec);
    r->nf = 0;
    r->fbuf.len = 0;
    r->got_row = 1;
    r->in_record = 0;
}

static void process_line(Csvin *r, const char *s, size_t n);

/* The current record is not valid CSV: deliver its first line as an error record, start a
 * fresh parser and parse the record's remaining lines again. */
static void resync(Csvin *r, const char *reason) {
    CsvinRecord bad = {0, NULL, NULL, r->rec_start, r->rec.p, r->rec_first_len, reason};
    deliver(r, &bad);
    size_t rest_len = r->rec.len - r->rec_first_len;
    char *rest = malloc(rest_len + 1);
    if (!rest) {
        r->nomem = 1;
        return;
    }
    memcpy(rest, r->rec.p + r->rec_first_len, rest_len);
    r->in_record = 0;
    r->rec.len = 0;
    r->line_no = r->after_first_line;
    r->prev_cr = r->after_first_cr;
    if (parser_reset(r)) r->nomem = 1;
    size_t start = 0;
    for (size_t i = 0; i < rest_len && !r->stopped && !r->nomem; i++) {
        if (rest[i] != '\n' && rest[i] != '\r') continue;
        process_line(r, rest + start, i + 1 - start);
        start = i + 1;
    }
    if (start < rest_len && !r->stopped && !r->nomem)
        process_line(r, rest + start, rest_len - start);
    free(rest);
}

static int blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return 0;
    return 1;
}

/* Handles one physical line s[0..n) (ends with its '\n' or '\r', except possibly the last
 * line of the input). */
static void process_line(Csvin *r, const char *s, size_t n) {
    if (!r->first_line_done && !blank(s, n)) {
        r->first_line_done = 1;
        if (!r->delim) {
            int tab = memchr(s, '\t', n) != NULL, comma = memchr(s, ',', n) != NULL;
            r->delim = tab && !comma ? '\t' : ',';
            if (parser_reset(r)) {
                r->nomem = 1;
                return;
            }
        }
    }
    size_t this_line = r->line_no;
    char last = n ? s[n - 1] : 0;
    if (last == '\r') {
        r->line_no++;
        r->prev_cr = 1;
    } else if (last == '\n') {
        if (!(n == 1 && r->prev_cr)) r->line_no++;
        r->prev_cr = 0;
    } else {
        r->prev_cr = 0;
    }
    if (!r->in_record) {
        if (blank(s, n)) return;
        r->in_record = 1;
        r->rec_start = this_line;
        r->rec.len = 0;
        r->rec_lines = 0;
        r->rec_first_len = n;
        r->after_first_line = r->line_no;
        r->after_first_cr = r->prev_cr;
    }
    if (cv_buf_append(&r->rec, s, n)) {
        r->nomem = 1;
        return;
    }
    r->rec_lines++;
    r->got_row = 0;
    /* libcsv grows its field buffer by a fixed block; a block as large as the buffer makes
     * the growth geometric (a 10 MB field costs ~20 reallocations, not 80,000) */
    size_t have = csv_get_buffer_size(&r->parser);
    csv_set_blk_size(&r->parser, have > 128 ? have : 128);
    size_t k = csv_parse(&r->parser, s, n, cb_field, cb_row, r);
    if (r->stopped || r->nomem) return;
    if (k < n) {
        int e = csv_error(&r->parser);
        if (e == CSV_ENOMEM || e == CSV_ETOOBIG) {
            r->nomem = 1;
            return;
        }
        resync(r, "malformed quoting (stray or unbalanced quote)");
    } else if (r->in_record &&
               (r->rec_lines > r->opt.max_record_lines || r->rec.len > r->opt.max_record_bytes)) {
        resync(r, "unterminated quoted field");
    }
}

static CvStatus status_of(Csvin *r, CvError *err) {
    if (r->nomem) return cv_error_set(err, CV_ERR_NOMEM, "csv: out of memory");
    if (r->stopped) {
        if (err && err->code == CV_OK) err->code = CV_ERR_INTERRUPTED;
        return CV_ERR_INTERRUPTED;
    }
    return CV_OK;
}

/* Pushes bytes (after BOM handling) through the line splitter. */
static void split_lines(Csvin *r, const char *buf, size_t n) {
    size_t start = 0;
    for (size_t i = 0; i < n && !r->stopped && !r->nomem; i++) {
        if (buf[i] != '\n' && buf[i] != '\r') continue;
        if (r->line.len) {
            if (cv_buf_append(&r->line, buf + start, i + 1 - start)) {
                r->nomem = 1;
                return;
            }
            process_line(r, r->line.p, r->line.len);
            r->line.len = 0;
        } else {
            process_line(r, buf + start, i + 1 - start);
        }
        start = i + 1;
    }
    if (start < n && !r->stopped && !r->nomem && cv_buf_append(&r->line, buf + start, n - start))
        r->nomem = 1;
}

static void flush_bom(Csvin *r) {
    static const unsigned char BOM[3] = {0xEF, 0xBB, 0xBF};
    r->bom_done = 1;
    if (r->bom_len == 3 && memcmp(r->bom, BOM, 3) == 0) return;
    split_lines(r, (const char *)r->bom, r->bom_len);
}

CvStatus cv_csvin_feed(Csvin *r, const char *buf, size_t n, CvError *err) {
    while (!r->bom_done && n > 0) {
        r->bom[r->bom_len++] = (unsigned char)*buf++;
        n--;
        if (r->bom_len == 3) flush_bom(r);
    }
    if (n) split_lines(r, buf, n);
    return status_of(r, err);
}

CvStatus cv_csvin_finish(Csvin *r, CvError *err) {
    if (!r->bom_done) flush_bom(r);
    if (r->line.len && !r->stopped && !r->nomem) {
        process_line(r, r->line.p, r->line.len);
        r->line.len = 0;
    }
    while (r->in_record && !r->stopped && !r->nomem) {
        r->got_row = 0;
        int bad = csv_fini(&r->parser, cb_field, cb_row, r) != 0;
        if (r->stopped || r->nomem) break;
        if (bad && !r->got_row) {
            resync(r, "unterminated quoted field at end of file");
        } else {
            r->in_record = 0;
        }
    }
    return status_of(r, err);
}

char cv_csvin_delimiter(const Csvin *r) {
    return r->delim;
}

CvStatus cv_csvin_open(Csvin **out, const CsvinOptions *opt, CsvinRecordFn fn, void *user,
                       CvError *err) {
    *out = NULL;
    Csvin *r = calloc(1, sizeof *r);
    if (!r) return cv_error_set(err, CV_ERR_NOMEM, "csv: out of memory");
    if (opt) r->opt = *opt;
    if (!r->opt.quote) r->opt.quote = '"';
    if (!r->opt.max_record_lines) r->opt.max_record_lines = DEFAULT_MAX_LINES;
    if (!r->opt.max_record_bytes) r->opt.max_record_bytes = DEFAULT_MAX_BYTES;
    if (r->opt.delim == '\n' || r->opt.delim == '\r' || r->opt.delim == r->opt.quote) {
        unsigned char d = (unsigned char)r->opt.delim;
        free(r);
        return cv_error_set(err, CV_ERR_INVALID, "csv: delimiter 0x%02x cannot be used", d);
    }
    r->delim = r->opt.delim;
    r->fn = fn;
    r->user = user;
    r->line_no = 1;
    if (parser_reset(r)) {
        free(r);
        return cv_error_set(err, CV_ERR_NOMEM, "csv: out of memory");
    }
    *out = r;
    return CV_OK;
}

void cv_csvin_close(Csvin *r) {
    if (!r) return;
    if (r->parser_ok) csv_free(&r->parser);
    free(r->line.p);
    free(r->rec.p);
    free(r->fbuf.p);
    free(r->foff);
    free(r->flen);
    free(r->fptr);
    free(r);
}

/* cv_data_read_chunks's chunk function: feeds the reader. */
static CvStatus feed_chunk(void *user, const char *buf, size_t n, CvError *err) {
    return cv_csvin_feed(user, buf, n, err);
}

CvStatus cv_csvin_read_file(const char *path, const CsvinOptions *opt, CsvinRecordFn fn, void *user,
                            CvError *err) {
    Csvin *r = NULL;
    CvStatus st = cv_csvin_open(&r, opt, fn, user, err);
    if (!st) st = cv_data_read_chunks(path, feed_chunk, r, err);
    if (!st) st = cv_csvin_finish(r, err);
    cv_csvin_close(r);
    return st;
}
