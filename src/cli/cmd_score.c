/* cmd_score.c — `chemvae score`: the score job (app_score.h) from the command line. SMILES
 * come from the arguments, else from --input FILE or stdin (one per line, or with --column
 * NAME a column of a CSV file); every input row gives one CSV row on stdout, in input
 * order. Only unreadable input is an error (exit 1). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "chemvae/app/app_score.h"
#include "chemvae/core/csvout.h"
#include "chemvae/core/parfor.h"
#include "cli.h"
#include "options.h"

typedef struct {
    const char *input, *column;
    long threads, digits;
} ScoreArgs;

#define F(field) offsetof(ScoreArgs, field)
static const CvParam OPTS[] = {
    CV_PARAM("input", 'i', CV_PARAM_STRING, F(input), "FILE",
             "read FILE ('-' = stdin): one SMILES per line, or a CSV\nfile with --column"),
    CV_PARAM("column", 'c', CV_PARAM_STRING, F(column), "NAME",
             "the input is CSV; score the column named NAME"),
    CV_PARAM("threads", 't', CV_PARAM_LONG, F(threads), "N", "score with N threads (default 1)"),
    CV_PARAM("digits", 'd', CV_PARAM_LONG, F(digits), "N",
             "decimals printed for the scores (default 6; 17 prints\nevery double exactly)"),
};
static const CvParamTable OPTS_TABLE = CV_PARAM_TABLE(OPTS);
#undef F

static const char *const COLUMNS[] = {"input", "valid", "canonical_smiles", "mw", "logp",
                                      "qed",   "sa",    "penalized_logp"};

static const CliCommand COMMAND = {
    .name = "score",
    .synopsis = "[options] [SMILES ...]",
    .intro = "Scores molecules with RDKit: prints CSV on stdout with the columns\n"
             "  input,valid,canonical_smiles,mw,logp,qed,sa,penalized_logp\n"
             "(mw = average molecular weight, logp = Crippen logP, qed = QED, sa = Ertl SA\n"
             "score 1..10, penalized_logp = logp - sa - max(0, largest ring - 6)).\n"
             "Invalid SMILES give valid=0 and empty scores; rows keep the input order.\n"
             "\n"
             "SMILES come from the arguments, else from --input, else from stdin.\n",
    .tables = {{&OPTS_TABLE, 0}},
    .max_operands = -1};

static int parse_args(int argc, char **argv, ScoreArgs *a, int *first) {
    *a = (ScoreArgs){.threads = 1, .digits = 6};
    int rc = cli_options_parse(&COMMAND, argc, argv, a, first);
    if (rc) return rc;
    const char *cmd = COMMAND.name;
    if (a->threads < 1 || a->threads > CV_PARFOR_MAX_WORKERS)
        return cli_usage_error(cmd, "--threads must be 1..%d, got %ld", CV_PARFOR_MAX_WORKERS,
                               a->threads);
    if (a->digits > 17) return cli_usage_error(cmd, "--digits must be 0..17, got %ld", a->digits);
    if (*first < argc && a->input)
        return cli_usage_error(cmd, "give SMILES arguments or --input, not both");
    if (a->column && *first < argc)
        return cli_usage_error(cmd, "--column applies to --input or stdin, not arguments");
    return CLI_OK;
}

/* The sink: one CSV row per value; the messages of rows invalid for another reason than
 * an unparsable SMILES (a broken CSV record, a scoring failure) on stderr. */
static CvStatus print_rows(void *user, const CvScoreRow *rows, size_t n, CvError *err) {
    int d = (int)((const ScoreArgs *)user)->digits;
    for (size_t i = 0; i < n; i++) {
        const CvScoreRow *r = &rows[i];
        if (r->error) fprintf(stderr, "chemvae score: %s\n", r->error);
        cv_csv_str(stdout, r->input);
        if (!r->valid) {
            fputs(",0,,,,,,\n", stdout);
            continue;
        }
        fputs(",1,", stdout);
        cv_csv_str(stdout, r->canonical);
        const ChemScores *s = &r->scores;
        printf(",%.*f,%.*f,%.*f,%.*f,%.*f\n", d, s->mw, d, s->logp, d, s->qed, d, s->sa, d,
               s->penalized_logp);
    }
    if (ferror(stdout)) return cv_error_set(err, CV_ERR_IO, "stdout: write failed");
    return CV_OK;
}

int cmd_score(int argc, char **argv) {
    ScoreArgs a;
    int first = argc;
    int rc = parse_args(argc, argv, &a, &first);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    cv_chem_log_rdkit(0); /* invalid rows are reported as valid=0, not as RDKit messages */
    CvScoreConfig cfg = CV_SCORE_DEFAULTS;
    if (first < argc) {
        cfg.smiles = (const char *const *)argv + first;
        cfg.n_smiles = (size_t)(argc - first);
    }
    cfg.input = a.input;
    cfg.column = a.column;
    cfg.threads = (int)a.threads;
    CvScoreSink sink = {print_rows, &a};
    CvScoreResult res;
    CvError err = {0};
    cv_csv_record(stdout, COLUMNS, sizeof COLUMNS / sizeof COLUMNS[0]);
    CvStatus st = cv_score(&cfg, &sink, NULL, &res, &err);
    if (fflush(stdout) != 0 && st == CV_OK)
        st = cv_error_set(&err, CV_ERR_IO, "stdout: %s", strerror(errno));
    return st ? cli_report(COMMAND.name, &err) : CLI_OK;
}
