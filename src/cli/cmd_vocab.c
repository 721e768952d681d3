/* cmd_vocab.c — `chemvae vocab`: build a vocabulary from a CSV, show one (from a .vocab or
 * a .cvds file), or tokenize SMILES for inspection (the jobs: app_vocab.h). Each
 * subcommand has its own option table; `chemvae vocab --help` prints all three. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/app/app_vocab.h"
#include "chemvae/chem/chem.h"
#include "chemvae/data/csvin.h"
#include "cli.h"
#include "options.h"

/* ---- the option tables ------------------------------------------------------------------ */

#define STR_(x) #x
#define STR(x) STR_(x)

typedef struct {
    const char *output, *smiles_col;
    char delim;
    long max_len, threads;
    int no_canonical;
} BuildArgs;

/* --delimiter: one character, or 'tab' / '\t' */
static CvStatus parse_delim(const char *opt, const char *arg, void *field, CvError *err) {
    char *d = field;
    if (!strcmp(arg, "tab") || !strcmp(arg, "\\t")) *d = '\t';
    else if (strlen(arg) == 1) *d = arg[0];
    else {
        cv_error_set(err, CV_ERR_INVALID, "%s expects one character or 'tab'", opt);
        return CV_ERR_INVALID;
    }
    return CV_OK;
}
static void delim_json(CvJson *j, const void *field) {
    char d[2] = {*(const char *)field, '\0'};
    if (d[0]) cv_json_string(j, d);
    else cv_json_null(j);
}
static const CvParamType CLI_DELIM = {1, "C", parse_delim, delim_json};

#define F(field) offsetof(BuildArgs, field)
static const CvParam BUILD_OPTS[] = {
    CV_PARAM("output", 'o', CV_PARAM_STRING, F(output), "FILE",
             "vocabulary file to write (required)"),
    CV_PARAM("smiles-col", 0, CV_PARAM_STRING, F(smiles_col), "NAME",
             "SMILES column (default: first named smiles)"),
    CV_PARAM("delimiter", 'd', CLI_DELIM, F(delim), "C",
             "field delimiter or 'tab' (default: auto)"),
    CV_PARAM("max-len", 'T', CV_PARAM_LONG, F(max_len), "N",
             "skip molecules longer than N-1 tokens (default " STR(DATASET_DEFAULT_T) ")"),
    CV_PARAM("no-canonical", 0, CV_PARAM_SWITCH, F(no_canonical), NULL, "use SMILES as written"),
    CV_PARAM("threads", 'j', CV_PARAM_LONG, F(threads), "N",
             "RDKit worker threads (default: all CPUs)"),
};
static const CvParamTable BUILD_OPTS_TABLE = CV_PARAM_TABLE(BUILD_OPTS);
#undef F

static const CliCommand BUILD = {
    .name = "vocab build",
    .synopsis = "INPUT.csv -o FILE.vocab [options]",
    .intro = "Canonicalizes every SMILES of INPUT with RDKit (as ingest does) and writes the\n"
             "vocabulary of all accepted molecules (specials first, then tokens sorted).\n",
    .tables = {{&BUILD_OPTS_TABLE, 0}},
    .epilog = "stdout: FILE.vocab,tokens,hash; a summary goes to stderr.\n",
    .min_operands = 1,
    .max_operands = 1};

static const CliCommand SHOW = {
    .name = "vocab show",
    .synopsis = "FILE.vocab|FILE.cvds",
    .epilog = "stdout: id,token as CSV; the vocabulary's hash goes to stderr.\n",
    .min_operands = 1,
    .max_operands = 1};

typedef struct {
    const char *vocab;
} TokenizeArgs;

static const CvParam TOKENIZE_OPTS[] = {
    CV_PARAM("vocab", 'v', CV_PARAM_STRING, offsetof(TokenizeArgs, vocab), "FILE",
             "print each token's id in this vocabulary (-1: not in it)"),
};
static const CvParamTable TOKENIZE_TABLE = CV_PARAM_TABLE(TOKENIZE_OPTS);

static const CliCommand TOKENIZE = {
    .name = "vocab tokenize",
    .synopsis = "[--vocab FILE] SMILES...",
    .tables = {{&TOKENIZE_TABLE, 0}},
    .epilog = "stdout: each SMILES's tokens separated by spaces (with --vocab: token=id).\n",
    .min_operands = 1,
    .max_operands = -1};

/* ---- the subcommands -------------------------------------------------------------------- */

static int do_build(int argc, char **argv) {
    BuildArgs a = {.max_len = DATASET_DEFAULT_T};
    int first;
    int rc = cli_options_parse(&BUILD, argc, argv, &a, &first);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    if (a.max_len < 2 || a.max_len > 65535)
        return cli_usage_error(BUILD.name, "--max-len must be in 2..65535");
    if (!a.output) return cli_usage_error(BUILD.name, "--output is required");
    CvVocabBuildConfig cfg = {.smiles_col = a.smiles_col,
                              .delim = a.delim,
                              .max_len = (size_t)a.max_len,
                              .no_canonical = a.no_canonical,
                              .threads = (int)(a.threads > 64 ? 64 : a.threads)};
    CvVocabBuildResult r;
    CvError err;
    cv_chem_log_rdkit(0);
    if (cv_vocab_build_file(argv[first], &cfg, a.output, &r, &err))
        return cli_report("vocab", &err);
    fprintf(stderr,
            "%s: %zu tokens from %zu molecules (%zu rows, %zu skipped, %zu duplicates); hash "
            "%016llx\n",
            a.output, r.tokens, r.molecules, r.rows, r.rejected, r.duplicates,
            (unsigned long long)r.hash);
    cv_csvin_write_field(stdout, a.output, strlen(a.output));
    printf(",%zu,%016llx\n", r.tokens, (unsigned long long)r.hash);
    return CLI_OK;
}

static int do_show(int argc, char **argv) {
    int first;
    int rc = cli_options_parse(&SHOW, argc, argv, NULL, &first);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    const char *path = argv[first];
    CvVocab v;
    CvError err;
    if (cv_vocab_read(path, &v, &err)) return cli_report("vocab", &err);
    printf("id,token\n");
    for (size_t i = 0; i < v.n; i++) printf("%zu,%s\n", i, v.tokens[i]);
    fprintf(stderr, "%s: %zu tokens, hash %016llx\n", path, v.n,
            (unsigned long long)cv_vocab_hash(&v));
    cv_vocab_free(&v);
    return CLI_OK;
}

/* Prints the tokens of one SMILES (with their ids in v when v is non-NULL). */
static int print_tokens(const char *smiles, const CvVocab *v) {
    TokenSpan *sp;
    size_t n;
    CvError err;
    if (cv_tokenize(smiles, &sp, &n, &err)) return cli_report("vocab", &err);
    for (size_t i = 0; i < n; i++) {
        printf("%s%.*s", i ? " " : "", (int)sp[i].len, smiles + sp[i].off);
        if (v) printf("=%d", cv_vocab_lookup(v, smiles + sp[i].off, sp[i].len));
    }
    printf("\n");
    free(sp);
    return CLI_OK;
}

static int do_tokenize(int argc, char **argv) {
    TokenizeArgs a = {0};
    int first;
    int rc = cli_options_parse(&TOKENIZE, argc, argv, &a, &first);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    CvVocab v = {0};
    CvError err;
    if (a.vocab && cv_vocab_load(&v, a.vocab, &err)) return cli_report("vocab", &err);
    for (int i = first; i < argc; i++)
        if (print_tokens(argv[i], a.vocab ? &v : NULL) != CLI_OK) rc = CLI_ERROR;
    cv_vocab_free(&v);
    return rc;
}

static void help(FILE *out) {
    cli_options_help(&BUILD, out);
    fprintf(out, "\n");
    cli_options_help(&SHOW, out);
    fprintf(out, "\n");
    cli_options_help(&TOKENIZE, out);
}

int cmd_vocab(int argc, char **argv) {
    const char *cmd = "vocab";
    if (argc < 2) return cli_usage_error(cmd, "expected build, show or tokenize");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        help(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "build")) return do_build(argc - 1, argv + 1);
    if (!strcmp(argv[1], "tokenize")) return do_tokenize(argc - 1, argv + 1);
    if (!strcmp(argv[1], "show")) return do_show(argc - 1, argv + 1);
    return cli_usage_error(cmd, "unknown subcommand '%s' (build, show, tokenize)", argv[1]);
}
