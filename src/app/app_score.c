/* app_score.c — the score job (see app_score.h). The four readers (a list, lines, a CSV
 * column, the records of a SMILES file or SDF) feed one batch; a full batch is scored in
 * parallel, handed to the sink in input order and emptied. */
#include "chemvae/app/app_score.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/data/csvin.h"
#include "chemvae/core/parfor.h"

#define F(field) offsetof(CvScoreConfig, field)
static const CvParam PARAMS[] = {
    CV_PARAM("input", 'i', CV_PARAM_STRING, F(input), "FILE",
             "read FILE ('-' = stdin): one SMILES per line, or a CSV\nfile with --smiles-col"),
    CV_PARAM("smiles-col", 0, CV_PARAM_STRING, F(column), "NAME",
             "the input is CSV; score the column named NAME"),
    CV_PARAM(
        "input-format", 0, CV_PARAM_INPUT_FORMAT, F(format), "FORMAT",
        "the input's format: csv (with --smiles-col, default\nsmiles), smi (a SMILES and a name a "
        "line) or sdf;\n" CV_INPUT_FORMAT_AUTO "one SMILES a line"),
    CV_PARAM("threads", 'j', CV_PARAM_THREADS, F(threads), "N",
             "RDKit worker threads (default: all CPUs)"),
    CV_PARAM_OLD("column", 0, "--smiles-col"),
    CV_PARAM_OLD(NULL, 'c', "--smiles-col"),
    CV_PARAM_OLD(NULL, 't', "-j / --threads"),
};
#undef F
const CvParamTable cv_score_params = CV_PARAM_TABLE(PARAMS);

typedef struct {
    char *input;         /* trimmed value (owned) */
    char *canonical;     /* owned, when valid */
    char *error;         /* owned: why the row is invalid beyond RDKit not parsing it */
    char *name;          /* owned: a molecule-file record's name, else NULL */
    int molblock;        /* input is an SDF record's molblock */
    size_t line, record; /* a molecule-file record's line and number, else 0 */
    int valid;
    ChemScores s;
} ScoreItem;

typedef struct {
    const CvScoreSink *sink;
    const CvHooks *h;
    CvScoreResult *res;
    CvError *err;
    int threads;
    size_t total;       /* rows expected (a list), 0 when unknown */
    const char *source; /* the input's name, for messages */
    CvStatus read_st;   /* why reading a molecule file stopped */
    size_t n;           /* items in use */
    ScoreItem items[CV_SCORE_BATCH];
    CvScoreRow rows[CV_SCORE_BATCH];
} ScoreJob;

/* Copies s[0..n) without surrounding whitespace into a new string. */
static char *dup_trimmed(const char *s, size_t n) {
    while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) n--;
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* A row's message in a new string, or NULL when out of memory. */
__attribute__((format(printf, 1, 2))) static char *message(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *m = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!m) return NULL;
    va_start(ap, fmt);
    vsnprintf(m, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return m;
}

/* The message of a molecule-file record: "<file> line N: record K (<name>): <reason>". */
static char *record_message(const char *source, size_t line, size_t record, const char *name,
                            const char *reason) {
    int named = name && name[0];
    return message("%s line %zu: record %zu%s%s%s: %s", source, line, record, named ? " (" : "",
                   named ? name : "", named ? ")" : "", reason);
}

static void score_item(const ScoreJob *j, ScoreItem *it) {
    if (it->error) return; /* not a value (a broken CSV record) */
    ChemMol *mol = cv_chem_mol_from_text(it->input, it->molblock);
    if (!mol && it->molblock) /* (an invalid SMILES is data); NULL when out of memory */
        it->error = record_message(j->source, it->line, it->record, it->name,
                                   "RDKit cannot read the molecule");
    if (!mol) return;
    CvError err;
    if (cv_chem_mol_scores(mol, &it->s, &err) == CV_OK) {
        it->canonical = cv_chem_mol_canonical(mol);
        it->valid = it->canonical != NULL;
    } else {
        it->error = message("%s: %s", it->input, err.msg); /* NULL: just invalid */
    }
    cv_chem_mol_free(mol);
}

static void score_range(void *ctx, size_t b0, size_t b1, int worker) {
    (void)worker;
    ScoreJob *j = ctx;
    for (size_t i = b0; i < b1; i++) score_item(j, &j->items[i]);
}

static void items_free(ScoreJob *j) {
    for (size_t i = 0; i < j->n; i++) {
        free(j->items[i].input);
        free(j->items[i].canonical);
        free(j->items[i].error);
        free(j->items[i].name);
    }
    memset(j->items, 0, j->n * sizeof *j->items);
    j->n = 0;
}

/* Scores the batch, hands it to the sink, empties it and polls for an interrupt. */
static CvStatus flush(ScoreJob *j) {
    cv_parallel_for(j->n, j->threads, 1, score_range, j);
    for (size_t i = 0; i < j->n; i++) {
        const ScoreItem *it = &j->items[i];
        j->rows[i] = (CvScoreRow){.index = j->res->n_rows + i,
                                  .input = it->input,
                                  .name = it->name,
                                  .molblock = it->molblock,
                                  .valid = it->valid,
                                  .canonical = it->canonical,
                                  .scores = it->s,
                                  .error = it->error};
        j->res->n_valid += (size_t)it->valid;
    }
    CvStatus st =
        j->sink && j->sink->rows ? j->sink->rows(j->sink->user, j->rows, j->n, j->err) : CV_OK;
    j->res->n_rows += j->n;
    items_free(j);
    if (st) return st;
    cv_hooks_progress(j->h, j->res->n_rows, j->total, NULL);
    j->res->interrupted = cv_hooks_interrupted(j->h);
    return CV_OK;
}

/* Takes `in` (owned; NULL: out of memory) as the next row, invalid with the message `error`
 * (owned, NULL-able) when not NULL, with the name and place of a molecule-file record `rec`
 * (NULL-able); scores the batch when it is full. */
static CvStatus push_item(ScoreJob *j, char *in, char *error, const MolinRecord *rec) {
    char *name = rec ? strdup(rec->name) : NULL;
    if (!in || (rec && !name)) {
        free(in), free(error), free(name);
        return cv_error_set(j->err, CV_ERR_NOMEM, "out of memory reading input");
    }
    ScoreItem *it = &j->items[j->n++];
    *it = (ScoreItem){.input = in, .error = error, .name = name};
    if (rec) it->molblock = rec->molblock, it->line = rec->line, it->record = rec->number;
    return j->n == CV_SCORE_BATCH ? flush(j) : CV_OK;
}

/* Takes s[0..len) as the next row (a trimmed copy), invalid with the message `error`
 * (owned, NULL-able) when not NULL; scores the batch when it is full. */
static CvStatus add_row(ScoreJob *j, const char *s, size_t len, char *error) {
    return push_item(j, dup_trimmed(s, len), error, NULL);
}

static CvStatus add(ScoreJob *j, const char *s, size_t len) {
    return add_row(j, s, len, NULL);
}

static CvStatus read_list(ScoreJob *j, const char *const *smiles, size_t n) {
    CvStatus st = CV_OK;
    for (size_t i = 0; i < n && !st && !j->res->interrupted; i++)
        st = add(j, smiles[i], strlen(smiles[i]));
    return st;
}

static CvStatus read_lines(ScoreJob *j, FILE *in, const char *name) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    CvStatus st = CV_OK;
    while (!st && !j->res->interrupted && (n = getline(&line, &cap, in)) >= 0)
        st = add(j, line, strnlen(line, (size_t)n)); /* a NUL byte ends the value */
    if (!st && ferror(in)) st = cv_error_set(j->err, CV_ERR_IO, "%s: %s", name, strerror(errno));
    free(line);
    return st;
}

typedef struct {
    ScoreJob *job;
    const char *name;   /* of the input, for messages */
    const char *column; /* the wanted column */
    long col;           /* its index, -1 before the header */
    int header_seen;
    CvStatus st;
} CsvColumn;

/* Finds the column in the header record; the message lists the header's names. */
static CvStatus find_column(CsvColumn *c, const CsvinRecord *rec) {
    char names[512] = "";
    for (size_t k = 0; k < rec->nfields; k++) {
        size_t used = strlen(names), len = rec->lens[k];
        if (used + len + 3 < sizeof names)
            snprintf(names + used, sizeof names - used, "%s%.*s", used ? ", " : "", (int)len,
                     rec->fields[k]);
        if (c->col < 0 && len == strlen(c->column) && !memcmp(rec->fields[k], c->column, len))
            c->col = (long)k;
    }
    if (c->col >= 0) return CV_OK;
    return cv_error_set(c->job->err, CV_ERR_PARSE, "%s: no column '%s' in the header (%s)", c->name,
                        c->column, names);
}

/* A record that is not valid CSV: its first line (csvin parses the lines after it again)
 * as an invalid row whose message names the file and line. */
static CvStatus add_broken(CsvColumn *c, const CsvinRecord *rec) {
    char *error = message("%s line %zu: %s", c->name, rec->line, rec->error);
    if (!error) return cv_error_set(c->job->err, CV_ERR_NOMEM, "out of memory reading input");
    return add_row(c->job, rec->raw, strnlen(rec->raw, rec->raw_len), error);
}

static int csv_record(const CsvinRecord *rec, void *user) {
    CsvColumn *c = user;
    ScoreJob *j = c->job;
    if (rec->error && !c->header_seen) {
        c->st =
            cv_error_set(j->err, CV_ERR_PARSE, "%s line %zu: %s", c->name, rec->line, rec->error);
    } else if (rec->error) {
        c->st = add_broken(c, rec);
    } else if (!c->header_seen) {
        c->header_seen = 1;
        c->st = find_column(c, rec);
    } else if ((size_t)c->col < rec->nfields) {
        const char *v = rec->fields[c->col];
        c->st = add(j, v, strnlen(v, rec->lens[c->col]));
    } else {
        c->st = add(j, "", 0); /* a short record has no value in the column: scored as "" */
    }
    return c->st != CV_OK || j->res->interrupted;
}

static CvStatus read_csv(ScoreJob *j, const char *path, const char *name, const char *column) {
    CsvColumn c = {j, name, column, -1, 0, CV_OK};
    CsvinOptions opt = {.delim = ','};
    CvStatus st = cv_csvin_read_file(path, &opt, csv_record, &c, j->err);
    if (c.st) return c.st;
    if (st == CV_ERR_INTERRUPTED) { /* stopped by the hooks between batches */
        cv_error_clear(j->err);
        return CV_OK;
    }
    if (!st && !c.header_seen)
        st = cv_error_set(j->err, CV_ERR_PARSE, "%s: empty CSV, no header with column '%s'", name,
                          column);
    return st;
}

/* A record of a SMILES file or SDF as the next row: its molecule, or an invalid row with a
 * message when it is not a record. */
static int mol_record(const MolinRecord *rec, void *user) {
    ScoreJob *j = user;
    char *error = NULL;
    if (rec->error &&
        !(error = record_message(j->source, rec->line, rec->number, rec->name, rec->error)))
        j->read_st = cv_error_set(j->err, CV_ERR_NOMEM, "out of memory reading input");
    if (!j->read_st) j->read_st = push_item(j, strdup(error ? rec->first : rec->mol), error, rec);
    return j->read_st != CV_OK || j->res->interrupted;
}

static CvStatus read_records(ScoreJob *j, const char *path, MolinFormat format) {
    MolinOptions o = {format, 0};
    CvStatus st = cv_molin_read_file(path, &o, mol_record, j, j->err);
    if (j->read_st) return j->read_st;
    if (st == CV_ERR_INTERRUPTED) { /* stopped by the hooks between batches */
        cv_error_clear(j->err);
        return CV_OK;
    }
    return st;
}

/* The input's format: a list or lines are MOLIN_AUTO; a column makes a file CSV unless a
 * format is given. */
static MolinFormat input_format(const CvScoreConfig *cfg) {
    if (cfg->smiles) return MOLIN_AUTO;
    if (cfg->column && cfg->format == MOLIN_AUTO) return MOLIN_CSV;
    int use_stdin = !cfg->input || !strcmp(cfg->input, "-");
    MolinFormat f = cv_molin_format_of(use_stdin ? NULL : cfg->input, cfg->format);
    return f == MOLIN_CSV && !cfg->column && cfg->format != MOLIN_CSV ? MOLIN_AUTO : f;
}

/* 1 when the job reads a SMILES file or an SDF. */
static int reads_records(const CvScoreConfig *cfg) {
    MolinFormat f = input_format(cfg);
    return f == MOLIN_SMI || f == MOLIN_SDF;
}

static CvStatus read_input(ScoreJob *j, const CvScoreConfig *cfg) {
    if (cfg->smiles) return read_list(j, cfg->smiles, cfg->n_smiles);
    int use_stdin = !cfg->input || !strcmp(cfg->input, "-");
    const char *name = use_stdin ? "stdin" : cfg->input, *path = use_stdin ? "-" : cfg->input;
    MolinFormat f = input_format(cfg);
    j->source = name;
    if (f == MOLIN_SMI || f == MOLIN_SDF) return read_records(j, path, f);
    if (f == MOLIN_CSV) return read_csv(j, path, name, cfg->column ? cfg->column : "smiles");
    FILE *in = use_stdin ? stdin : fopen(cfg->input, "rb");
    if (!in) return cv_error_set(j->err, CV_ERR_IO, "%s: %s", cfg->input, strerror(errno));
    CvStatus st = read_lines(j, in, name);
    if (!use_stdin) fclose(in);
    return st;
}

CvStatus cv_score(const CvScoreConfig *cfg, const CvScoreSink *sink, const CvHooks *h,
                  CvScoreResult *res, CvError *err) {
    memset(res, 0, sizeof *res);
    if (cfg->threads < 0 || cfg->threads > CV_PARFOR_MAX_WORKERS)
        return cv_error_set(err, CV_ERR_INVALID, "score: threads must be in 0..%d, got %d",
                            CV_PARFOR_MAX_WORKERS, cfg->threads);
    if (cfg->column && reads_records(cfg))
        return cv_error_set(err, CV_ERR_INVALID, "score: a column is read from CSV input, not %s",
                            cv_molin_format_name(cfg->format));
    ScoreJob *j = calloc(1, sizeof *j);
    if (!j) return cv_error_set(err, CV_ERR_NOMEM, "score: out of memory");
    j->sink = sink;
    j->h = h;
    j->res = res;
    j->err = err;
    j->threads = cfg->threads; /* 0: every CPU (cv_parallel_for) */
    j->total = cfg->smiles ? cfg->n_smiles : 0;
    CvStatus st = read_input(j, cfg);
    if (!st && j->n) st = flush(j);
    items_free(j);
    free(j);
    return st;
}

void cv_score_write_begin(CvRows *t, FILE *fp, CvRowsFormat format, int digits) {
    cv_rows_begin(t, fp, format, CV_SCORE_COLUMNS, "score");
    t->digits = digits;
}

void cv_score_write(CvRows *t, const CvScoreRow *rows, size_t n) {
    for (const CvScoreRow *r = rows; r < rows + n; r++) {
        /* a molecule-file record by its name; an unnamed SMILES by itself */
        int named = r->name && (r->name[0] || r->molblock);
        cv_row_text(t, "input", named ? r->name : r->input);
        if (named) cv_row_name(t, r->name);
        cv_row_flag(t, "valid", r->valid);
        cv_row_smiles(t, "canonical_smiles", r->valid ? r->canonical : "");
        double nan = 0.0 / 0.0;
        cv_row_real_or_none(t, "mw", r->valid ? r->scores.mw : nan);
        cv_row_real_or_none(t, "logp", r->valid ? r->scores.logp : nan);
        cv_row_real_or_none(t, "qed", r->valid ? r->scores.qed : nan);
        cv_row_real_or_none(t, "sa", r->valid ? r->scores.sa : nan);
        cv_row_real_or_none(t, "penalized_logp", r->valid ? r->scores.penalized_logp : nan);
        cv_row_end(t);
    }
}
