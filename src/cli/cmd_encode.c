/* cmd_encode.c — `chemvae encode`: SMILES -> latent mean mu, as CSV (smiles,z0,...,z{Z-1})
 * on stdout. SMILES come from arguments or one per line from --input FILE / stdin, or the
 * molecules of a SMILES file or SDF (by extension or --input-format; their canonical SMILES
 * head the rows), and are encoded --batch at a time (cv_encode_list / cv_encode_lines /
 * cv_encode_records, app_codec.h), so the output streams. A SMILES RDKit rejects, or with a token
 * outside the model's vocabulary, is reported on stderr with its line and skipped; the exit code is
 * then 1. */
#include <stdio.h>
#include <string.h>

#include "chemvae/app/app_codec.h"
#include "cli.h"
#include "options.h"

typedef struct {
    CvModelOptions model;
    const char *input;
    MolinFormat input_format;
    long threads;
} EncodeArgs;

#define F(field) offsetof(EncodeArgs, field)
static const CvParam OWN[] = {
    CV_PARAM("input", 'i', CV_PARAM_STRING, F(input), "FILE",
             "one SMILES per line ('-' = stdin; default stdin without\narguments)"),
    CV_PARAM("input-format", 0, CV_PARAM_INPUT_FORMAT, F(input_format), "FORMAT",
             "the input's format: smi (a SMILES and a name a\nline) or sdf, rows headed by "
             "canonical SMILES;\n" CV_INPUT_FORMAT_AUTO "one SMILES a line"),
    CV_PARAM("threads", 'j', CV_PARAM_LONG, F(threads), "N",
             "OpenBLAS threads (default: all CPUs)"),
};
#undef F
static const CvParamTable OWN_TABLE = CV_PARAM_TABLE(OWN);

static const CliCommand COMMAND = {
    .name = "encode",
    .synopsis = "[--model FILE.cvae] [SMILES ...] [--input FILE]",
    .intro = "Prints smiles,z0..z{Z-1} (the encoder's mean) for every input SMILES.\n",
    .tables = {{&cv_model_params, offsetof(EncodeArgs, model)}, {&OWN_TABLE, 0}},
    .max_operands = -1};

/* A row on stdout, or why it was not encoded on stderr; `source`: the input's name, or NULL
 * for command-line arguments. */
static void print_row(void *source, const CvEncodedSmiles *r) {
    if (r->error && source)
        fprintf(stderr, "chemvae encode: %s line %ld: %s\n", (const char *)source, r->where,
                r->error);
    else if (r->error) fprintf(stderr, "chemvae encode: argument %ld: %s\n", r->where, r->error);
    if (r->error) return;
    printf("%s", r->smiles);
    for (size_t k = 0; k < r->Z; k++) printf(",%.7g", r->mu[k]);
    printf("\n");
}

static void print_header(size_t Z) {
    printf("smiles");
    for (size_t k = 0; k < Z; k++) printf(",z%zu", k);
    printf("\n");
}

int cmd_encode(int argc, char **argv) {
    EncodeArgs a = {.model = CV_MODEL_OPTIONS_DEFAULTS};
    a.model.path = cli_default_model();
    int first;
    int rc = cli_options_parse(&COMMAND, argc, argv, &a, &first);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    if (a.model.batch < 1) return cli_usage_error(COMMAND.name, "--batch must be positive");
    MolinFormat format = cv_molin_format_of(a.input, a.input_format);
    if (a.input_format == MOLIN_CSV)
        return cli_usage_error(COMMAND.name, "--input-format: SMILES lines, smi or sdf, not csv");
    if (a.input_format && argc > first && !a.input)
        return cli_usage_error(COMMAND.name, "--input-format applies to --input or stdin");
    cli_set_threads((int)a.threads);
    CvModelOptions load = a.model;
    load.batch = 1; /* the encoder sees one SMILES per pass (app_codec.c) */
    CvError err = {0};
    CvModel m;
    CvLines in = {0};
    size_t failed = 0;
    CvStatus st = cv_model_load_with(&m, &load, &err);
    if (!st) print_header((size_t)m.vae.cfg.Z);
    if (!st && argc > first && !a.input)
        st = cv_encode_list(&m, (const char *const *)argv + first, (size_t)(argc - first),
                            a.model.batch, print_row, NULL, &failed, &err);
    else if (!st && format != MOLIN_CSV)
        st = cv_encode_records(&m, a.input, format, a.model.batch, print_row,
                               (void *)(a.input && strcmp(a.input, "-") ? a.input : "stdin"),
                               &failed, &err);
    else if (!st && !(st = cv_lines_open(&in, a.input, &err)))
        st = cv_encode_lines(&m, &in, a.model.batch, print_row, (void *)in.name, &failed, &err);
    cv_lines_close(&in);
    cv_model_free(&m);
    if (st) return cli_report(COMMAND.name, &err);
    return failed ? CLI_ERROR : CLI_OK;
}
