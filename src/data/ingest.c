/* ingest.c — CSV → dataset (see include/chemvae/data/ingest.h for the contract).
 *
 * Flow: csvin streams records into a batch of up to BATCH rows (raw text and the needed
 * fields copied into one arena). A full batch is checked in parallel (cv_parallel_for: the
 * threads take rows one at a time) and each row gets its verdict (reject kind + reason, or
 * the canonical SMILES and properties); RDKit parsing and scoring dominate the cost — then
 * committed sequentially in input order: rejects are written to the reject CSV, duplicates
 * are counted against a hash set of the accepted canonical SMILES, the rest are appended to
 * the accepted pool. Committing in order keeps line order, first-occurrence-wins dedup and
 * the output bytes independent of the thread count.
 *
 * Memory: one batch (BATCH rows), the accepted SMILES pool + offsets, the accepted
 * properties (N, P) and the dedup table; the CSV reader itself is constant in rows.
 * At the end the accepted pool goes through cv_dataset_build (split, vocabulary from the
 * train split, token ids, normalization). */
#include "chemvae/data/ingest.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "chemvae/chem/chem.h"
#include "chemvae/data/csvin.h"
#include "chemvae/core/buf.h"
#include "chemvae/core/csvout.h"
#include "chemvae/core/fileio.h"
#include "chemvae/core/parfor.h"
#include "chemvae/core/progress.h"
#include "chemvae/data/tokenizer.h"

#define BATCH 2048
#define MAXP 32
#define MAXCOLS 4096
#define MAXMOLCOLS 256 /* columns of a molecule file: molecule, name, data items */

static const char *const REJECT_NAMES[INGEST_NKINDS] = {"csv",
                                                        "fields",
                                                        "missing_smiles",
                                                        "invalid_smiles",
                                                        "missing_property",
                                                        "non_numeric_property",
                                                        "too_long",
                                                        "untokenizable",
                                                        "unknown_token",
                                                        "chem_error",
                                                        "bad_split",
                                                        "record"};

const char *cv_ingest_reject_name(IngestReject kind) {
    return (unsigned)kind < INGEST_NKINDS ? REJECT_NAMES[kind] : "unknown";
}

/* Computable properties: option name, stored property name. */
enum { C_LOGP, C_QED, C_SA, C_MW, C_PLOGP, C_N };
static const char *const COMPUTE_OPT[C_N] = {"logp", "qed", "sa", "mw", "plogp"};
static const char *const COMPUTE_NAME[C_N] = {"logP", "qed", "SAS", "MW", "penalized_logP"};
/* Header names recognised for the three default properties. */
static const char *const DEFAULT_ALIASES[3][3] = {
    {"logp", NULL, NULL}, {"qed", NULL, NULL}, {"sas", "sa", "sa_score"}};

typedef struct {
    size_t line;
    size_t raw_off, raw_len;
    const char *csv_error; /* static string from csvin, or NULL */
    size_t nfields;
    size_t smi_off, smi_len;
    size_t prop_off[MAXP], prop_len[MAXP];
    size_t split_off, split_len;
    size_t record; /* a molecule file's record number; 0 for a CSV row */
    /* verdict */
    int kind; /* -1 = good */
    char reason[256];
    char *canon; /* malloc'd when good */
    float props[MAXP];
    uint8_t split;   /* CV_SPLIT_* from the split column */
    int std_changed; /* standardization changed the canonical SMILES */
} Row;

typedef struct {
    const IngestOptions *opt;
    const char *path;
    CvError *err;
    CvStatus fatal;
    /* columns */
    int header_done;
    int extra; /* reading one of opt->train_files: every row is train */
    size_t ncols, smi_col;
    MolinFormat format;    /* of the file being read */
    int molblock;          /* the SMILES column is an SDF record's molblock */
    char *hdr[MAXMOLCOLS]; /* a molecule file's column names (molin_header) */
    size_t nhdr;
    const char *fields[MAXMOLCOLS]; /* a molecule-file record as fields (on_molrecord) */
    size_t lens[MAXMOLCOLS];
    long split_col; /* -1 = none */
    size_t nread, read_col[MAXP];
    size_t ncomp;
    int comp_kind[MAXP];
    size_t P;
    char *names[MAXP];
    /* batch */
    Row *rows;
    size_t nrows;
    CvBuf arena;
    /* accepted */
    CvBuf pool;
    size_t *off;
    float *props;
    uint8_t *splits;
    size_t nacc, acc_cap;
    /* dedup: open addressing, slot = accepted index + 1 */
    uint32_t *slots;
    size_t nslots;
    /* outputs */
    CvAtomicFile rej;
    int rej_open;
    IngestStats st;
    int nthreads;
} Ingest;

static void trim(const char **s, size_t *n) {
    while (*n && isspace((unsigned char)(*s)[0])) (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
}

/* Case-insensitive compare of s[0..n) with a NUL-terminated name. */
/* The next item of the comma-separated list at *p, trimmed (*len may be 0); advances *p
 * past the item and its comma. */
static const char *list_next(const char **p, size_t *len) {
    size_t n = strcspn(*p, ",");
    const char *item = *p;
    *len = n;
    trim(&item, len);
    *p += n + ((*p)[n] == ',');
    return item;
}

static int name_eq(const char *s, size_t n, const char *name) {
    return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

/* Finds the header column named `name` (case-insensitive); returns index or -1. */
static long find_col(const CsvinRecord *h, const char *name, size_t n) {
    for (size_t i = 0; i < h->nfields; i++) {
        const char *f = h->fields[i];
        size_t fl = h->lens[i];
        trim(&f, &fl);
        if (fl == n && strncasecmp(f, name, n) == 0) return (long)i;
    }
    return -1;
}

static void list_columns(const CsvinRecord *h, char *out, size_t cap) {
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < h->nfields && pos + 1 < cap; i++) {
        const char *f = h->fields[i];
        size_t fl = h->lens[i];
        trim(&f, &fl);
        int k =
            snprintf(out + pos, cap - pos, "%s%.*s", i ? ", " : "", (int)(fl > 40 ? 40 : fl), f);
        if (k < 0) break;
        pos += (size_t)k;
    }
}

static CvStatus add_name(Ingest *g, const char *s, size_t n) {
    if (g->P >= MAXP) return cv_error_set(g->err, CV_ERR_INVALID, "more than %d properties", MAXP);
    char *c = strndup(s, n);
    if (!c) return cv_error_set(g->err, CV_ERR_NOMEM, "out of memory");
    g->names[g->P++] = c;
    return CV_OK;
}

/* What every header needs: valid CSV, not too wide, the SMILES column (g->ncols, smi_col);
 * cols[cap] gets the column list for messages. */
static CvStatus header_basics(Ingest *g, const CsvinRecord *h, char *cols, size_t cap) {
    list_columns(h, cols, cap);
    if (h->error)
        return cv_error_set(g->err, CV_ERR_PARSE, "%s:%zu: header is not valid CSV (%s)", g->path,
                            h->line, h->error);
    if (h->nfields > MAXCOLS)
        return cv_error_set(g->err, CV_ERR_PARSE, "%s:%zu: header has %zu columns (max %d)",
                            g->path, h->line, h->nfields, MAXCOLS);
    g->ncols = h->nfields;
    const char *sc = g->opt->smiles_col       ? g->opt->smiles_col
                     : g->format == MOLIN_SDF ? "molblock"
                                              : "smiles";
    long c = find_col(h, sc, strlen(sc));
    if (c < 0)
        return cv_error_set(g->err, CV_ERR_PARSE,
                            "%s:%zu: no column named '%s' in the header (columns: %s); choose "
                            "one with --smiles-col",
                            g->path, h->line, sc, cols);
    g->smi_col = (size_t)c;
    g->molblock = g->format == MOLIN_SDF && c == 0;
    if (g->molblock && g->opt->no_canonical)
        return cv_error_set(g->err, CV_ERR_INVALID,
                            "%s: --no-canonical keeps SMILES as written, and an SDF's molblocks "
                            "are none (--smiles-col can name a data item holding SMILES)",
                            g->path);
    return CV_OK;
}

/* The property columns to read: those --props names, else the columns of the default
 * properties found by their aliases (have_default[k] set for each found). */
static CvStatus choose_read_columns(Ingest *g, const CsvinRecord *h, const char *cols,
                                    int have_default[3]) {
    const IngestOptions *o = g->opt;
    CvStatus st;
    if (!o->props) {
        for (int k = 0; k < 3; k++)
            for (int a = 0; a < 3 && DEFAULT_ALIASES[k][a] && !have_default[k]; a++) {
                long pc = find_col(h, DEFAULT_ALIASES[k][a], strlen(DEFAULT_ALIASES[k][a]));
                if (pc < 0) continue;
                have_default[k] = 1;
                g->read_col[g->nread++] = (size_t)pc;
                if ((st = add_name(g, COMPUTE_NAME[k], strlen(COMPUTE_NAME[k])))) return st;
            }
        return CV_OK;
    }
    for (const char *p = o->props; *p;) {
        size_t nl;
        const char *nm = list_next(&p, &nl);
        if (!nl) continue;
        long pc = find_col(h, nm, nl);
        if (pc < 0)
            return cv_error_set(g->err, CV_ERR_PARSE,
                                "%s:%zu: no property column '%.*s' in the header (columns: %s)",
                                g->path, h->line, (int)nl, nm, cols);
        if ((size_t)pc == g->smi_col)
            return cv_error_set(g->err, CV_ERR_PARSE, "'%.*s' is the SMILES column", (int)nl, nm);
        if (g->P >= MAXP) return cv_error_set(g->err, CV_ERR_INVALID, "too many properties");
        g->read_col[g->nread++] = (size_t)pc;
        if ((st = add_name(g, h->fields[pc], h->lens[pc]))) return st;
        const char *f = g->names[g->P - 1];
        size_t fl = strlen(f);
        trim(&f, &fl);
        memmove(g->names[g->P - 1], f, fl);
        g->names[g->P - 1][fl] = '\0';
    }
    return CV_OK;
}

/* The properties to compute: those --compute names, else (without --props) the default
 * properties not read; a property both read and computed is refused. */
static CvStatus choose_computed(Ingest *g, const int have_default[3]) {
    const IngestOptions *o = g->opt;
    if (!o->compute) {
        if (!o->props)
            for (int k = 0; k < 3; k++)
                if (!have_default[k]) g->comp_kind[g->ncomp++] = k;
    } else {
        for (const char *p = o->compute; *p;) {
            size_t nl;
            const char *nm = list_next(&p, &nl);
            if (!nl) continue;
            int k = 0;
            while (k < C_N && !name_eq(nm, nl, COMPUTE_OPT[k])) k++;
            if (k == C_N)
                return cv_error_set(g->err, CV_ERR_PARSE,
                                    "unknown property '%.*s' for --compute (known: logp, qed, sa, "
                                    "mw, plogp)",
                                    (int)nl, nm);
            g->comp_kind[g->ncomp++] = k;
            if (g->ncomp + g->nread > MAXP)
                return cv_error_set(g->err, CV_ERR_INVALID, "too many properties");
        }
    }
    CvStatus st;
    for (size_t i = 0; i < g->ncomp; i++) {
        const char *nm = COMPUTE_NAME[g->comp_kind[i]];
        for (size_t j = 0; j < g->P; j++)
            if (strcasecmp(g->names[j], nm) == 0)
                return cv_error_set(g->err, CV_ERR_PARSE,
                                    "property '%s' is both read from the file and computed", nm);
        if ((st = add_name(g, nm, strlen(nm)))) return st;
    }
    return CV_OK;
}

/* The first input's header: the split column, the property columns and the computed
 * properties. */
static CvStatus setup_columns(Ingest *g, const CsvinRecord *h, const char *cols) {
    const IngestOptions *o = g->opt;
    if (o->split_col) {
        g->split_col = find_col(h, o->split_col, strlen(o->split_col));
        if (g->split_col < 0)
            return cv_error_set(g->err, CV_ERR_PARSE,
                                "%s:%zu: no split column '%s' in the header (columns: %s)", g->path,
                                h->line, o->split_col, cols);
    }
    int have_default[3] = {0, 0, 0};
    CvStatus st = choose_read_columns(g, h, cols, have_default);
    if (!st) st = choose_computed(g, have_default);
    if (st) return st;
    g->st.P_read = g->nread;
    g->st.P_computed = g->ncomp;
    return CV_OK;
}

/* The header of a train-only file: the already chosen property columns, by name (a default
 * property also by its aliases). */
static CvStatus match_columns(Ingest *g, const CsvinRecord *h, const char *cols) {
    for (size_t k = 0; k < g->nread; k++) {
        const char *nm = g->names[k];
        long pc = find_col(h, nm, strlen(nm));
        for (int d = 0; d < 3 && pc < 0 && !g->opt->props; d++)
            if (!strcmp(nm, COMPUTE_NAME[d]))
                for (int a = 0; a < 3 && DEFAULT_ALIASES[d][a] && pc < 0; a++)
                    pc = find_col(h, DEFAULT_ALIASES[d][a], strlen(DEFAULT_ALIASES[d][a]));
        if (pc < 0)
            return cv_error_set(g->err, CV_ERR_PARSE,
                                "%s:%zu: no property column '%s' (read from the input) in the "
                                "header (columns: %s)",
                                g->path, h->line, nm, cols);
        g->read_col[k] = (size_t)pc;
    }
    return CV_OK;
}

/* Reads a header: what every header needs, then the first input's choice of columns
 * (setup_columns) or, for a train-only file (g->extra), the same columns found again
 * (match_columns). */
static CvStatus read_header(Ingest *g, const CsvinRecord *h) {
    char cols[512];
    CvStatus st = header_basics(g, h, cols, sizeof cols);
    if (st) return st;
    g->split_col = -1;
    return g->extra ? match_columns(g, h, cols) : setup_columns(g, h, cols);
}

/* Gives the row its reject kind and reason. */
__attribute__((format(printf, 3, 4))) static void reject(Row *row, int kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    row->kind = kind;
    vsnprintf(row->reason, sizeof row->reason, fmt, ap);
    va_end(ap);
}
#define REJECT(row, k, ...)                                                                        \
    do {                                                                                           \
        reject((row), (k), __VA_ARGS__);                                                           \
        return;                                                                                    \
    } while (0)

static float score_value(const ChemScores *s, int kind) {
    switch (kind) {
    case C_LOGP:
        return (float)s->logp;
    case C_QED:
        return (float)s->qed;
    case C_SA:
        return (float)s->sa;
    case C_MW:
        return (float)s->mw;
    default:
        return (float)s->penalized_logp;
    }
}

/* The row's molecule (read from a SMILES or a molblock), standardized when asked (then
 * row->std_changed says whether that changed its canonical SMILES); NULL when the row is
 * rejected. */
static ChemMol *row_mol(const Ingest *g, Row *row, const char *smi) {
    ChemMol *mol = cv_chem_mol_from_text(smi, g->molblock);
    if (!mol && g->molblock)
        reject(row, INGEST_BAD_SMILES, "record %zu: RDKit cannot read its molblock", row->record);
    else if (!mol) reject(row, INGEST_BAD_SMILES, "RDKit cannot parse SMILES '%.150s'", smi);
    if (!mol || !(g->opt->standardize || g->opt->tautomer)) return mol;
    ChemMol *std = cv_chem_mol_standardize(mol, g->opt->tautomer ? CHEM_STD_TAUTOMER : 0);
    char *before = std ? cv_chem_mol_canonical(mol) : NULL;
    char *after = before ? cv_chem_mol_canonical(std) : NULL;
    if (!after) {
        cv_chem_mol_free(std);
        std = NULL;
        reject(row, INGEST_CHEM_ERROR, "RDKit cannot standardize '%.150s'",
               g->molblock ? "the molblock" : smi);
    }
    row->std_changed = after && strcmp(before, after) != 0;
    free(before);
    free(after);
    cv_chem_mol_free(mol);
    return std;
}

/* Fills the verdict of one row. Thread-safe: touches only *row and its arena bytes. */
static void check_row(const Ingest *g, Row *row, char *arena) {
    const IngestOptions *o = g->opt;
    row->kind = -1;
    row->canon = NULL;
    row->std_changed = 0;
    if (row->csv_error && row->record)
        REJECT(row, INGEST_BAD_RECORD, "record %zu: %s", row->record, row->csv_error);
    if (row->csv_error) REJECT(row, INGEST_BAD_CSV, "not valid CSV: %s", row->csv_error);
    if (row->nfields != g->ncols)
        REJECT(row, INGEST_BAD_FIELDS, "%zu fields, the header has %zu", row->nfields, g->ncols);
    if (g->split_col >= 0) {
        const char *f = arena + row->split_off;
        size_t fl = row->split_len;
        trim(&f, &fl);
        if (name_eq(f, fl, "train") || name_eq(f, fl, "training")) row->split = CV_SPLIT_TRAIN;
        else if (name_eq(f, fl, "valid") || name_eq(f, fl, "validation") || name_eq(f, fl, "val") ||
                 name_eq(f, fl, "dev"))
            row->split = CV_SPLIT_VALID;
        else if (fl >= 4 && strncasecmp(f, "test", 4) == 0) row->split = CV_SPLIT_TEST;
        else
            REJECT(row, INGEST_BAD_SPLIT, "split '%.*s' is not train, valid or test",
                   (int)(fl > 40 ? 40 : fl), f);
    }
    const char *smi = arena + row->smi_off;
    size_t n = row->smi_len;
    if (!g->molblock) trim(&smi, &n);
    if (n == 0) REJECT(row, INGEST_NO_SMILES, "empty SMILES");
    for (size_t i = 0; i < n && !g->molblock; i++) {
        unsigned char ch = (unsigned char)smi[i];
        if (ch <= ' ' || ch >= 0x7f)
            REJECT(row, INGEST_BAD_SMILES, "SMILES has %s byte 0x%02x at offset %zu",
                   ch <= ' ' ? "a whitespace or control" : "a non-ASCII", ch, i);
    }
    ((char *)smi)[n] = '\0'; /* the row's own arena bytes */
    for (size_t k = 0; k < g->nread; k++) {
        const char *f = arena + row->prop_off[k];
        size_t fl = row->prop_len[k];
        trim(&f, &fl);
        if (fl == 0) REJECT(row, INGEST_NO_PROP, "missing %s", g->names[k]);
        char num[64], *end;
        if (fl >= sizeof num)
            REJECT(row, INGEST_BAD_PROP, "%s is not a number: '%.40s...'", g->names[k], f);
        memcpy(num, f, fl);
        num[fl] = '\0';
        double v = strtod(num, &end);
        if (end != num + fl || !isfinite(v) || !isfinite((float)v))
            REJECT(row, INGEST_BAD_PROP, "%s is not a finite number: '%s'", g->names[k], num);
        row->props[k] = (float)v;
    }
    ChemMol *mol = row_mol(g, row, smi);
    if (!mol) return;
    char *canon = o->no_canonical ? strdup(smi) : cv_chem_mol_canonical(mol);
    if (g->ncomp) {
        ChemScores sc;
        CvError e;
        CvStatus cs = cv_chem_mol_scores(mol, &sc, &e);
        if (cs) {
            free(canon);
            cv_chem_mol_free(mol);
            REJECT(row, INGEST_CHEM_ERROR, "%.250s", e.msg);
        }
        for (size_t k = 0; k < g->ncomp; k++)
            row->props[g->nread + k] = score_value(&sc, g->comp_kind[k]);
    }
    cv_chem_mol_free(mol);
    if (!canon) REJECT(row, INGEST_CHEM_ERROR, "out of memory");
    size_t cl = strlen(canon), ntok, T = o->ds.T;
    CvError e;
    if (cv_tokenizer_split(canon, cl, NULL, 0, &ntok, &e)) {
        free(canon);
        REJECT(row, INGEST_UNTOKENIZABLE, "%.250s", e.msg);
    }
    if (ntok + 1 > T) {
        free(canon);
        REJECT(row, INGEST_TOO_LONG, "%zu tokens, max %zu (max length %zu counts the end token)",
               ntok, T - 1, T);
    }
    if (o->vocab && !o->unk_ok) {
        for (size_t pos = 0; pos < cl;) {
            size_t k = cv_tokenizer_next(canon + pos, cl - pos);
            if (cv_vocab_lookup(o->vocab, canon + pos, k) < 0) {
                row->kind = INGEST_UNKNOWN_TOKEN;
                snprintf(row->reason, sizeof row->reason,
                         "token '%.*s' of '%.120s' is not in the vocabulary", (int)k, canon + pos,
                         canon);
                free(canon);
                return;
            }
            pos += k;
        }
    }
    row->canon = canon;
}

static void check_rows(void *ctx, size_t b0, size_t b1, int worker) {
    (void)worker;
    Ingest *g = ctx;
    for (size_t i = b0; i < b1; i++) check_row(g, &g->rows[i], g->arena.p);
}

static CvStatus write_reject(Ingest *g, const Row *row) {
    if (!g->rej_open) return CV_OK;
    FILE *fp = g->rej.fp;
    const char *raw = g->arena.p + row->raw_off;
    size_t rl = row->raw_len;
    while (rl && (raw[rl - 1] == '\n' || raw[rl - 1] == '\r')) rl--;
    char reason[sizeof row->reason + 256];
    /* rows of a train-only file name it, so every reject line points into one file */
    snprintf(reason, sizeof reason, "%s%s%s", g->extra ? g->path : "", g->extra ? ": " : "",
             row->reason);
    if (fprintf(fp, "%zu,%s,", row->line, REJECT_NAMES[row->kind]) < 0 ||
        cv_csv_field(fp, reason, strlen(reason), CV_CSV_ESCAPE_BYTES) || fputc(',', fp) == EOF ||
        cv_csv_field(fp, raw, rl, CV_CSV_ESCAPE_BYTES) || fputc('\n', fp) == EOF)
        return cv_error_set(g->err, CV_ERR_IO, "%s: write failed", g->opt->reject_path);
    return CV_OK;
}

static uint64_t str_hash(const char *s) {
    return cv_fnv1a64(CV_FNV64_INIT, s, strlen(s));
}

/* Returns 1 if canon is already accepted. */
static int seen_before(const Ingest *g, const char *canon, uint64_t h) {
    size_t mask = g->nslots - 1;
    for (size_t i = (size_t)h & mask; g->slots[i]; i = (i + 1) & mask)
        if (strcmp(g->pool.p + g->off[g->slots[i] - 1], canon) == 0) return 1;
    return 0;
}

static CvStatus grow_dedup(Ingest *g) {
    size_t ns = g->nslots ? 2 * g->nslots : 1 << 16;
    uint32_t *slots = calloc(ns, sizeof *slots);
    if (!slots) return cv_error_set(g->err, CV_ERR_NOMEM, "out of memory (dedup table)");
    for (size_t k = 0; k < g->nacc; k++) {
        size_t i = (size_t)str_hash(g->pool.p + g->off[k]) & (ns - 1);
        while (slots[i]) i = (i + 1) & (ns - 1);
        slots[i] = (uint32_t)k + 1;
    }
    free(g->slots);
    g->slots = slots;
    g->nslots = ns;
    return CV_OK;
}

static CvStatus accept_row(Ingest *g, Row *row, uint64_t h) {
    if (g->nacc >= UINT32_MAX - 1) return cv_error_set(g->err, CV_ERR_INVALID, "too many rows");
    if (g->nacc == g->acc_cap) {
        size_t nc = g->acc_cap ? 2 * g->acc_cap : 4096;
        size_t *no = realloc(g->off, nc * sizeof *no);
        if (no) g->off = no;
        float *np = realloc(g->props, nc * (g->P ? g->P : 1) * sizeof *np);
        if (np) g->props = np;
        uint8_t *ns = realloc(g->splits, nc);
        if (ns) g->splits = ns;
        if (!no || !np || !ns)
            return cv_error_set(g->err, CV_ERR_NOMEM, "out of memory (%zu rows)", g->nacc);
        g->acc_cap = nc;
    }
    g->off[g->nacc] = g->pool.len;
    if (cv_buf_append(&g->pool, row->canon, strlen(row->canon) + 1))
        return cv_error_set(g->err, CV_ERR_NOMEM, "out of memory (%zu rows)", g->nacc);
    memcpy(g->props + g->nacc * g->P, row->props, g->P * sizeof(float));
    g->splits[g->nacc] = row->split;
    g->nacc++;
    if (2 * g->nacc >= g->nslots) return grow_dedup(g);
    size_t mask = g->nslots - 1, i = (size_t)h & mask;
    while (g->slots[i]) i = (i + 1) & mask;
    g->slots[i] = (uint32_t)g->nacc;
    return CV_OK;
}

/* Checks the batch in parallel, then commits it in order. */
static CvStatus run_batch(Ingest *g) {
    cv_parallel_for(g->nrows, g->nthreads, 1, check_rows, g);

    CvStatus st = CV_OK;
    for (size_t i = 0; i < g->nrows; i++) {
        Row *row = &g->rows[i];
        g->st.rows++;
        if (st) {
            free(row->canon);
            continue;
        }
        if (row->kind >= 0) {
            g->st.rejected++;
            g->st.by_kind[row->kind]++;
            st = write_reject(g, row);
            continue;
        }
        g->st.standardized += (size_t)row->std_changed;
        uint64_t h = str_hash(row->canon);
        if (g->nslots && seen_before(g, row->canon, h)) {
            g->st.duplicates++;
        } else {
            if (!g->nslots && (st = grow_dedup(g))) goto next;
            st = accept_row(g, row, h);
            if (!st) g->st.accepted++;
            if (!st && g->extra) g->st.train_extra++;
        }
    next:
        free(row->canon);
        row->canon = NULL;
    }
    g->nrows = 0;
    g->arena.len = 0;
    if (!st && g->opt->on_batch && g->opt->on_batch(g->opt->user, g->st.rows))
        st = cv_error_set(g->err, CV_ERR_INTERRUPTED, "%s: interrupted", g->path);
    return st;
}

/* Reads a header: the input's columns, or a train-only file's. */
static int on_header(Ingest *g, const CsvinRecord *rec) {
    g->fatal = read_header(g, rec);
    g->header_done = 1;
    return g->fatal != CV_OK;
}

/* Adds a record to the batch (its raw text and the needed fields copied to the arena; a
 * molecule file's record number) and checks the batch when it is full. */
static int add_record(Ingest *g, const CsvinRecord *rec, size_t record) {
    Row *row = &g->rows[g->nrows];
    row->record = record;
    row->line = rec->line;
    row->csv_error = rec->error;
    row->nfields = rec->nfields;
    row->split = CV_SPLIT_TRAIN; /* train-only files; the split column overrides it */
    row->raw_off = g->arena.len;
    row->raw_len = rec->raw_len;
    if (cv_buf_append(&g->arena, rec->raw, rec->raw_len) || cv_buf_append(&g->arena, "", 1))
        goto nomem;
    row->smi_len = row->smi_off = 0;
    if (!rec->error && rec->nfields == g->ncols) {
        row->smi_off = g->arena.len;
        row->smi_len = rec->lens[g->smi_col];
        if (cv_buf_append(&g->arena, rec->fields[g->smi_col], row->smi_len) ||
            cv_buf_append(&g->arena, "", 1))
            goto nomem;
        if (g->split_col >= 0) {
            size_t c = (size_t)g->split_col;
            row->split_off = g->arena.len;
            row->split_len = rec->lens[c];
            if (cv_buf_append(&g->arena, rec->fields[c], rec->lens[c]) ||
                cv_buf_append(&g->arena, "", 1))
                goto nomem;
        }
        for (size_t k = 0; k < g->nread; k++) {
            size_t c = g->read_col[k];
            row->prop_off[k] = g->arena.len;
            row->prop_len[k] = rec->lens[c];
            if (cv_buf_append(&g->arena, rec->fields[c], rec->lens[c]) ||
                cv_buf_append(&g->arena, "", 1))
                goto nomem;
        }
    }
    if (++g->nrows == BATCH) g->fatal = run_batch(g);
    return g->fatal != CV_OK;
nomem:
    g->fatal = cv_error_set(g->err, CV_ERR_NOMEM, "out of memory at line %zu", rec->line);
    return 1;
}

static int on_record(const CsvinRecord *rec, void *user) {
    Ingest *g = user;
    return g->header_done ? add_record(g, rec, 0) : on_header(g, rec);
}

/* ---- molecule files: their records as rows of named columns ---- */

static void header_free(Ingest *g) {
    for (size_t k = 0; k < g->nhdr; k++) free(g->hdr[k]);
    g->nhdr = 0;
}

/* Adds a column name unless the header has it (any case). */
static int header_add(Ingest *g, const char *name, size_t n) {
    for (size_t k = 0; k < g->nhdr; k++)
        if (name_eq(name, n, g->hdr[k])) return 0;
    if (g->nhdr == MAXMOLCOLS) return 0; /* more data items than that: the first ones */
    if (!(g->hdr[g->nhdr] = strndup(name, n))) return -1;
    g->nhdr++;
    return 0;
}

/* A molecule file's header: a SMILES file's is smiles,name; an SDF's molblock, name, the
 * columns the options name, the properties read from the input (for a train-only file) and
 * the first record's data items. */
static int molin_header(Ingest *g, const MolinRecord *first) {
    const IngestOptions *o = g->opt;
    int sdf = g->format == MOLIN_SDF;
    int bad = header_add(g, sdf ? "molblock" : "smiles", sdf ? 8 : 6) || header_add(g, "name", 4);
    const char *named[] = {o->smiles_col, o->split_col};
    for (size_t k = 0; k < 2 && !bad && sdf; k++)
        if (named[k]) bad = header_add(g, named[k], strlen(named[k]));
    for (const char *p = o->props && sdf ? o->props : ""; *p && !bad;) {
        size_t nl;
        const char *nm = list_next(&p, &nl);
        if (nl) bad = header_add(g, nm, nl);
    }
    for (size_t k = 0; sdf && g->extra && k < g->nread && !bad; k++)
        bad = header_add(g, g->names[k], strlen(g->names[k]));
    for (size_t k = 0; k < first->nitems && !bad && sdf; k++)
        bad = header_add(g, first->tags[k], strlen(first->tags[k]));
    if (bad) g->fatal = cv_error_set(g->err, CV_ERR_NOMEM, "out of memory");
    return bad;
}

/* A record's value of column k: the molecule, the name, or the data item of that name. */
static const char *molin_field(const Ingest *g, const MolinRecord *rec, size_t k) {
    if (k < 2) return k ? rec->name : rec->mol;
    for (size_t i = 0; i < rec->nitems; i++)
        if (!strcasecmp(rec->tags[i], g->hdr[k])) return rec->values[i];
    return "";
}

static int on_molrecord(const MolinRecord *rec, void *user) {
    Ingest *g = user;
    CsvinRecord r = {.nfields = g->nhdr,
                     .fields = g->fields,
                     .lens = g->lens,
                     .line = rec->line,
                     .raw = rec->first,
                     .raw_len = strlen(rec->first)};
    if (!g->header_done) {
        if (molin_header(g, rec)) return 1;
        r.nfields = g->nhdr;
        r.fields = (const char *const *)g->hdr;
        for (size_t k = 0; k < g->nhdr; k++) g->lens[k] = strlen(g->hdr[k]);
        if (on_header(g, &r)) return 1;
        r.fields = g->fields;
    }
    for (size_t k = 0; k < g->nhdr; k++) {
        g->fields[k] = molin_field(g, rec, k);
        g->lens[k] = strlen(g->fields[k]);
    }
    r.error = rec->error;
    if (rec->error) r.nfields = 0;
    return add_record(g, &r, rec->number);
}

/* Streams one file through on_record or on_molrecord (its header read afresh; extra: a
 * train-only file) and checks its last partial batch. */
static CvStatus read_file(Ingest *g, const char *path, int extra) {
    CsvinOptions co = {g->opt->delim, 0, 0, 0};
    g->path = path;
    g->extra = extra;
    g->header_done = 0;
    g->format = cv_molin_format_of(path, extra ? MOLIN_AUTO : g->opt->format);
    g->molblock = 0;
    header_free(g);
    MolinOptions mo = {g->format, 0};
    CvStatus st = g->format == MOLIN_CSV ? cv_csvin_read_file(path, &co, on_record, g, g->err)
                                         : cv_molin_read_file(path, &mo, on_molrecord, g, g->err);
    if (g->fatal) return g->fatal;
    if (st) return st;
    if (!g->header_done)
        return cv_error_set(g->err, CV_ERR_EMPTY, "%s: empty file (%s)", path,
                            g->format == MOLIN_CSV ? "no header line" : "no molecule");
    return g->nrows ? run_batch(g) : CV_OK;
}

void cv_ingest_options_default(IngestOptions *o) {
    memset(o, 0, sizeof *o);
    cv_dataset_options_default(&o->ds);
}

static void ingest_free(Ingest *g) {
    for (size_t i = 0; i < g->nrows; i++) free(g->rows[i].canon);
    free(g->rows);
    free(g->arena.p);
    free(g->pool.p);
    free(g->off);
    free(g->props);
    free(g->splits);
    free(g->slots);
    for (size_t k = 0; k < g->P; k++) free(g->names[k]);
    header_free(g);
    if (g->rej_open) cv_atomic_abort(&g->rej);
}

CvStatus cv_ingest_csv(const char *path, const IngestOptions *opt, CvDataset *ds,
                       IngestStats *stats, CvError *err) {
    double t0 = cv_now();
    Ingest g;
    memset(&g, 0, sizeof g);
    memset(ds, 0, sizeof *ds);
    if (stats) memset(stats, 0, sizeof *stats);
    const char **ptrs = NULL;
    g.opt = opt;
    g.split_col = -1;
    g.path = path;
    g.err = err;
    g.nthreads = opt->threads > 64 ? 64 : opt->threads; /* 0: every CPU (cv_parallel_for) */
    CvStatus st;
    if (opt->ds.T < 2) return cv_error_set(err, CV_ERR_INVALID, "max length must be >= 2");
    if (opt->no_canonical && (opt->standardize || opt->tautomer))
        return cv_error_set(err, CV_ERR_INVALID,
                            "standardization writes canonical SMILES: it cannot keep them as "
                            "written (--no-canonical)");
    g.rows = calloc(BATCH, sizeof *g.rows);
    if (!g.rows) return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    if (opt->reject_path) {
        if ((st = cv_mkdir_parents(opt->reject_path, err)) ||
            (st = cv_atomic_open(&g.rej, opt->reject_path, err)))
            goto fail;
        g.rej_open = 1;
        if (fputs("line,kind,reason,text\n", g.rej.fp) == EOF) {
            st = cv_error_set(err, CV_ERR_IO, "%s: write failed", opt->reject_path);
            goto fail;
        }
    }
    if (opt->on_batch && opt->on_batch(opt->user, 0)) {
        st = cv_error_set(err, CV_ERR_INTERRUPTED, "%s: interrupted", path);
        goto fail;
    }
    if ((st = read_file(&g, path, 0))) goto fail;
    size_t n_input = g.nacc;
    int input_split_col = g.split_col >= 0;
    for (size_t f = 0; f < opt->n_train_files; f++)
        if ((st = read_file(&g, opt->train_files[f], 1))) goto fail;
    g.path = path;
    if (n_input == 0 && g.nacc) {
        st = cv_error_set(err, CV_ERR_EMPTY,
                          "%s: no usable rows (its rows make the valid and "
                          "test splits; the train-only files cannot)",
                          path);
        goto fail;
    }
    if (g.rej_open) {
        g.rej_open = 0;
        if ((st = cv_atomic_commit(&g.rej, err))) goto fail;
    }
    g.st.seconds = cv_now() - t0;
    if (stats) *stats = g.st;
    if (g.nacc == 0) {
        int top = 0;
        for (int k = 1; k < INGEST_NKINDS; k++)
            if (g.st.by_kind[k] > g.st.by_kind[top]) top = k;
        if (g.st.rows == 0)
            st = cv_error_set(err, CV_ERR_EMPTY, "%s: no data rows after the header", path);
        else
            st = cv_error_set(err, CV_ERR_EMPTY,
                              "%s: no usable rows: %zu rows, %zu rejected (most: %zu %s), %zu "
                              "duplicates",
                              path, g.st.rows, g.st.rejected, g.st.by_kind[top], REJECT_NAMES[top],
                              g.st.duplicates);
        goto fail;
    }
    ptrs = malloc(g.nacc * sizeof *ptrs);
    if (!ptrs) {
        st = cv_error_set(err, CV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < g.nacc; i++) ptrs[i] = g.pool.p + g.off[i];
    CvDatasetOptions dso = opt->ds;
    dso.unk_ok = opt->unk_ok;
    dso.split = input_split_col ? g.splits : NULL;
    dso.n_shuffled = n_input;
    st = cv_dataset_build(ds, ptrs, g.nacc, g.props, g.P, (const char *const *)g.names, opt->vocab,
                          &dso, err);
    if (st) goto fail;
    g.st.seconds = cv_now() - t0;
    if (stats) *stats = g.st;
    free(ptrs);
    ingest_free(&g);
    return CV_OK;
fail:
    free(ptrs);
    ingest_free(&g);
    return st;
}
