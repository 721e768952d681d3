/* cmd_report.c — `chemvae report`: the HTML report (include/chemvae/report/report.h) from the
 * command line, its options cv_report_params. Prints the page's path and size as CSV on
 * stdout; problems the page was written around (a section whose read failed, a latent map
 * the inputs cannot give) go to stderr as they happen. */
#include <stdio.h>
#include <string.h>

#include "chemvae/chem/chem.h"
#include "chemvae/core/csvout.h"
#include "chemvae/report/report.h"
#include "cli.h"
#include "options.h"

/* The report records no run, so no option is stored as a run config. */
static const CliCommand COMMAND = {
    .name = "report",
    .synopsis = "[options] [--compare MODEL [MODEL...]]",
    .intro = "Writes a self-contained HTML report (inline SVG, no scripts, no network): training\n"
             "curves, evaluation metrics, why decodes failed, property distributions against the\n"
             "training set, a PCA map of the latent space with sampled and optimized points, KL\n"
             "per latent dimension, the head's predictions, the best molecules drawn by RDKit\n"
             "with their nearest training neighbours, interpolation, optimization, and models\n"
             "side by side.\n",
    .tables = {{&cv_report_params, 0}},
    .epilog = "Prints 'report,bytes' CSV on stdout.\n",
    .max_operands = -1};

/* The report's warnings: "chemvae report: <msg>" on stderr. */
static void print_warning(void *user, const char *msg) {
    (void)user;
    fprintf(stderr, "chemvae %s: ", COMMAND.name);
    cli_put_safe(stderr, msg);
    fputc('\n', stderr);
}

int cmd_report(int argc, char **argv) {
    CvReportConfig cfg = CV_REPORT_DEFAULTS;
    int first = argc;
    cfg.db_path = CLI_DEFAULT_DB;
    cfg.out_path = "results/report.html";
    int rc = cli_options_parse(&COMMAND, argc, argv, &cfg, &first), k = first;
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    for (CvError e = {0}; k < argc; k++) /* further models of --compare M1 M2 ... */
        if (!cfg.compare.n || CV_PARAM_STRINGS.parse("--compare", argv[k], &cfg.compare, &e))
            return cli_usage_error(COMMAND.name, "%s",
                                   cfg.compare.n ? e.msg : "operands are models of --compare");
    if (!cfg.model != !cfg.data)
        return cli_usage_error(COMMAND.name, "--model and --data go together");
    cfg.warn = print_warning;
    cv_chem_log_rdkit(0);
    CvError err = {0};
    CvReportResult res;
    if (cv_report_write(&cfg, NULL, &res, &err)) return cli_report(COMMAND.name, &err);
    printf("report,bytes\n");
    cv_csv_field(stdout, cfg.out_path, strlen(cfg.out_path), CV_CSV_ESCAPE_BYTES);
    printf(",%lld\n", (long long)res.bytes);
    return CLI_OK;
}
