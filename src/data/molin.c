/* molin.c — SMILES files and SDF record by record (see include/chemvae/data/molin.h).
 *
 * How: input bytes are cut into physical lines (each ends at '\n', '\r' or "\r\n"; a CR at
 * the end of a chunk waits for the next byte), and each complete line goes through the
 * format's line handler. A SMILES-file line is a record by itself. An SDF record is a small
 * state machine over its lines: MOL (the molblock, until "M  END"), then DATA (between data
 * items) and VALUE (an item's value lines), until "$$$$"; SKIP drops the rest of a record
 * that grew past max_record_bytes. A record's text is kept in one buffer (the molblock,
 * NUL, the name, NUL) and its items in another (tag, NUL, value, NUL ...), with offsets,
 * and turned into pointers when the record is delivered: the record's strings are valid
 * while the callback runs, and the buffers are reused for the next.
 *
 * Errors stay inside their record: the first line of the next record is known from the
 * format alone ("$$$$" in an SDF, the line end in a SMILES file), so one broken record never
 * costs the records after it.
 *
 * Memory: the line buffer, the record and item buffers (each at most max_record_bytes plus
 * a line), the item offsets. Nothing grows with the number of records. */
#include "chemvae/data/molin.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chemvae/core/buf.h"
#include "data_internal.h"

#define DEFAULT_MAX_BYTES ((size_t)4 << 20)

enum { SDF_START, SDF_MOL, SDF_DATA, SDF_VALUE, SDF_SKIP };

struct Molin {
    MolinOptions opt;
    MolinRecordFn fn;
    void *user;
    int stopped, nomem;
    CvBuf line;        /* the current physical line, without its end */
    int line_long;     /* it passed max_record_bytes (the rest was dropped) */
    int line_nul;      /* it holds a NUL byte */
    int prev_cr;       /* the last byte read was a CR */
    size_t line_no;    /* number of the line being read */
    size_t number;     /* records delivered */
    int header_seen;   /* SMILES file: the first record line was looked at */
    int state;         /* SDF_* */
    CvBuf rec;         /* molblock NUL name NUL (SDF) / SMILES NUL name NUL */
    CvBuf first;       /* the record's first line */
    size_t rec_line;   /* line the record starts on */
    size_t mol_len;    /* SDF: bytes of the molblock, once "M  END" was read */
    int blank;         /* SDF: every line of the record so far is blank */
    const char *error; /* why the record being read is not one */
    CvBuf items;       /* tag NUL value NUL ... */
    size_t *tag_off, nitems, items_cap;
    const char **ptrs; /* (2 * items_cap) tags then values, at delivery */
};

static const char *const NAMES[] = {"auto", "csv", "smi", "sdf"};

const char *cv_molin_format_name(MolinFormat f) {
    return (unsigned)f <= MOLIN_SDF ? NAMES[f] : "unknown";
}

int cv_molin_format_parse(const char *name, MolinFormat *out) {
    for (int f = MOLIN_AUTO; f <= MOLIN_SDF; f++)
        if (!strcasecmp(name, NAMES[f])) return *out = (MolinFormat)f, 0;
    if (!strcasecmp(name, "smiles")) return *out = MOLIN_SMI, 0;
    if (!strcasecmp(name, "sd")) return *out = MOLIN_SDF, 0;
    return -1;
}

/* 1 when s[0..n) ends in `ext` (any case). */
static int ends_with(const char *s, size_t n, const char *ext) {
    size_t k = strlen(ext);
    return n > k && !strncasecmp(s + n - k, ext, k);
}

MolinFormat cv_molin_format_of(const char *path, MolinFormat given) {
    if (given != MOLIN_AUTO) return given;
    if (!path || !strcmp(path, "-")) return MOLIN_CSV;
    size_t n = strlen(path);
    if (ends_with(path, n, ".gz")) n -= 3;
    if (ends_with(path, n, ".smi") || ends_with(path, n, ".smiles")) return MOLIN_SMI;
    if (ends_with(path, n, ".sdf") || ends_with(path, n, ".sd")) return MOLIN_SDF;
    return MOLIN_CSV;
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

/* s[0..*n) without surrounding spaces: returns the new start, *n the new length. */
static const char *trim(const char *s, size_t *n) {
    while (*n && is_space(*s)) s++, (*n)--;
    while (*n && is_space(s[*n - 1])) (*n)--;
    return s;
}

/* Appends s[0..n) and a NUL to b; sets r->nomem when out of memory. */
static void put(Molin *r, CvBuf *b, const char *s, size_t n) {
    if (cv_buf_append(b, s, n) || cv_buf_append(b, "", 1)) r->nomem = 1;
}

/* Hands a record to the callback: rec holds mol NUL name NUL (mol_len bytes of mol), items
 * the data items. */
static void deliver(Molin *r, size_t mol_len, const char *error) {
    if (r->stopped || r->nomem) return;
    if (error) r->nitems = 0;
    for (size_t i = 0; i < r->nitems; i++) {
        const char *tag = r->items.p + r->tag_off[i];
        r->ptrs[i] = tag;
        r->ptrs[r->items_cap + i] = tag + strlen(tag) + 1;
    }
    MolinRecord rec = {.number = ++r->number,
                       .line = r->rec_line,
                       .mol = error ? "" : r->rec.p,
                       .mol_len = error ? 0 : mol_len,
                       .molblock = r->opt.format == MOLIN_SDF,
                       .name = r->rec.p + mol_len + 1,
                       .first = r->first.len ? r->first.p : "",
                       .nitems = r->nitems,
                       .tags = r->ptrs,
                       .values = r->ptrs ? r->ptrs + r->items_cap : NULL,
                       .error = error};
    if (r->fn(&rec, r->user)) r->stopped = 1;
}

/* Empties the record and item buffers for the next record. */
static void record_reset(Molin *r) {
    r->rec.len = r->first.len = r->items.len = 0;
    if (r->rec.p) r->rec.p[0] = '\0';
    r->nitems = r->mol_len = 0;
    r->error = NULL;
    r->blank = 1;
    r->state = SDF_START;
}

/* ---- SMILES files ------------------------------------------------------------------ */

static void smi_line(Molin *r, const char *s, size_t len) {
    size_t n = len;
    const char *t = trim(s, &n);
    if (!r->line_long && (n == 0 || t[0] == '#')) return; /* blank or a comment */
    size_t k = 0;
    while (k < n && !is_space(t[k])) k++;
    size_t name_len = n - k;
    const char *name = trim(t + k, &name_len);
    int header = !r->header_seen && k == 6 && !strncasecmp(t, "smiles", 6);
    r->header_seen = 1;
    if (header && !r->line_long) return;
    record_reset(r);
    r->rec_line = r->line_no;
    put(r, &r->first, s, len);
    put(r, &r->rec, t, k);
    put(r, &r->rec, name, name_len);
    const char *error = r->line_long  ? "line longer than the limit"
                        : r->line_nul ? "a NUL byte in the line"
                                      : NULL;
    if (!r->nomem) deliver(r, k, error);
}

/* ---- SDF --------------------------------------------------------------------------- */

/* 1 when the line is "$$$$" (trailing spaces allowed). */
static int is_record_end(const char *s, size_t n) {
    if (n < 4 || memcmp(s, "$$$$", 4)) return 0;
    n -= 4;
    trim(s + 4, &n);
    return n == 0;
}

/* Room for one more item offset (and its two delivery pointers). */
static int items_grow(Molin *r) {
    if (r->nitems < r->items_cap) return 0;
    size_t cap = r->items_cap ? 2 * r->items_cap : 16;
    size_t *off = realloc(r->tag_off, cap * sizeof *off);
    if (off) r->tag_off = off;
    const char **ptrs = off ? realloc(r->ptrs, 2 * cap * sizeof *ptrs) : NULL;
    if (!ptrs) return r->nomem = 1, -1;
    r->ptrs = ptrs;
    r->items_cap = cap;
    return 0;
}

/* A data item's header line: the name between '<' and '>' ("" without brackets), and an
 * empty value after it. */
static void sdf_item(Molin *r, const char *s, size_t n) {
    const char *lt = memchr(s, '<', n);
    const char *gt = lt ? memchr(lt, '>', n - (size_t)(lt - s)) : NULL;
    if (items_grow(r)) return;
    r->tag_off[r->nitems++] = r->items.len;
    put(r, &r->items, lt && gt ? lt + 1 : "", lt && gt ? (size_t)(gt - lt - 1) : 0);
    put(r, &r->items, "", 0);
    r->state = SDF_VALUE;
}

/* One more line of the current item's value (the last string of items). */
static void sdf_value(Molin *r, const char *s, size_t n) {
    r->items.len--; /* reopen the value: over its NUL */
    int empty = r->items.p[r->items.len - 1] == '\0';
    if (!empty && cv_buf_append(&r->items, "\n", 1)) r->nomem = 1;
    put(r, &r->items, s, n);
}

/* The record is complete: rec becomes molblock NUL title NUL and goes to the callback. */
static void sdf_end(Molin *r) {
    const char *error = r->error;
    if (!error && r->state == SDF_MOL) error = "no 'M  END' line in the record";
    size_t mol_len = error ? 0 : r->mol_len, tn = r->first.len ? strlen(r->first.p) : 0;
    const char *title = trim(r->first.len ? r->first.p : "", &tn);
    r->rec.len = mol_len;
    put(r, &r->rec, "", 0);
    put(r, &r->rec, title, tn);
    if (!r->nomem) deliver(r, mol_len, error);
    record_reset(r);
}

/* Adds a line to the molblock; "M  END" closes it. */
static void sdf_mol_line(Molin *r, const char *s, size_t n) {
    if (cv_buf_append(&r->rec, s, n) || cv_buf_append(&r->rec, "\n", 1)) r->nomem = 1;
    size_t k = n;
    trim(s, &k);
    if (k) r->blank = 0;
    if (n >= 6 && !memcmp(s, "M  END", 6)) {
        r->mol_len = r->rec.len;
        r->state = SDF_DATA;
    }
}

/* The record cannot be one (a NUL byte, too long): its lines up to "$$$$" are dropped. */
static void sdf_skip(Molin *r) {
    if (!r->error)
        r->error = r->line_nul ? "a NUL byte in the record" : "record longer than the limit";
    r->state = SDF_SKIP;
    r->rec.len = r->items.len = 0;
}

static void sdf_line(Molin *r, const char *s, size_t n) {
    int end = is_record_end(s, n);
    if (r->state == SDF_START) {
        r->rec_line = r->line_no;
        if (!end) put(r, &r->first, s, n);
        r->state = SDF_MOL;
    }
    if (end) {
        sdf_end(r);
        return;
    }
    if (r->line_long || r->line_nul) sdf_skip(r);
    size_t k = n;
    switch (r->state) {
    case SDF_MOL:
        sdf_mol_line(r, s, n);
        break;
    case SDF_DATA:
        if (n && s[0] == '>') sdf_item(r, s, n);
        break;
    case SDF_VALUE:
        trim(s, &k);
        if (k == 0) r->state = SDF_DATA;
        else sdf_value(r, s, n);
        break;
    default: /* SDF_SKIP */
        break;
    }
    if (r->rec.len + r->items.len > r->opt.max_record_bytes) sdf_skip(r);
}

/* ---- lines ------------------------------------------------------------------------- */

/* A complete line: the BOM of the first line dropped, then the format's handler. */
static void end_line(Molin *r) {
    const char *s = r->line.p ? r->line.p : "";
    size_t n = r->line.len;
    if (r->line_no == 1 && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) s += 3, n -= 3;
    r->line_nul = memchr(s, '\0', n) != NULL;
    if (r->opt.format == MOLIN_SMI) smi_line(r, s, n);
    else sdf_line(r, s, n);
    r->line.len = 0;
    r->line_long = 0;
    r->line_no++;
}

/* Appends s[0..n) (no line end in it) to the current line, up to the limit. */
static void add_to_line(Molin *r, const char *s, size_t n) {
    size_t room = r->opt.max_record_bytes - r->line.len;
    if (n > room) r->line_long = 1, n = room;
    if (n && cv_buf_append(&r->line, s, n)) r->nomem = 1;
}

static CvStatus status(Molin *r, CvError *err) {
    if (r->nomem) return cv_error_set(err, CV_ERR_NOMEM, "molecule file: out of memory");
    return r->stopped ? CV_ERR_INTERRUPTED : CV_OK;
}

CvStatus cv_molin_feed(Molin *r, const char *buf, size_t n, CvError *err) {
    size_t i = 0;
    while (i < n && !r->stopped && !r->nomem) {
        if (r->prev_cr && buf[i] == '\n') i++; /* the LF of a CRLF */
        r->prev_cr = 0;
        size_t j = i;
        while (j < n && buf[j] != '\n' && buf[j] != '\r') j++;
        add_to_line(r, buf + i, j - i);
        if (j == n) break;
        r->prev_cr = buf[j] == '\r';
        end_line(r);
        i = j + 1;
    }
    return status(r, err);
}

CvStatus cv_molin_finish(Molin *r, CvError *err) {
    if (r->line.len || r->line_long) end_line(r); /* a last line without its end */
    if (r->opt.format == MOLIN_SDF && r->state != SDF_START && !r->stopped && !r->nomem &&
        !(r->state == SDF_MOL && r->blank && !r->error))
        sdf_end(r); /* the last record without "$$$$"; trailing blank lines are none */
    return status(r, err);
}

CvStatus cv_molin_open(Molin **out, const MolinOptions *opt, MolinRecordFn fn, void *user,
                       CvError *err) {
    *out = NULL;
    if (!opt || (opt->format != MOLIN_SMI && opt->format != MOLIN_SDF))
        return cv_error_set(err, CV_ERR_INVALID, "molecule file: the format must be smi or sdf");
    Molin *r = calloc(1, sizeof *r);
    if (!r) return cv_error_set(err, CV_ERR_NOMEM, "molecule file: out of memory");
    r->opt = *opt;
    if (!r->opt.max_record_bytes) r->opt.max_record_bytes = DEFAULT_MAX_BYTES;
    r->fn = fn;
    r->user = user;
    r->line_no = 1;
    record_reset(r);
    *out = r;
    return CV_OK;
}

void cv_molin_close(Molin *r) {
    if (!r) return;
    free(r->line.p);
    free(r->rec.p);
    free(r->first.p);
    free(r->items.p);
    free(r->tag_off);
    free(r->ptrs);
    free(r);
}

/* cv_data_read_chunks's chunk function: feeds the reader. */
static CvStatus feed_chunk(void *user, const char *buf, size_t n, CvError *err) {
    return cv_molin_feed(user, buf, n, err);
}

CvStatus cv_molin_read_file(const char *path, const MolinOptions *opt, MolinRecordFn fn, void *user,
                            CvError *err) {
    Molin *r = NULL;
    CvStatus st = cv_molin_open(&r, opt, fn, user, err);
    if (!st) st = cv_data_read_chunks(path, feed_chunk, r, err);
    if (!st) st = cv_molin_finish(r, err);
    cv_molin_close(r);
    return st;
}
