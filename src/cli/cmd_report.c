/* cmd_report.c — `chemvae report`: the HTML report (include/chemvae/report/report.h) from the
 * command line. Prints the page's path and size as CSV on stdout; problems the page was
 * written around (a section whose read failed, a latent map the inputs cannot give) go to
 * stderr as they happen. */
#include <stdio.h>
#include <string.h>

#include "chemvae/chem/chem.h"
#include "chemvae/data/csvin.h"
#include "chemvae/report/report.h"
#include "cli.h"
#include "options.h"

typedef struct {
    const char *db_path, *run, *out, *model, *data, *color_by, *score;
    long pca_max, top;
} ReportArgs;

static CvStatus parse_score(const char *opt, const char *arg, void *field, CvError *err) {
    (void)opt;
    if (!cv_report_score_label(arg)) {
        cv_error_set(err, CV_ERR_INVALID, "--score must be qed, penalized_logp, logp, sa or mw");
        return CV_ERR_INVALID;
    }
    *(const char **)field = arg;
    return CV_OK;
}
static void score_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const char *const *)field);
}
/* --score: one of the report's score names */
static const CvParamType REPORT_SCORE = {1, "NAME", parse_score, score_json};

/* The report records no run, so no option is stored as a run config. */
#define F(field) offsetof(ReportArgs, field)
static const CvParam OPTS[] = {
    CV_PARAM("db", 0, CV_PARAM_STRING, F(db_path), "FILE",
             "results DB (default " CLI_DEFAULT_DB ")"),
    CV_PARAM("run", 0, CV_PARAM_STRING, F(run), "ID|latest",
             "only this run and the runs under it (e.g. a pipeline\nrun); 'latest' = the newest "
             "pipeline run (default: whole\nDB, the latest run of each kind)"),
    CV_PARAM("out", 0, CV_PARAM_STRING, F(out), "FILE",
             "HTML file to write (default results/report.html)"),
    CV_PARAM("model", 0, CV_PARAM_STRING, F(model), "FILE",
             "checkpoint for the latent-space map (with --data)"),
    CV_PARAM("data", 0, CV_PARAM_STRING, F(data), "FILE",
             "dataset (.cvds) whose test molecules are mapped"),
    CV_PARAM("color-by", 0, CV_PARAM_STRING, F(color_by), "NAME",
             "property colouring the map (default: the dataset's first)"),
    CV_PARAM("pca-max", 0, CV_PARAM_LONG, F(pca_max), "N",
             "molecules encoded for the map (default 2000)"),
    CV_PARAM("score", 0, REPORT_SCORE, F(score), "NAME",
             "ranking of the top molecules: qed (default),\npenalized_logp, logp, sa (lower is "
             "better), mw;\noptimization trajectories use the run's objective\nwhen it is one of "
             "these, else this score"),
    CV_PARAM("top", 0, CV_PARAM_LONG, F(top), "N", "molecules in the top grid (default 12)"),
};
static const CvParamTable OPTS_TABLE = CV_PARAM_TABLE(OPTS);
#undef F

static const CliCommand COMMAND = {
    .name = "report",
    .synopsis = "[options]",
    .intro = "Writes a self-contained HTML report (inline SVG, no scripts, no network): training\n"
             "curves, evaluation metrics, a PCA map of the latent space, the best generated and\n"
             "optimized molecules drawn by RDKit, the interpolation path and the optimization\n"
             "trajectories.\n",
    .tables = {{&OPTS_TABLE, 0}},
    .epilog = "Prints 'report,bytes' CSV on stdout.\n",
    .max_operands = 0};

/* The options into a report config; a usage error (CLI_USAGE) or CLI_HELP_SHOWN, else
 * CLI_OK. */
static int parse_args(int argc, char **argv, ReportArgs *a, CvReportConfig *cfg) {
    CvReportConfig d = CV_REPORT_DEFAULTS;
    *a = (ReportArgs){.db_path = CLI_DEFAULT_DB,
                      .out = "results/report.html",
                      .score = d.score,
                      .pca_max = (long)d.pca_max,
                      .top = d.top};
    int rc = cli_options_parse(&COMMAND, argc, argv, a, NULL);
    if (rc) return rc;
    const char *cmd = COMMAND.name;
    if (a->top < 1 || a->top > CV_REPORT_MAX_TOP)
        return cli_usage_error(cmd, "--top must be 1..%d", CV_REPORT_MAX_TOP);
    if (!a->model != !a->data) return cli_usage_error(cmd, "--model and --data go together");
    long run = 0;
    if (a->run && !strcmp(a->run, "latest")) run = CV_REPORT_RUN_LATEST;
    else if (a->run && cli_parse_long(cmd, "--run", a->run, &run)) return CLI_USAGE;
    else if (a->run && run == 0) return cli_usage_error(cmd, "--run must be a run id or 'latest'");
    *cfg = d;
    cfg->db_path = a->db_path;
    cfg->out_path = a->out;
    cfg->run = run;
    cfg->run_label = a->run;
    cfg->model = a->model;
    cfg->data = a->data;
    cfg->color_by = a->color_by;
    cfg->pca_max = (size_t)a->pca_max;
    cfg->score = a->score;
    cfg->top = (int)a->top;
    return CLI_OK;
}

/* The report's warnings: "chemvae report: <msg>" on stderr. */
static void print_warning(void *user, const char *msg) {
    (void)user;
    fprintf(stderr, "chemvae %s: ", COMMAND.name);
    cli_put_safe(stderr, msg);
    fputc('\n', stderr);
}

int cmd_report(int argc, char **argv) {
    ReportArgs a;
    CvReportConfig cfg;
    int rc = parse_args(argc, argv, &a, &cfg);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    cfg.warn = print_warning;
    cv_chem_log_rdkit(0);
    CvError err = {0};
    CvReportResult res;
    if (cv_report_write(&cfg, NULL, &res, &err)) return cli_report(COMMAND.name, &err);
    printf("report,bytes\n");
    cv_csvin_write_field(stdout, a.out, strlen(a.out));
    printf(",%lld\n", (long long)res.bytes);
    return CLI_OK;
}
