/* cmd_decode.c — `chemvae decode`: latent vectors -> SMILES. Reads one z per line (Z
 * comma-separated numbers; a first field that is not a number, such as the smiles column
 * written by `chemvae encode`, and a header line are skipped) from --input FILE or stdin,
 * decodes them --batch at a time (cv_decode_lines, app_codec.h: the output streams, and the
 * batches decode as one call on all the vectors would), and prints index,smiles,valid
 * (RDKit). A line that is not a vector is reported on stderr and skipped; the exit code is
 * then 1. */
#include <stdio.h>

#include "chemvae/app/app_codec.h"
#include "cli.h"
#include "options.h"

typedef struct {
    CvModelOptions model;
    CvDecodeConfig job;
    const char *input;
    long threads;
} DecodeArgs;

#define F(field) offsetof(DecodeArgs, field)
static const CvParam OWN[] = {
    CV_PARAM("input", 'i', CV_PARAM_STRING, F(input), "FILE",
             "one z per line, Z comma-separated numbers (default stdin)"),
    CV_PARAM("threads", 'j', CV_PARAM_LONG, F(threads), "N",
             "OpenBLAS threads (default: all CPUs)"),
};
#undef F
static const CvParamTable OWN_TABLE = CV_PARAM_TABLE(OWN);

static const CliCommand COMMAND = {.name = "decode",
                                   .synopsis = "[--model FILE.cvae] [--input FILE]",
                                   .tables = {{&cv_model_params, offsetof(DecodeArgs, model)},
                                              {&cv_decode_params, offsetof(DecodeArgs, job)},
                                              {&OWN_TABLE, 0}},
                                   .epilog = "stdout: index,smiles,valid\n",
                                   .max_operands = 0};

typedef struct {
    const char *source; /* the input's name */
    size_t Z;
} Printer;

/* A decoded vector on stdout, or a line that is not one on stderr. */
static void print_row(void *user, const CvDecodedLine *r) {
    const Printer *p = user;
    if (r->mol) printf("%llu,%s,%d\n", (unsigned long long)r->index, r->mol->raw, r->mol->valid);
    else
        fprintf(stderr,
                "chemvae decode: %s line %ld: expected %zu comma-separated finite numbers\n",
                p->source, r->lineno, p->Z);
}

int cmd_decode(int argc, char **argv) {
    DecodeArgs a = {.model = CV_MODEL_OPTIONS_DEFAULTS, .job = CV_DECODE_DEFAULTS};
    a.model.path = cli_default_model();
    int rc = cli_options_parse(&COMMAND, argc, argv, &a, NULL);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    if (a.model.batch < 1) return cli_usage_error(COMMAND.name, "--batch must be positive");
    if (a.job.beam < 1 || (size_t)a.job.beam > a.model.batch)
        return cli_usage_error(COMMAND.name, "--beam must be in 1..%zu", a.model.batch);
    cli_set_threads((int)a.threads);
    CvError err = {0};
    CvModel m;
    CvLines in = {0};
    size_t bad = 0;
    CvStatus st = cv_model_load_with(&m, &a.model, &err);
    if (!st) st = cv_lines_open(&in, a.input, &err);
    Printer p = {in.name, st ? 0 : (size_t)m.vae.cfg.Z};
    if (!st) printf("index,smiles,valid\n");
    if (!st) st = cv_decode_lines(&m, &in, &a.job, a.model.batch, print_row, &p, &bad, &err);
    cv_lines_close(&in);
    cv_model_free(&m);
    if (st) return cli_report(COMMAND.name, &err);
    return bad ? CLI_ERROR : CLI_OK;
}
