/* cmd_metrics.c — `chemvae metrics GEN [--train FILE] [--test FILE]`: the metrics job
 * (app_metrics.h) from the command line; metric,value rows (or --format json) on stdout, the
 * job's notes (FCD, unique@K over fewer than K, strings left out, filter failures) on
 * stderr. */
#include "chemvae/app/app_metrics.h"
#include "chemvae/app/app_rows.h"
#include "cli.h"
#include "options.h"

typedef struct {
    CvMetricsConfig job;
    CvRowsFormat format;
} MetricsArgs;

static const CliCommand COMMAND = {
    .name = "metrics",
    .synopsis = "GEN [--train FILE] [--test FILE] [options]",
    .intro = "MOSES's metrics of the generated molecules in GEN (README \"Metrics\").\n",
    .tables = {{&cv_metrics_params, offsetof(MetricsArgs, job)},
               {&cv_rows_csv_json_params, offsetof(MetricsArgs, format)}},
    .epilog = "stdout: metric,value; stderr: notes (FCD is not computed: no Debian package\n"
              "ships ChemNet's weights)\n",
    .min_operands = 1,
    .max_operands = 1};

int cmd_metrics(int argc, char **argv) {
    MetricsArgs a = {0};
    int first, rc = cli_options_parse(&COMMAND, argc, argv, &a, &first);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    a.job.gen = argv[first];
    cv_chem_log_rdkit(0);
    CvMetricsResult res;
    CvError err = {0};
    if (cv_metrics(&a.job, &res, &err)) return cli_report(COMMAND.name, &err);
    for (size_t i = 0; i < res.n_notes; i++) fprintf(stderr, "chemvae metrics: %s\n", res.notes[i]);
    cv_eval_metrics_write(stdout, res.metrics, res.n_metrics, a.format == CV_ROWS_JSON);
    return CLI_OK;
}
