/* cmd_pipeline.c — `chemvae pipeline run FILE`: the pipeline runner
 * (include/chemvae/pipeline/pipeline.h) from the command line. The stages run this very executable
 * (/proc/self/exe). Each event of the run is one line on stderr ("chemvae pipeline: <stage> <what
 * happened>"); stdout gets one row per stage (stage,action,run_id,seconds) unless --dry-run. SIGINT
 * / SIGTERM stop the runner, which passes them on to the running stage; the exit status is then
 * 130. The options are cv_pipeline_params; the pipeline's runs row stores its own config
 * (file, state, from), so the table's config is not used. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/core/csvout.h"
#include "chemvae/pipeline/pipeline.h"
#include "cli.h"
#include "options.h"

static const CliCommand COMMAND = {
    .name = "pipeline",
    .synopsis = "run FILE [options]",
    .intro = "Runs the stages of a pipeline file (format: pipelines/README.md) as chemvae\n"
             "subcommands. Stages whose inputs did not change since they last finished are\n"
             "skipped; an interrupted stage continues (training from its last checkpoint).\n",
    .tables = {{&cv_pipeline_params, 0}},
    .epilog = "stdout: stage,action,run_id,seconds (action: ran, resumed, skipped, prebuilt,\n"
              "failed, interrupted, not_reached; run_id: the stage's runs row)\n",
    .max_operands = -1};

/* Parses the options and `run FILE` into *c. */
static int parse_args(int argc, char **argv, CvPipelineConfig *c) {
    const char *cmd = COMMAND.name;
    memset(c, 0, sizeof *c);
    int first = 0, rc = cli_options_parse(&COMMAND, argc, argv, c, &first);
    if (rc) return rc;
    if (first >= argc) return cli_usage_error(cmd, "expected 'run FILE'");
    if (strcmp(argv[first], "run") != 0)
        return cli_usage_error(cmd, "unknown action '%s' (expected 'run')", argv[first]);
    if (first + 2 != argc) return cli_usage_error(cmd, "'run' takes exactly one pipeline file");
    c->file = argv[first + 1];
    c->default_db = CLI_DEFAULT_DB;
    return CLI_OK;
}

/* One line on stderr per event of the run. */
static void print_event(void *user, const CvPipelineEvent *ev) {
    (void)user;
    char line[4096];
    fprintf(stderr, "chemvae pipeline: %s\n", cv_pipeline_event_text(ev, line, sizeof line));
}

static int interrupted_hook(void *user) {
    (void)user;
    return cli_interrupted();
}

/* The result on stdout: one row per stage. */
static void print_stages(const CvPipelineResult *r) {
    printf("stage,action,run_id,seconds\n");
    for (size_t i = 0; i < r->nstages; i++) {
        const CvPipelineStage *s = &r->stages[i];
        cv_csv_field(stdout, s->name, strlen(s->name), CV_CSV_ESCAPE_BYTES);
        printf(",%s,%lld,%.1f\n", cv_stage_action_name(s->action), s->run, s->seconds);
    }
}

int cmd_pipeline(int argc, char **argv) {
    CvPipelineConfig cfg;
    int rc = parse_args(argc, argv, &cfg);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    CvError err = {0};
    char exe[PATH_MAX];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (el <= 0) {
        cv_error_set(&err, CV_ERR_IO, "cannot find the chemvae executable (/proc/self/exe): %s",
                     strerror(errno));
        return cli_report(COMMAND.name, &err);
    }
    exe[el] = 0;
    cfg.exe = exe;
    CvPipelineHooks hooks = {.event = print_event, .interrupted = interrupted_hook};
    CvPipelineResult res;
    cli_catch_interrupts(); /* without SA_RESTART: the wait for a stage sees the signal */
    CvStatus st = cv_pipeline_run(&cfg, &hooks, &res, &err);
    if (st) { /* an unknown --from is a usage error */
        cli_report(COMMAND.name, &err);
        rc = res.from_unknown ? CLI_USAGE : CLI_ERROR;
    } else if (res.outcome == CV_PIPELINE_INTERRUPTED) rc = 130;
    else if (res.outcome == CV_PIPELINE_STAGE_FAILED) rc = CLI_ERROR;
    else
        fprintf(stderr, "chemvae pipeline: %s: %zu stage%s %s, %zu skipped; state in %s\n",
                cfg.file, res.ran, res.ran == 1 ? "" : "s", cfg.dry_run ? "would run" : "ran",
                res.skipped, res.state_dir);
    if (res.stages && !cfg.dry_run) print_stages(&res);
    cv_pipeline_result_free(&res);
    return rc;
}
