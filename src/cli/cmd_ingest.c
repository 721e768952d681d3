/* cmd_ingest.c — `chemvae ingest`: the ingest job (app_ingest.h) from the command line:
 * CSV → .cvds dataset. Prints the summary counts (stdout: CSV or JSON, --format csv|json;
 * stderr: one human line per count; both app_ingest.h's), the reject file path, and fails
 * (exit 1) on I/O errors or when no row is usable. A progress bar on stderr when it is a
 * terminal; SIGINT / SIGTERM stop the job between batches, with nothing written (exit 128 +
 * signal). */
#include <stdio.h>
#include <string.h>

#include "chemvae/app/app_ingest.h"
#include "chemvae/app/app_rows.h"
#include "chemvae/chem/chem.h"
#include "cli.h"
#include "options.h"

typedef struct {
    CvIngestConfig job;
    CvRowsFormat format;
    int quiet, rdkit_log;
} IngestArgs;

#define F(field) offsetof(IngestArgs, field)
static const CvParam OWN[] = {
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
    .tables = {{&cv_ingest_params, offsetof(IngestArgs, job)},
               {&cv_rows_csv_json_params, offsetof(IngestArgs, format)},
               {&OWN_TABLE, 0}},
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
    if (res.counted && !a.quiet) cv_ingest_summary(&a.job, &res, st == CV_OK, stderr);
    if (!st && !res.interrupted)
        st = cv_ingest_result_write(stdout, &a.job, &res, a.format == CV_ROWS_JSON, &err);
    rc = st ? cli_report(COMMAND.name, &err) : res.interrupted ? 128 + res.interrupted : CLI_OK;
    cv_ingest_result_free(&res);
    return rc;
}
