/* report_history.c — a model's training history file (report.h, cv_report_history_read):
 * `<model>.training.csv` beside a checkpoint, the training_metrics rows of the run that
 * trained it as CSV (results/models/zinc24k-small.training.csv: epoch, step, split, loss,
 * recon, kl, prop, beta, lr, accuracy, extra). The report draws it when the results DB
 * holds no training run, so a shipped model still shows its curves.
 *
 * Columns are found by their header names, so a file with more, fewer or reordered columns
 * reads; epoch and split are required. The extra column is the trainer's JSON object of
 * further values; tf_exact and active_units are taken from it by key (a flat object of
 * numbers, as the trainer writes it; anything else gives NaN). A value that is not a number
 * is NaN, a record that is not valid CSV or has another split than train/valid is skipped:
 * the file is outside input, and a damaged row costs that row only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chemvae/data/csvin.h"
#include "chemvae/data/dataset.h"
#include "chemvae/report/report.h"

/* The CSV columns read, in CvTrainingHistory.v's order after epoch (extra keys last). */
static const char *const COLS[] = {"epoch", "loss", "recon", "kl", "beta", "accuracy"};
enum { N_CSV_COLS = sizeof COLS / sizeof *COLS };
static const char *const EXTRA_KEYS[] = {"tf_exact", "active_units"};
_Static_assert(N_CSV_COLS + 2 == CV_HISTORY_COLS, "history columns");

typedef struct {
    const char *path;
    CvTrainingHistory *h;
    long col[N_CSV_COLS]; /* field index of each column, -1 when absent */
    long split, extra;    /* field index of split and extra, -1 when absent */
    int header_seen;
    CvError *err;
    CvStatus st;
} Reader;

/* The number a whole field spells (spaces around it allowed), else NaN. */
static double field_number(const char *s) {
    char *end;
    while (*s == ' ') s++;
    if (!*s) return NAN;
    double v = strtod(s, &end);
    while (*end == ' ') end++;
    return *end || !isfinite(v) ? NAN : v;
}

/* The number after "key": in the JSON object text json, NaN when absent or not a number. */
static double json_number(const char *json, const char *key) {
    char quoted[32];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *p = strstr(json, quoted);
    if (!p) return NAN;
    p += strlen(quoted);
    while (*p == ' ') p++;
    if (*p++ != ':') return NAN;
    char *end;
    double v = strtod(p, &end);
    return end == p || !isfinite(v) ? NAN : v;
}

static int header(Reader *r, const CsvinRecord *rec) {
    r->split = r->extra = -1;
    for (size_t c = 0; c < N_CSV_COLS; c++) r->col[c] = -1;
    for (size_t f = 0; f < rec->nfields; f++) {
        const char *name = rec->fields[f];
        if (!strcasecmp(name, "split")) r->split = (long)f;
        if (!strcasecmp(name, "extra")) r->extra = (long)f;
        for (size_t c = 0; c < N_CSV_COLS; c++)
            if (!strcasecmp(name, COLS[c])) r->col[c] = (long)f;
    }
    if (r->split < 0 || r->col[0] < 0) {
        r->st = cv_error_set(r->err, CV_ERR_PARSE, "%s line %zu: no 'epoch' and 'split' columns",
                             r->path, rec->line);
        return 1;
    }
    r->header_seen = 1;
    return 0;
}

/* Appends one row; -1 when out of memory. */
static int append(CvTrainingHistory *h, unsigned char split, const double *v) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        unsigned char *s = realloc(h->split, cap);
        if (s) h->split = s;
        double *nv = s ? realloc(h->v, cap * CV_HISTORY_COLS * sizeof *nv) : NULL;
        if (!nv) return -1;
        h->v = nv;
        h->cap = cap;
    }
    h->split[h->n] = split;
    memcpy(h->v + h->n * CV_HISTORY_COLS, v, CV_HISTORY_COLS * sizeof *v);
    h->n++;
    return 0;
}

static int record(const CsvinRecord *rec, void *user) {
    Reader *r = user;
    if (rec->error) return 0;
    if (!r->header_seen) return header(r, rec);
    const char *split = (size_t)r->split < rec->nfields ? rec->fields[r->split] : "";
    unsigned char sp;
    if (!strcmp(split, "train")) sp = CV_SPLIT_TRAIN;
    else if (!strcmp(split, "valid")) sp = CV_SPLIT_VALID;
    else return 0;
    double v[CV_HISTORY_COLS];
    for (size_t c = 0; c < N_CSV_COLS; c++)
        v[c] = r->col[c] >= 0 && (size_t)r->col[c] < rec->nfields
                   ? field_number(rec->fields[r->col[c]])
                   : NAN;
    const char *extra =
        r->extra >= 0 && (size_t)r->extra < rec->nfields ? rec->fields[r->extra] : "";
    for (size_t k = 0; k < 2; k++) v[N_CSV_COLS + k] = json_number(extra, EXTRA_KEYS[k]);
    if (!isfinite(v[0])) return 0; /* no epoch: nothing to place the row at */
    if (append(r->h, sp, v)) {
        r->st =
            cv_error_set(r->err, CV_ERR_NOMEM, "%s: out of memory at line %zu", r->path, rec->line);
        return 1;
    }
    return 0;
}

CvStatus cv_report_history_read(const char *path, CvTrainingHistory *h, CvError *err) {
    memset(h, 0, sizeof *h);
    Reader r = {.path = path, .h = h, .err = err};
    CsvinOptions o = {.delim = ','};
    CvStatus st = cv_csvin_read_file(path, &o, record, &r, err);
    if (r.st) st = r.st;
    if (!st && !r.header_seen) st = cv_error_set(err, CV_ERR_PARSE, "%s: no header", path);
    if (st) cv_report_history_free(h);
    return st;
}

void cv_report_history_free(CvTrainingHistory *h) {
    free(h->split);
    free(h->v);
    memset(h, 0, sizeof *h);
}
