/* cmd_decode.c — `chemvae decode`: latent vectors -> SMILES (cv_decode, app_codec.h).
 * Reads one z per line (Z comma-separated numbers; a first field that is not a number,
 * such as the smiles column written by `chemvae encode`, and a header line are skipped)
 * from --input FILE or stdin, decodes them a batch at a time (the output streams; the
 * batches decode as one call on all the vectors would), and prints index,smiles,valid
 * (RDKit). A line that is not a vector is reported on stderr and skipped; the exit code is
 * then 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/app/app_codec.h"
#include "cli.h"
#include "options.h"

/* Vectors decoded per cv_decode call, and the model's batch. */
enum { DECODE_BATCH = 256 };

typedef struct {
    const char *model, *input;
    long threads, seed, beam;
    int rescue;
    double temperature;
    int constrain;
} DecodeArgs;

#define F(field) offsetof(DecodeArgs, field)
static const CvParam OPTS[] = {
    CV_PARAM("model", 'm', CV_PARAM_STRING, F(model), "FILE", CLI_MODEL_HELP),
    CV_PARAM("input", 'i', CV_PARAM_STRING, F(input), "FILE",
             "one z per line, Z comma-separated numbers (default stdin)"),
    CV_PARAM("temperature", 0, CV_PARAM_TEMPERATURE, F(temperature), "X",
             "0 = greedy (default); > 0 samples softmax(logits / X)"),
    CV_PARAM("seed", 0, CV_PARAM_LONG, F(seed), "N", "seed of temperature sampling (default 1)"),
    CV_PARAM("constrain", 0, CV_PARAM_CONSTRAIN, F(constrain), "MODE", CLI_CONSTRAIN_TEXT),
    CV_PARAM("beam", 0, CV_PARAM_LONG, F(beam), "K", "beam search of K hypotheses (greedy only)"),
    CV_PARAM("rescue", 0, CV_PARAM_RESCUE, F(rescue), "K",
             "a greedy decode that is not a molecule is decoded again by a\nbeam of K, kept "
             "when valid (default 1 = off)"),
    CV_PARAM("threads", 0, CV_PARAM_LONG, F(threads), "N", "OpenBLAS threads"),
};
static const CvParamTable OPTS_TABLE = CV_PARAM_TABLE(OPTS);
#undef F

static const CliCommand COMMAND = {.name = "decode",
                                   .synopsis = "[--model FILE.cvae] [--input FILE]",
                                   .tables = {{&OPTS_TABLE, 0}},
                                   .epilog = "stdout: index,smiles,valid\n",
                                   .max_operands = 0};

/* Vectors read and not yet decoded. */
typedef struct {
    CvModel *m;
    CvDecodeConfig cfg; /* cfg.first_row: index of the first vector queued */
    float *z;           /* (DECODE_BATCH, Z) */
    size_t n;
    LatentMol out[DECODE_BATCH];
} DecodeQueue;

/* Decodes and prints the queued vectors, then empties the queue. */
static CvStatus flush(DecodeQueue *q, CvError *err) {
    CvStatus st = cv_decode(q->m, q->z, q->n, &q->cfg, q->out, err);
    for (size_t i = 0; !st && i < q->n; i++)
        printf("%llu,%s,%d\n", (unsigned long long)(q->cfg.first_row + i), q->out[i].raw,
               q->out[i].valid);
    if (!st) cv_latent_mols_free(q->out, q->n);
    q->cfg.first_row += q->n;
    q->n = 0;
    return st;
}

/* Blank lines and header lines ("smiles,...", "z0,...") carry no vector. */
static int is_header_or_blank(const char *line) {
    return line[0] == '\n' || line[0] == '\r' || !strncmp(line, "smiles", 6) || line[0] == 'z';
}

static CvStatus decode_lines(DecodeQueue *q, CliLines *in, int *bad, CvError *err) {
    size_t Z = (size_t)q->m->vae.cfg.Z;
    CvStatus st = CV_OK;
    printf("index,smiles,valid\n");
    while (!st && cli_lines_next(in) > 0) {
        if (is_header_or_blank(in->line)) continue;
        if (cv_latent_parse_z(in->line, q->z + q->n * Z, Z)) {
            fprintf(stderr,
                    "chemvae decode: %s line %ld: expected %zu comma-separated finite numbers\n",
                    in->name, in->lineno, Z);
            *bad = 1;
            continue;
        }
        if (++q->n == DECODE_BATCH) st = flush(q, err);
    }
    if (!st && q->n) st = flush(q, err);
    return st;
}

int cmd_decode(int argc, char **argv) {
    DecodeArgs a = {.model = cli_default_model(),
                    .seed = 1,
                    .beam = 1,
                    .rescue = 1,
                    .constrain = CV_DEFAULT_CONSTRAIN};
    int rc = cli_options_parse(&COMMAND, argc, argv, &a, NULL);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    if (a.beam < 1 || a.beam > DECODE_BATCH)
        return cli_usage_error(COMMAND.name, "--beam must be in 1..%d", DECODE_BATCH);
    cli_set_threads((int)a.threads);
    CvError err = {0};
    CvModel m;
    CliLines in = {0};
    DecodeQueue q = {.m = &m,
                     .cfg = {.temperature = a.temperature,
                             .seed = (uint64_t)a.seed,
                             .beam = (int)a.beam,
                             .rescue = (int)a.rescue}};
    int bad = 0;
    CvStatus st = cv_model_load(&m, a.model, DECODE_BATCH, &err);
    if (!st) st = cv_model_set_constrain(&m, a.constrain, &err);
    if (!st) st = cli_lines_open(&in, a.input, &err);
    if (!st && !(q.z = malloc(DECODE_BATCH * (size_t)m.vae.cfg.Z * sizeof *q.z)))
        st = cv_error_set(&err, CV_ERR_NOMEM, "out of memory");
    if (!st) st = decode_lines(&q, &in, &bad, &err);
    free(q.z);
    cli_lines_close(&in);
    cv_model_free(&m);
    if (st) return cli_report(COMMAND.name, &err);
    return bad ? CLI_ERROR : CLI_OK;
}
