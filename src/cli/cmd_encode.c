/* cmd_encode.c — `chemvae encode`: SMILES -> latent mean mu (cv_encode, app_codec.h), as
 * CSV (smiles,z0,...,z{Z-1}) on stdout. SMILES come from arguments or one per line from
 * --input FILE / stdin, and are encoded a batch at a time, so the output streams. A SMILES
 * RDKit rejects, or with a token outside the model's vocabulary, is reported on stderr
 * with its line and skipped; the exit code is then 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/app/app_codec.h"
#include "cli.h"
#include "options.h"

/* SMILES encoded per cv_encode call (the output streams a batch at a time). */
enum { ENCODE_BATCH = 256 };

typedef struct {
    const char *model, *input;
    long threads;
} EncodeArgs;

#define F(field) offsetof(EncodeArgs, field)
static const CvParam OPTS[] = {
    CV_PARAM("model", 'm', CV_PARAM_STRING, F(model), "FILE", CLI_MODEL_HELP),
    CV_PARAM("input", 'i', CV_PARAM_STRING, F(input), "FILE",
             "one SMILES per line ('-' = stdin; default stdin without\narguments)"),
    CV_PARAM("threads", 0, CV_PARAM_LONG, F(threads), "N", "OpenBLAS threads"),
};
static const CvParamTable OPTS_TABLE = CV_PARAM_TABLE(OPTS);
#undef F

static const CliCommand COMMAND = {
    .name = "encode",
    .synopsis = "[--model FILE.cvae] [SMILES ...] [--input FILE]",
    .intro = "Prints smiles,z0..z{Z-1} (the encoder's mean) for every input SMILES.\n",
    .tables = {{&OPTS_TABLE, 0}},
    .max_operands = -1};

/* SMILES waiting to be encoded, with where each came from (for messages). */
typedef struct {
    CvModel *m;
    const char *source; /* the input's name, or NULL: command-line arguments */
    char *smiles[ENCODE_BATCH];
    long where[ENCODE_BATCH]; /* line number, or argument number */
    size_t n;
    float *mu; /* (ENCODE_BATCH, Z) */
    CvEncodeRow rows[ENCODE_BATCH];
    int failed; /* a SMILES was not encoded */
} EncodeQueue;

static void print_row(const EncodeQueue *q, size_t i) {
    size_t Z = (size_t)q->m->vae.cfg.Z;
    if (q->rows[i].error) {
        if (q->source)
            fprintf(stderr, "chemvae encode: %s line %ld: %s\n", q->source, q->where[i],
                    q->rows[i].error);
        else fprintf(stderr, "chemvae encode: argument %ld: %s\n", q->where[i], q->rows[i].error);
        return;
    }
    printf("%s", q->smiles[i]);
    for (size_t k = 0; k < Z; k++) printf(",%.7g", q->mu[i * Z + k]);
    printf("\n");
}

static void clear(EncodeQueue *q) {
    cv_encode_rows_free(q->rows, q->n);
    for (size_t i = 0; i < q->n; i++) free(q->smiles[i]);
    q->n = 0;
}

/* Encodes and prints the queued SMILES, then empties the queue. */
static CvStatus flush(EncodeQueue *q, CvError *err) {
    size_t failed = 0;
    CvStatus st =
        cv_encode(q->m, (const char *const *)q->smiles, q->n, q->mu, NULL, q->rows, &failed, err);
    for (size_t i = 0; !st && i < q->n; i++) print_row(q, i);
    q->failed |= failed > 0;
    clear(q);
    return st;
}

static CvStatus push(EncodeQueue *q, const char *smiles, long where, CvError *err) {
    if (!(q->smiles[q->n] = strdup(smiles)))
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    q->where[q->n++] = where;
    return q->n == ENCODE_BATCH ? flush(q, err) : CV_OK;
}

/* Queues every non-empty line of the input (trailing spaces and line ends cut). */
static CvStatus encode_lines(EncodeQueue *q, const char *input, CvError *err) {
    CliLines in;
    CvStatus st = cli_lines_open(&in, input, err);
    q->source = in.name;
    ssize_t got;
    while (!st && (got = cli_lines_next(&in)) > 0) {
        char *line = in.line;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r' || line[got - 1] == ' '))
            line[--got] = 0;
        if (got) st = push(q, line, in.lineno, err);
    }
    if (!st) st = flush(q, err);
    cli_lines_close(&in);
    return st;
}

static CvStatus encode_all(CvModel *m, const EncodeArgs *a, char **args, int n_args, int *failed,
                           CvError *err) {
    EncodeQueue q = {.m = m};
    if (!(q.mu = malloc(ENCODE_BATCH * (size_t)m->vae.cfg.Z * sizeof *q.mu)))
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    printf("smiles");
    for (int k = 0; k < m->vae.cfg.Z; k++) printf(",z%d", k);
    printf("\n");
    CvStatus st = CV_OK;
    if (n_args > 0 && !a->input) {
        for (int i = 0; !st && i < n_args; i++) st = push(&q, args[i], i + 1, err);
        if (!st) st = flush(&q, err);
    } else {
        st = encode_lines(&q, a->input, err);
    }
    clear(&q); /* what an error left queued */
    free(q.mu);
    *failed = q.failed;
    return st;
}

int cmd_encode(int argc, char **argv) {
    EncodeArgs a = {.model = cli_default_model()};
    int first;
    int rc = cli_options_parse(&COMMAND, argc, argv, &a, &first);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    cli_set_threads((int)a.threads);
    CvError err = {0};
    CvModel m;
    int failed = 0;
    CvStatus st = cv_model_load(&m, a.model, 1, &err);
    if (!st) st = encode_all(&m, &a, argv + first, argc - first, &failed, &err);
    cv_model_free(&m);
    if (st) return cli_report(COMMAND.name, &err);
    return failed ? CLI_ERROR : CLI_OK;
}
