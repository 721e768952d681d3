/* cmd_score.c — `chemvae score`: validity, canonical SMILES, MW, logP, QED, SA and
 * penalized logP of SMILES from the command line, a file or stdin, as CSV on stdout.
 *
 * Input: SMILES arguments; else --input FILE (or stdin), one SMILES per line, or with
 * --column NAME the column of that name of a CSV file (libcsv: quoted fields, embedded
 * commas and newlines). Surrounding whitespace of each value is dropped. Every input row
 * gives one output row, in input order; invalid rows keep valid=0 and empty scores.
 *
 * Flow: rows are gathered into batches of SCORE_BATCH, each batch is scored by
 * --threads workers (pthreads pulling row indices from an atomic counter; chem is
 * reentrant, see tests/test_chem_threads.c) and printed, then the batch is reused. Memory
 * stays bounded for any input size and the output order is the input order whatever the
 * thread count. Only unreadable input is an error (exit 1). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "chemvae/chem.h"
#include "cli.h"

#define SCORE_BATCH 2048
#define SCORE_MAX_THREADS 256

typedef struct {
    char *input;     /* trimmed input value (owned) */
    int valid;       /* 1 when scored */
    char *canonical; /* malloc'd canonical SMILES when valid */
    ChemScores s;
} ScoreRow;

typedef struct {
    ScoreRow rows[SCORE_BATCH];
    size_t n; /* rows in use */
    int threads;
    int digits;         /* decimals printed for the scores */
    atomic_size_t next; /* next row a worker takes */
    FILE *out;
} ScoreBatch;

static void usage(FILE *f) {
    fprintf(f, "usage: chemvae score [options] [SMILES ...]\n"
               "\n"
               "Scores molecules with RDKit: prints CSV on stdout with the columns\n"
               "  input,valid,canonical_smiles,mw,logp,qed,sa,penalized_logp\n"
               "(mw = average molecular weight, logp = Crippen logP, qed = QED, sa = Ertl SA\n"
               "score 1..10, penalized_logp = logp - sa - max(0, largest ring - 6)).\n"
               "Invalid SMILES give valid=0 and empty scores; rows keep the input order.\n"
               "\n"
               "SMILES come from the arguments, else from --input, else from stdin.\n"
               "  -i, --input FILE    read FILE ('-' = stdin): one SMILES per line, or a CSV\n"
               "                      file with --column\n"
               "  -c, --column NAME   the input is CSV; score the column named NAME\n"
               "  -t, --threads N     score with N threads (default 1)\n"
               "  -d, --digits N      decimals printed for the scores (default 6; 17 prints\n"
               "                      every double exactly)\n"
               "  -h, --help          this help\n");
}

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

static void score_row(ScoreRow *r) {
    ChemMol *mol = chem_mol_from_smiles(r->input);
    if (!mol) return;
    CvError err;
    if (chem_mol_scores(mol, &r->s, &err) == CV_OK) {
        r->canonical = chem_mol_canonical(mol);
        r->valid = r->canonical != NULL;
    } else {
        fprintf(stderr, "chemvae score: %s: %s\n", r->input, err.msg);
    }
    chem_mol_free(mol);
}

static void *score_worker(void *arg) {
    ScoreBatch *b = arg;
    for (size_t i; (i = atomic_fetch_add(&b->next, 1)) < b->n;) score_row(&b->rows[i]);
    return NULL;
}

/* Writes `s` as one CSV field (quoted when it holds a comma, quote, CR or LF). */
static void put_csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static CvStatus batch_flush(ScoreBatch *b, CvError *err) {
    pthread_t tids[SCORE_MAX_THREADS];
    int started = 0;
    atomic_store(&b->next, 0);
    for (int t = 1; t < b->threads && (size_t)t < b->n; t++) {
        if (pthread_create(&tids[started], NULL, score_worker, b) != 0) break;
        started++;
    }
    score_worker(b);
    for (int t = 0; t < started; t++) pthread_join(tids[t], NULL);
    for (size_t i = 0; i < b->n; i++) {
        ScoreRow *r = &b->rows[i];
        put_csv_field(b->out, r->input);
        if (r->valid) {
            fprintf(b->out, ",1,");
            put_csv_field(b->out, r->canonical);
            int d = b->digits;
            fprintf(b->out, ",%.*f,%.*f,%.*f,%.*f,%.*f\n", d, r->s.mw, d, r->s.logp, d, r->s.qed, d,
                    r->s.sa, d, r->s.penalized_logp);
        } else {
            fprintf(b->out, ",0,,,,,,\n");
        }
        free(r->input);
        free(r->canonical);
        memset(r, 0, sizeof *r);
    }
    b->n = 0;
    if (ferror(b->out)) return cv_error_set(err, CV_ERR_IO, "stdout: write failed");
    return CV_OK;
}

/* Takes `len` bytes at `s` as the next row (trimmed copy). */
static CvStatus batch_add(ScoreBatch *b, const char *s, size_t len, CvError *err) {
    char *in = dup_trimmed(s, len);
    if (!in) return cv_error_set(err, CV_ERR_NOMEM, "out of memory reading input");
    b->rows[b->n++].input = in;
    return b->n == SCORE_BATCH ? batch_flush(b, err) : CV_OK;
}

static CvStatus read_lines(FILE *in, const char *name, ScoreBatch *b, CvError *err) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    CvStatus st = CV_OK;
    while (st == CV_OK && (n = getline(&line, &cap, in)) >= 0) {
        /* A NUL byte ends the value: what follows cannot be part of a SMILES. */
        st = batch_add(b, line, strnlen(line, (size_t)n), err);
    }
    if (st == CV_OK && ferror(in))
        st = cv_error_set(err, CV_ERR_IO, "%s: %s", name, strerror(errno));
    free(line);
    return st;
}

typedef struct {
    ScoreBatch *batch;
    const char *name;   /* input name for messages */
    const char *column; /* wanted column name */
    long col_index;     /* its index once the header is read, -1 before */
    long field;         /* index of the current field within its record */
    long record;        /* records seen (header = 0) */
    char *value;        /* the wanted field of the current record */
    int have_value;
    CvStatus st;
    CvError *err;
    char header[512]; /* header names for the "no such column" message */
} CsvState;

static void csv_field_cb(void *s, size_t len, void *data) {
    CsvState *c = data;
    if (c->record == 0) {
        size_t used = strlen(c->header);
        if (used + len + 3 < sizeof c->header)
            snprintf(c->header + used, sizeof c->header - used, "%s%.*s", used ? ", " : "",
                     (int)len, (const char *)s);
        if (len == strlen(c->column) && memcmp(s, c->column, len) == 0 && c->col_index < 0)
            c->col_index = c->field;
    } else if (c->field == c->col_index) {
        free(c->value);
        c->value = dup_trimmed(s, strnlen(s, len));
        c->have_value = 1;
        if (!c->value && c->st == CV_OK)
            c->st = cv_error_set(c->err, CV_ERR_NOMEM, "out of memory reading input");
    }
    c->field++;
}

static void csv_record_cb(int term, void *data) {
    (void)term;
    CsvState *c = data;
    if (c->record++ == 0) {
        if (c->col_index < 0 && c->st == CV_OK)
            c->st = cv_error_set(c->err, CV_ERR_PARSE, "%s: no column '%s' in the header (%s)",
                                 c->name, c->column, c->header);
    } else if (c->st == CV_OK) {
        /* A short record has no value in the column: scored as "" (invalid). */
        const char *v = c->have_value ? c->value : "";
        c->st = batch_add(c->batch, v, strlen(v), c->err);
    }
    free(c->value);
    c->value = NULL;
    c->have_value = 0;
    c->field = 0;
}

static CvStatus read_csv(FILE *in, const char *name, const char *column, ScoreBatch *b,
                         CvError *err) {
    struct csv_parser p;
    CsvState c = {
        .batch = b, .name = name, .column = column, .col_index = -1, .st = CV_OK, .err = err};
    char buf[65536];
    size_t n;
    if (csv_init(&p, CSV_APPEND_NULL) != 0)
        return cv_error_set(err, CV_ERR_NOMEM, "%s: cannot start the CSV parser", name);
    while (c.st == CV_OK && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (csv_parse(&p, buf, n, csv_field_cb, csv_record_cb, &c) != n && c.st == CV_OK)
            c.st = cv_error_set(err, CV_ERR_PARSE, "%s: record %ld: %s", name, c.record + 1,
                                csv_strerror(csv_error(&p)));
    }
    if (c.st == CV_OK && ferror(in))
        c.st = cv_error_set(err, CV_ERR_IO, "%s: %s", name, strerror(errno));
    if (c.st == CV_OK) csv_fini(&p, csv_field_cb, csv_record_cb, &c);
    if (c.st == CV_OK && c.record == 0)
        c.st = cv_error_set(err, CV_ERR_PARSE, "%s: empty CSV, no header with column '%s'", name,
                            column);
    free(c.value);
    csv_free(&p);
    return c.st;
}

int cmd_score(int argc, char **argv); /* called by main.c */

int cmd_score(int argc, char **argv) {
    static const struct option opts[] = {
        {"input", required_argument, NULL, 'i'},   {"column", required_argument, NULL, 'c'},
        {"threads", required_argument, NULL, 't'}, {"digits", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *input = NULL, *column = NULL;
    long threads = 1, digits = 6;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "i:c:t:d:h", opts, NULL)) != -1) {
        switch (o) {
        case 'i':
            input = optarg;
            break;
        case 'c':
            column = optarg;
            break;
        case 't':
            if (cli_parse_long("score", "--threads", optarg, &threads) != 0) return CLI_USAGE;
            if (threads < 1 || threads > SCORE_MAX_THREADS)
                return cli_usage_error("score", "--threads must be 1..%d, got %ld",
                                       SCORE_MAX_THREADS, threads);
            break;
        case 'd':
            if (cli_parse_long("score", "--digits", optarg, &digits) != 0) return CLI_USAGE;
            if (digits > 17)
                return cli_usage_error("score", "--digits must be 0..17, got %ld", digits);
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            return cli_usage_error("score", "unknown option");
        }
    }
    if (optind < argc && input)
        return cli_usage_error("score", "give SMILES arguments or --input, not both");
    if (column && optind < argc)
        return cli_usage_error("score", "--column applies to --input or stdin, not arguments");

    ScoreBatch *b = calloc(1, sizeof *b);
    if (!b) {
        fprintf(stderr, "chemvae score: out of memory\n");
        return CLI_ERROR;
    }
    b->threads = (int)threads;
    b->digits = (int)digits;
    b->out = stdout;
    chem_log_rdkit(0); /* invalid rows are reported as valid=0, not as RDKit messages */

    CvError err;
    cv_error_clear(&err);
    CvStatus st = CV_OK;
    fputs("input,valid,canonical_smiles,mw,logp,qed,sa,penalized_logp\n", b->out);
    if (optind < argc) {
        for (int i = optind; i < argc && st == CV_OK; i++)
            st = batch_add(b, argv[i], strlen(argv[i]), &err);
    } else {
        int use_stdin = !input || strcmp(input, "-") == 0;
        const char *name = use_stdin ? "stdin" : input;
        FILE *in = use_stdin ? stdin : fopen(input, "rb");
        if (!in) {
            st = cv_error_set(&err, CV_ERR_IO, "%s: %s", input, strerror(errno));
        } else {
            st = column ? read_csv(in, name, column, b, &err) : read_lines(in, name, b, &err);
            if (!use_stdin) fclose(in);
        }
    }
    if (st == CV_OK) st = batch_flush(b, &err);
    else {
        for (size_t i = 0; i < b->n; i++) free(b->rows[i].input);
    }
    free(b);
    if (fflush(stdout) != 0 && st == CV_OK)
        st = cv_error_set(&err, CV_ERR_IO, "stdout: %s", strerror(errno));
    return st == CV_OK ? CLI_OK : cli_report("score", &err);
}
