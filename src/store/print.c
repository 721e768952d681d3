/* print.c — writing query results as an aligned table, CSV (RFC 4180) or JSON.
 *
 * CSV: a header line, then one line per row, written by the CSV writer (csvout.h: a field
 * is quoted, "" doubled, when it holds a comma, quote, CR, LF, or leading/trailing space);
 * an empty string is written as "" so that it differs from NULL (an empty field). Lines
 * end in "\n".
 * JSON: an array of objects, one row per line, keys = column names; NULL, NaN and ±Inf
 * are null; strings are escaped per RFC 8259 and invalid UTF-8 bytes become U+FFFD.
 * Reals print with the fewest digits (15 or 17) that read back to the same double.
 * BLOBs: x'hex' in CSV and table, the bare hex string in JSON.
 * Strings are escaped by cv_json_escape (core/json.c), the escaper of the JSON writer that
 * builds the JSON columns (run configs, predictions, per-epoch extras).
 * Table: column widths in UTF-8 code points; numbers right-aligned; control characters
 * shown as spaces; long cells cut to max_width with "...". It needs every row first (for
 * the widths), so it takes a StoreTable; CSV and JSON stream through StorePrinter.
 * Views (several tables) print each table under a heading line, or as the members of one
 * JSON object. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"
#include "chemvae/core/csvout.h"
#include "chemvae/core/json.h"
#include "chemvae/store/store.h"

static const char *const FORMAT_NAMES[] = {"table", "csv", "json", "sdf", "smi"};

const char *cv_store_format_name(StoreFormat fmt) {
    return FORMAT_NAMES[fmt];
}

int cv_store_format_parse(const char *s, StoreFormat *out) {
    for (int i = 0; i < (int)(sizeof FORMAT_NAMES / sizeof *FORMAT_NAMES); i++)
        if (s && !strcmp(s, FORMAT_NAMES[i])) {
            *out = (StoreFormat)i;
            return 0;
        }
    return -1;
}

/* ---- scalar formatting ---------------------------------------------------------------- */

static void format_real(char *buf, size_t n, double d) {
    if (isnan(d)) snprintf(buf, n, "NaN");
    else if (isinf(d)) snprintf(buf, n, d > 0 ? "Inf" : "-Inf");
    else {
        snprintf(buf, n, "%.15g", d);
        if (strtod(buf, NULL) != d) snprintf(buf, n, "%.17g", d);
    }
}

static void put_hex(FILE *fp, const StoreValue *v) {
    const unsigned char *b = (const unsigned char *)v->s;
    for (size_t i = 0; i < v->len; i++) fprintf(fp, "%02x", b[i]);
}

/* ---- CSV -------------------------------------------------------------------------------- */

static void csv_text(FILE *fp, const char *s, size_t len) {
    cv_csv_field(fp, s, len, CV_CSV_QUOTE_EMPTY);
}

static void csv_value(FILE *fp, const StoreValue *v) {
    char num[40];
    switch (v->type) {
    case STORE_NULL:
        break;
    case STORE_INT:
        fprintf(fp, "%lld", (long long)v->i);
        break;
    case STORE_REAL:
        format_real(num, sizeof num, v->d);
        fputs(num, fp);
        break;
    case STORE_TEXT:
        csv_text(fp, v->s, v->len);
        break;
    case STORE_BLOB:
        fputs("x'", fp);
        put_hex(fp, v);
        fputc('\'', fp);
        break;
    }
}

static void csv_header(FILE *fp, size_t ncol, const char *const *names) {
    for (size_t c = 0; c < ncol; c++) {
        if (c) fputc(',', fp);
        csv_text(fp, names[c], strlen(names[c]));
    }
    fputc('\n', fp);
}

/* ---- JSON ------------------------------------------------------------------------------- */

static void put_file(void *fp, const char *s, size_t n) {
    fwrite(s, 1, n, fp);
}

static void json_string(FILE *fp, const char *str, size_t len) {
    cv_json_escape(str, len, put_file, fp);
}

static void json_value(FILE *fp, const StoreValue *v) {
    char num[40];
    switch (v->type) {
    case STORE_NULL:
        fputs("null", fp);
        break;
    case STORE_INT:
        fprintf(fp, "%lld", (long long)v->i);
        break;
    case STORE_REAL:
        if (!isfinite(v->d)) {
            fputs("null", fp);
            break;
        }
        format_real(num, sizeof num, v->d);
        fputs(num, fp);
        break;
    case STORE_TEXT:
        json_string(fp, v->s, v->len);
        break;
    case STORE_BLOB:
        fputc('"', fp);
        put_hex(fp, v);
        fputc('"', fp);
        break;
    }
}

static void json_row(FILE *fp, size_t nrow_before, size_t ncol, const char *const *names,
                     const StoreValue *vals) {
    fputs(nrow_before ? ",\n  {" : "[\n  {", fp);
    for (size_t c = 0; c < ncol; c++) {
        if (c) fputc(',', fp);
        json_string(fp, names[c], strlen(names[c]));
        fputc(':', fp);
        json_value(fp, &vals[c]);
    }
    fputc('}', fp);
}

/* ---- streaming printer ------------------------------------------------------------------ */

void cv_store_printer_init(StorePrinter *p, FILE *fp, StoreFormat fmt) {
    memset(p, 0, sizeof *p);
    p->fp = fp;
    p->fmt = fmt == STORE_FORMAT_TABLE ? STORE_FORMAT_CSV : fmt;
}

/* SDF, SMI: picks the SMILES and the name column from the first row's names. */
static void find_molecule_columns(StorePrinter *p, size_t ncol, const char *const *names) {
    p->mol_col = p->name_col = -1;
    for (size_t c = 0; c < ncol && p->mol_col < 0; c++)
        if (!strcmp(names[c], "smiles")) p->mol_col = (long)c;
    for (size_t c = 0; c < ncol && p->mol_col < 0; c++) {
        size_t n = strlen(names[c]);
        if (n >= 6 && !strcmp(names[c] + n - 6, "smiles")) p->mol_col = (long)c;
    }
    for (size_t c = 0; c < ncol && p->name_col < 0; c++)
        if (!strcmp(names[c], "name") || !strcmp(names[c], "id")) p->name_col = (long)c;
}

/* A cell as text into buf (NULL: NULL). */
static const char *cell_text(const StoreValue *v, char *buf, size_t cap) {
    if (v->type == STORE_TEXT) return v->s;
    if (v->type == STORE_INT) snprintf(buf, cap, "%lld", (long long)v->i);
    else if (v->type == STORE_REAL) format_real(buf, cap, v->d);
    else return NULL;
    return buf;
}

/* One SDF record or SMILES-file line of a row. */
static void molecule_row(StorePrinter *p, size_t ncol, const char *const *names,
                         const StoreValue *vals) {
    char name[96], num[40];
    const char *smiles =
        p->mol_col >= 0 && vals[p->mol_col].type == STORE_TEXT ? vals[p->mol_col].s : "";
    const char *given = p->name_col >= 0 ? cell_text(&vals[p->name_col], num, sizeof num) : NULL;
    if (given) snprintf(name, sizeof name, "%s", given);
    else snprintf(name, sizeof name, "row-%zu", p->nrow + 1);
    if (p->fmt == STORE_FORMAT_SMI) {
        fprintf(p->fp, "%s %s\n", *smiles ? smiles : "*", name);
        return;
    }
    p->items.len = 0;
    if (p->items.p) p->items.p[0] = 0;
    for (size_t c = 0; c < ncol; c++) {
        const char *text = cell_text(&vals[c], num, sizeof num);
        if (text && (long)c != p->mol_col)
            cv_chem_sdf_item(&p->items, names[c], text, strlen(text));
    }
    cv_chem_write_sdf_record(p->fp, smiles, name, p->items.p);
}

int cv_store_printer_row(void *printer, size_t ncol, const char *const *names,
                         const StoreValue *vals) {
    StorePrinter *p = printer;
    int records = p->fmt == STORE_FORMAT_SDF || p->fmt == STORE_FORMAT_SMI;
    if (!p->header_done && records) find_molecule_columns(p, ncol, names);
    if (p->fmt == STORE_FORMAT_CSV && !p->header_done) csv_header(p->fp, ncol, names);
    p->header_done = 1;
    if (!vals) return 0;
    if (records) {
        molecule_row(p, ncol, names, vals);
    } else if (p->fmt == STORE_FORMAT_JSON) {
        json_row(p->fp, p->nrow, ncol, names, vals);
    } else {
        for (size_t c = 0; c < ncol; c++) {
            if (c) fputc(',', p->fp);
            csv_value(p->fp, &vals[c]);
        }
        fputc('\n', p->fp);
    }
    p->nrow++;
    return ferror(p->fp) ? 1 : 0; /* stop early when the output is gone */
}

CvStatus cv_store_printer_end(StorePrinter *p, CvError *err) {
    if (p->fmt == STORE_FORMAT_JSON) fputs(p->nrow ? "\n]\n" : "[]\n", p->fp);
    free(p->items.p);
    p->items = (CvBuf){0};
    if (fflush(p->fp) != 0 || ferror(p->fp))
        return cv_error_set(err, CV_ERR_IO, "writing query results failed");
    return CV_OK;
}

/* ---- aligned table ---------------------------------------------------------------------- */

/* Display text of a cell for the table: malloc'd, control characters as spaces, reals
 * rounded to 6 significant digits. */
static char *table_text(const StoreValue *v) {
    char num[40];
    const char *src = num;
    size_t len;
    switch (v->type) {
    case STORE_NULL:
        src = "NULL";
        break;
    case STORE_INT:
        snprintf(num, sizeof num, "%lld", (long long)v->i);
        break;
    case STORE_REAL: /* for reading: 6 significant digits (CSV and JSON keep every digit) */
        if (isfinite(v->d)) snprintf(num, sizeof num, "%.6g", v->d);
        else format_real(num, sizeof num, v->d);
        break;
    case STORE_TEXT:
        src = v->s;
        break;
    case STORE_BLOB: {
        char *out = malloc(2 * v->len + 4);
        if (!out) return NULL;
        char *q = out;
        *q++ = 'x', *q++ = '\'';
        for (size_t i = 0; i < v->len; i++) q += sprintf(q, "%02x", (unsigned char)v->s[i]);
        *q++ = '\'', *q = '\0';
        return out;
    }
    }
    len = v->type == STORE_TEXT ? v->len : strlen(src);
    char *out = malloc(len + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? ' ' : src[i];
    out[len] = '\0';
    return out;
}

/* Code points in s (continuation bytes not counted). */
static size_t display_width(const char *s) {
    size_t w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* Cuts s in place to at most max display characters, ending in "..." when cut. */
static void cut(char *s, size_t max) {
    if (max < 4 || display_width(s) <= max) return;
    size_t w = 0;
    char *p = s;
    for (; *p; p++) {
        if (((unsigned char)*p & 0xc0) != 0x80) {
            if (w == max - 3) break;
            w++;
        }
    }
    memcpy(p, "...", 4);
}

static void pad(FILE *fp, size_t n) {
    while (n--) fputc(' ', fp);
}

CvStatus cv_store_print_table(FILE *fp, const StoreTable *t, StoreFormat fmt, size_t max_width,
                              CvError *err) {
    if (fmt != STORE_FORMAT_TABLE) {
        StorePrinter p;
        cv_store_printer_init(&p, fp, fmt);
        for (size_t r = 0; r < t->nrow; r++)
            cv_store_printer_row(&p, t->ncol, (const char *const *)t->names,
                                 &t->cells[r * t->ncol]);
        if (!t->nrow) cv_store_printer_row(&p, t->ncol, (const char *const *)t->names, NULL);
        return cv_store_printer_end(&p, err);
    }
    size_t ncol = t->ncol, ncell = t->nrow * t->ncol;
    CvStatus status = CV_OK;
    char **text = calloc(ncell + 1, sizeof *text);
    size_t *width = calloc(ncol + 1, sizeof *width);
    if (!text || !width) {
        status = cv_error_set(err, CV_ERR_NOMEM, "printing a table: out of memory");
        goto fail;
    }
    for (size_t c = 0; c < ncol; c++) width[c] = display_width(t->names[c]);
    for (size_t k = 0; k < ncell; k++) {
        if (!(text[k] = table_text(&t->cells[k]))) {
            status = cv_error_set(err, CV_ERR_NOMEM, "printing a table: out of memory");
            goto fail;
        }
        if (max_width) cut(text[k], max_width);
        size_t w = display_width(text[k]);
        if (w > width[k % ncol]) width[k % ncol] = w;
    }
    for (size_t c = 0; c < ncol; c++) {
        fputs(t->names[c], fp);
        if (c + 1 < ncol) pad(fp, width[c] - display_width(t->names[c]) + 2);
    }
    fputc('\n', fp);
    for (size_t c = 0; c < ncol; c++) {
        for (size_t i = 0; i < width[c]; i++) fputc('-', fp);
        if (c + 1 < ncol) fputs("  ", fp);
    }
    fputc('\n', fp);
    for (size_t r = 0; r < t->nrow; r++) {
        for (size_t c = 0; c < ncol; c++) {
            size_t k = r * ncol + c, w = display_width(text[k]);
            int numeric = t->cells[k].type == STORE_INT || t->cells[k].type == STORE_REAL;
            if (numeric) pad(fp, width[c] - w);
            fputs(text[k], fp);
            if (c + 1 < ncol) pad(fp, (numeric ? 0 : width[c] - w) + 2);
        }
        fputc('\n', fp);
    }
    if (fflush(fp) != 0 || ferror(fp))
        status = cv_error_set(err, CV_ERR_IO, "writing query results failed");
fail:
    for (size_t k = 0; text && k < ncell; k++) free(text[k]);
    free(text);
    free(width);
    return status;
}

/* ---- views and statements (store.h) --------------------------------------------------------- */

CvStatus cv_store_print_view(FILE *fp, const StoreView *v, StoreFormat fmt, size_t max_width,
                             CvError *err) {
    if (v->n == 1 && !v->heading[0])
        return cv_store_print_table(fp, &v->part[0], fmt, max_width, err);
    CvStatus st = CV_OK;
    for (size_t i = 0; i < v->n && !st; i++) {
        if (fmt == STORE_FORMAT_JSON) fprintf(fp, "%s\"%s\": ", i ? ",\n" : "{", v->key[i]);
        else if (fmt != STORE_FORMAT_SDF && fmt != STORE_FORMAT_SMI)
            fprintf(fp, "%s%s %s\n", i ? "\n" : "",
                    fmt == STORE_FORMAT_CSV ? "#" : "==", v->heading[i]);
        st = cv_store_print_table(fp, &v->part[i], fmt, max_width, err);
    }
    if (!st && fmt == STORE_FORMAT_JSON) fputs("}\n", fp);
    return st;
}

CvStatus cv_store_print_select(FILE *fp, Store *db, const char *sql, const StoreValue *params,
                               size_t nparams, StoreFormat fmt, size_t max_width, CvError *err) {
    if (fmt == STORE_FORMAT_TABLE) {
        StoreTable t = {0};
        CvStatus st = cv_store_select(db, sql, params, nparams, &t, err);
        if (!st) st = cv_store_print_table(fp, &t, fmt, max_width, err);
        cv_store_table_free(&t);
        return st;
    }
    StorePrinter p;
    cv_store_printer_init(&p, fp, fmt);
    CvStatus st = cv_store_select_each(db, sql, params, nparams, cv_store_printer_row, &p, err);
    CvStatus end = cv_store_printer_end(&p, st ? NULL : err);
    return st ? st : end;
}
