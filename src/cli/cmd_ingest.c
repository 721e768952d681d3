/* cmd_ingest.c — `chemvae ingest`: the ingest job (app_ingest.h) from the command line:
 * CSV → .cvds dataset. Prints the summary counts (stdout: CSV or JSON; stderr: one human
 * line per count), the reject file path, and fails (exit 1) on I/O errors or when no row
 * is usable. A progress bar on stderr when it is a terminal; SIGINT / SIGTERM stop the job
 * between batches, with nothing written (exit 128 + signal). */
#include <stdio.h>
#include <string.h>

#include "chemvae/app/app_ingest.h"
#include "chemvae/chem/chem.h"
#include "chemvae/core/csvout.h"
#include "cli.h"
#include "options.h"

typedef struct {
    CvIngestConfig job;
    int json, quiet, rdkit_log;
} IngestArgs;

#define F(field) offsetof(IngestArgs, field)
static const CvParam OWN[] = {
    CV_PARAM("json", 0, CV_PARAM_SWITCH, F(json), NULL, "print the summary as JSON instead of CSV"),
    CV_PARAM("quiet", 'q', CV_PARAM_SWITCH, F(quiet), NULL,
             "no progress bar and no summary on stderr"),
    CV_PARAM("rdkit-log", 0, CV_PARAM_SWITCH, F(rdkit_log), NULL,
             "let RDKit print its parse errors (default: only the\nreject file records them)"),
};
#undef F
static const CvParamTable OWN_TABLE = CV_PARAM_TABLE(OWN);

static const CliCommand COMMAND = {
    .name = "ingest",
    .synopsis = "[options] INPUT.csv|.smi|.sdf [-o OUTPUT.cvds]",
    .intro = "Reads a ZINC/MOSES-style CSV (or TSV), a SMILES file or an SDF, validates and\n"
             "canonicalizes every molecule with RDKit, drops duplicates, tokenizes, splits\n"
             "train/valid/test and writes a dataset.\n"
             "Bad rows go to a reject CSV (line,kind,reason,text); the counts printed at the end\n"
             "add up: rows = accepted + rejected + duplicates.\n",
    .tables = {{&cv_ingest_params, offsetof(IngestArgs, job)}, {&OWN_TABLE, 0}},
    .max_operands = -1};

static int parse_args(int argc, char **argv, IngestArgs *a) {
    *a = (IngestArgs){0};
    cv_ingest_config_default(&a->job);
    int first = 0, rc = cli_options_parse(&COMMAND, argc, argv, a, &first);
    if (rc) return rc;
    const char *cmd = COMMAND.name, *input = argv[first];
    if (a->job.ingest.ds.T < 2 || a->job.ingest.ds.T > 65535)
        return cli_usage_error(cmd, "--max-len must be in 2..65535");
    if (first != argc - 1) return cli_usage_error(cmd, "expected one input file");
    if (a->job.ingest.unk_ok && !a->job.vocab) return cli_usage_error(cmd, "--unk needs --vocab");
    if (a->job.ingest.no_canonical && (a->job.ingest.standardize || a->job.ingest.tautomer))
        return cli_usage_error(cmd, "--standardize writes canonical SMILES: drop --no-canonical");
    if (!a->job.output && !strcmp(input, "-"))
        return cli_usage_error(cmd, "reading stdin needs --output");
    a->job.input = input;
    return CLI_OK;
}

/* The human summary on stderr (also when no row was usable: the counts say why). */
static void print_summary(const CvIngestConfig *c, const CvIngestResult *r, int ok) {
    const IngestStats *s = &r->stats;
    fprintf(stderr, "%s: %zu rows = %zu accepted + %zu rejected + %zu duplicates (%.2f s)\n",
            c->input, s->rows, s->accepted, s->rejected, s->duplicates, s->seconds);
    for (int k = 0; k < INGEST_NKINDS; k++)
        if (s->by_kind[k])
            fprintf(stderr, "  rejected %-22s %zu\n", cv_ingest_reject_name((IngestReject)k),
                    s->by_kind[k]);
    if (c->train_extra.n)
        fprintf(stderr, "  %zu accepted rows from --train-extra, all in the train split\n",
                s->train_extra);
    if (c->ingest.standardize || c->ingest.tautomer)
        fprintf(stderr, "  standardization changed %zu of the rows kept\n", s->standardized);
    if (s->rejected) fprintf(stderr, "  reject report: %s\n", r->rejects);
    if (ok)
        fprintf(stderr, "  wrote %s: N=%zu (train %zu, valid %zu, test %zu) T=%zu V=%zu P=%zu%s\n",
                r->output, r->n, r->count[0], r->count[1], r->count[2], r->T, r->V, r->P,
                r->unk_rows ? " (some valid/test rows hold <unk>)" : "");
}

static CvStatus print_json(const CvIngestConfig *c, const CvIngestResult *r, CvError *err) {
    CvJson j = {0};
    cv_ingest_result_json(c, r, &j);
    const char *text = cv_json_text(&j, err);
    if (text) printf("%s\n", text);
    cv_json_free(&j);
    return text ? CV_OK : err->code;
}

static void print_csv(const char *input, const CvIngestResult *r) {
    const IngestStats *s = &r->stats;
    puts("input,output,rows,accepted,rejected,duplicates,seconds,train,valid,test,T,V,P");
    cv_csv_str(stdout, input);
    putchar(',');
    cv_csv_str(stdout, r->output);
    printf(",%zu,%zu,%zu,%zu,%.3f,%zu,%zu,%zu,%zu,%zu,%zu\n", s->rows, s->accepted, s->rejected,
           s->duplicates, s->seconds, r->count[0], r->count[1], r->count[2], r->T, r->V, r->P);
}

int cmd_ingest(int argc, char **argv) {
    IngestArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    cv_chem_log_rdkit(a.rdkit_log);
    CvHooks h;
    CliWatch watch;
    cli_hooks_init(&h, &watch, COMMAND.name);
    if (a.quiet) h.progress = NULL;
    CvIngestResult res;
    CvError err = {0};
    CvStatus st = cv_ingest(&a.job, &h, &res, &err);
    cli_watch_finish(&watch);
    if (res.counted && !a.quiet) print_summary(&a.job, &res, st == CV_OK);
    if (!st && !res.interrupted && a.json) st = print_json(&a.job, &res, &err);
    else if (!st && !res.interrupted) print_csv(a.job.input, &res);
    rc = st ? cli_report(COMMAND.name, &err) : res.interrupted ? 128 + res.interrupted : CLI_OK;
    cv_ingest_result_free(&res);
    return rc;
}
