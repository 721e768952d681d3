/* cmd_score.c — `chemvae score`: the score job (app_score.h) from the command line. SMILES
 * from the arguments, else --input FILE or stdin (lines, or a CSV column with --smiles-col);
 * one CSV row per input row on stdout, in input order. Unreadable input: exit 1. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "chemvae/app/app_score.h"
#include "cli.h"
#include "options.h"

typedef struct {
    CvScoreConfig job;
    long digits; /* decimals of the printed scores */
    CvRowsFormat format;
    CvRows out;
} ScoreArgs;

static const CvParam OWN[] = {
    CV_PARAM("digits", 0, CV_PARAM_LONG, offsetof(ScoreArgs, digits), "N",
             "decimals printed for the scores (default 6; 17 prints\nevery double exactly)"),
    CV_PARAM_OLD(NULL, 'd', "--digits"),
};
static const CvParamTable OWN_TABLE = CV_PARAM_TABLE(OWN);

static const CliCommand COMMAND = {
    .name = "score",
    .synopsis = "[options] [SMILES ...]",
    .intro = "Scores molecules with RDKit: prints CSV on stdout with the columns\n"
             "  " CV_SCORE_COLUMNS "\n"
             "(mw = average molecular weight, logp = Crippen logP, qed = QED, sa = Ertl SA\n"
             "score 1..10, penalized_logp = logp - sa - max(0, largest ring - 6)).\n"
             "Invalid SMILES give valid=0 and empty scores; rows keep the input order.\n\n"
             "SMILES come from the arguments, else from --input, else from stdin. For a\n"
             "SMILES file or an SDF, input is each record's name (a line without a name:\n"
             "its SMILES).\n",
    .tables = {{&cv_score_params, offsetof(ScoreArgs, job)},
               {&OWN_TABLE, 0},
               {&cv_rows_params, offsetof(ScoreArgs, format)}},
    .max_operands = -1};

static int parse_args(int argc, char **argv, ScoreArgs *a) {
    *a = (ScoreArgs){.job = CV_SCORE_DEFAULTS, .digits = 6};
    int first = argc, rc = cli_options_parse(&COMMAND, argc, argv, a, &first);
    if (rc) return rc;
    const char *cmd = COMMAND.name;
    if (a->digits > 17) return cli_usage_error(cmd, "--digits must be 0..17, got %ld", a->digits);
    const char *clash =
        a->job.input ? "give SMILES arguments or --input, not both"
                     : "--smiles-col and --input-format apply to --input or stdin, not arguments";
    if (first < argc && (a->job.input || a->job.column || a->job.format))
        return cli_usage_error(cmd, "%s", clash);
    a->job.smiles = first < argc ? (const char *const *)argv + first : NULL;
    a->job.n_smiles = (size_t)(argc - first);
    return CLI_OK;
}

/* The sink: a row per value; why a row is invalid, beyond a bad SMILES, on stderr. */
static CvStatus print_rows(void *user, const CvScoreRow *rows, size_t n, CvError *err) {
    for (const CvScoreRow *r = rows; r < rows + n; r++)
        if (r->error) fprintf(stderr, "chemvae score: %s\n", r->error);
    cv_score_write(&((ScoreArgs *)user)->out, rows, n);
    return ferror(stdout) ? cv_error_set(err, CV_ERR_IO, "stdout: write failed") : CV_OK;
}

int cmd_score(int argc, char **argv) {
    ScoreArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    cv_chem_log_rdkit(0); /* invalid rows are reported as valid=0, not as RDKit messages */
    CvScoreResult res;
    CvError err = {0};
    cv_score_write_begin(&a.out, stdout, a.format, (int)a.digits);
    CvStatus st = cv_score(&a.job, &(CvScoreSink){print_rows, &a}, NULL, &res, &err);
    cv_rows_end(&a.out);
    if (fflush(stdout) && !st) st = cv_error_set(&err, CV_ERR_IO, "stdout: %s", strerror(errno));
    return st ? cli_report(COMMAND.name, &err) : CLI_OK;
}
