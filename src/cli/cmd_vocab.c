/* cmd_vocab.c — `chemvae vocab`: build a vocabulary from a CSV, show one (from a .vocab or
 * a .cvds file), or tokenize SMILES for inspection (the jobs: app_vocab.h). Each
 * subcommand has its own options (build's: cv_vocab_build_params and its --output);
 * `chemvae vocab --help` prints all three. */
#include <stdio.h>
#include <string.h>

#include "chemvae/app/app_vocab.h"
#include "chemvae/chem/chem.h"
#include "chemvae/core/csvout.h"
#include "cli.h"
#include "options.h"

/* What the three subcommands parse their options into. */
typedef struct {
    const char *output;     /* build */
    CvVocabBuildConfig job; /* build */
    const char *vocab;      /* tokenize */
} VocabArgs;

#define F(field) offsetof(VocabArgs, field)
static const CvParam BUILD_OWN[] = {
    CV_PARAM("output", 'o', CV_PARAM_STRING, F(output), "FILE",
             "vocabulary file to write (required)"),
};
static const CvParam TOKENIZE_OPTS[] = {
    CV_PARAM("vocab", 'v', CV_PARAM_STRING, F(vocab), "FILE",
             "print each token's id in this vocabulary (-1: not in it)"),
};
#undef F
static const CvParamTable BUILD_OWN_TABLE = CV_PARAM_TABLE(BUILD_OWN);
static const CvParamTable TOKENIZE_TABLE = CV_PARAM_TABLE(TOKENIZE_OPTS);

static const CliCommand BUILD = {
    .name = "vocab build",
    .synopsis = "INPUT.csv -o FILE.vocab [options]",
    .intro = "Canonicalizes every SMILES of INPUT with RDKit (as ingest does) and writes the\n"
             "vocabulary of all accepted molecules (specials first, then tokens sorted).\n",
    .tables = {{&BUILD_OWN_TABLE, 0}, {&cv_vocab_build_params, offsetof(VocabArgs, job)}},
    .epilog = "stdout: FILE.vocab,tokens,hash; a summary goes to stderr.\n",
    .min_operands = 1,
    .max_operands = 1};

static const CliCommand SHOW = {
    .name = "vocab show",
    .synopsis = "FILE.vocab|FILE.cvds",
    .epilog = "stdout: id,token as CSV; the vocabulary's hash goes to stderr.\n",
    .min_operands = 1,
    .max_operands = 1};

static const CliCommand TOKENIZE = {
    .name = "vocab tokenize",
    .synopsis = "[--vocab FILE] SMILES...",
    .tables = {{&TOKENIZE_TABLE, 0}},
    .epilog = "stdout: each SMILES's tokens separated by spaces (with --vocab: token=id).\n",
    .min_operands = 1,
    .max_operands = -1};

static int run_build(const VocabArgs *a, char **operands) {
    if (!a->output) return cli_usage_error(BUILD.name, "--output is required");
    CvVocabBuildResult r;
    CvError err;
    cv_chem_log_rdkit(0);
    if (cv_vocab_build_file(operands[0], &a->job, a->output, &r, &err))
        return cli_report("vocab", &err);
    fprintf(stderr,
            "%s: %zu tokens from %zu molecules (%zu rows, %zu skipped, %zu duplicates); hash "
            "%016llx\n",
            a->output, r.tokens, r.molecules, r.rows, r.rejected, r.duplicates,
            (unsigned long long)r.hash);
    cv_csv_field(stdout, a->output, strlen(a->output), CV_CSV_ESCAPE_BYTES);
    printf(",%zu,%016llx\n", r.tokens, (unsigned long long)r.hash);
    return CLI_OK;
}

static int run_show(const VocabArgs *a, char **operands) {
    (void)a;
    CvVocab v;
    CvError err;
    if (cv_vocab_read(operands[0], &v, &err)) return cli_report("vocab", &err);
    printf("id,token\n");
    for (size_t i = 0; i < v.n; i++) printf("%zu,%s\n", i, v.tokens[i]);
    fprintf(stderr, "%s: %zu tokens, hash %016llx\n", operands[0], v.n,
            (unsigned long long)cv_vocab_hash(&v));
    cv_vocab_free(&v);
    return CLI_OK;
}

static int run_tokenize(const VocabArgs *a, char **operands) {
    CvVocab v = {0};
    CvError err;
    int rc = CLI_OK;
    if (a->vocab && cv_vocab_load(&v, a->vocab, &err)) return cli_report("vocab", &err);
    for (char **smiles = operands; *smiles; smiles++)
        if (cv_vocab_tokens_write(stdout, *smiles, a->vocab ? &v : NULL, &err))
            rc = cli_report("vocab", &err);
    cv_vocab_free(&v);
    return rc;
}

static const struct {
    const CliCommand *c;
    int (*run)(const VocabArgs *a, char **operands); /* operands: NULL-terminated */
} SUBCOMMANDS[] = {{&BUILD, run_build}, {&SHOW, run_show}, {&TOKENIZE, run_tokenize}};

/* `chemvae vocab SUB ...`: SUB's options, then its run; --help prints every SUB's help. */
int cmd_vocab(int argc, char **argv) {
    if (argc < 2) return cli_usage_error("vocab", "expected build, show or tokenize");
    int help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
    for (size_t i = 0; i < sizeof SUBCOMMANDS / sizeof *SUBCOMMANDS; i++) {
        const CliCommand *c = SUBCOMMANDS[i].c;
        if (help) printf("%s", i ? "\n" : "");
        if (help) cli_options_help(c, stdout);
        if (help || strcmp(argv[1], c->name + strlen("vocab ")) != 0) continue;
        VocabArgs a = {.job = CV_VOCAB_BUILD_DEFAULTS};
        int first, rc = cli_options_parse(c, argc - 1, argv + 1, &a, &first);
        if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
        return SUBCOMMANDS[i].run(&a, argv + 1 + first);
    }
    if (help) return CLI_OK;
    return cli_usage_error("vocab", "unknown subcommand '%s' (build, show, tokenize)", argv[1]);
}
