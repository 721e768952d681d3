/* cmd_pipeline.c — `chemvae pipeline run FILE`: the pipeline runner
 * (include/chemvae/pipeline/pipeline.h) from the command line. The stages run this very executable
 * (/proc/self/exe). Each event of the run is one line on stderr ("chemvae pipeline: <stage> <what
 * happened>"); stdout gets one row per stage (stage,action,run_id,seconds) unless --dry-run. SIGINT
 * / SIGTERM stop the runner, which passes them on to the running stage; the exit status is then
 * 130.
 *
 * --db FILE and --state DIR are --set DB=... and --set STATE=...: all three add an override
 * of the file's variables, in the order given. The pipeline's runs row stores its own
 * config (file, state, from), so this table's config is not used. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/data/csvin.h"
#include "chemvae/pipeline/pipeline.h"
#include "cli.h"
#include "options.h"

enum { MAX_SETS = 62 };

typedef struct {
    const char *v[MAX_SETS]; /* "NAME=VALUE", borrowed from argv or from db / state */
    size_t n;
    char db[PATH_MAX + 8], state[PATH_MAX + 8]; /* "DB=" / "STATE=" of the last --db / --state */
} PipelineSets;

typedef struct {
    const char *from;
    int dry_run;
    PipelineSets sets;
} PipelineArgs;

static CvStatus add_set(PipelineSets *s, const char *text, CvError *err) {
    if (s->n == MAX_SETS) return cv_error_set(err, CV_ERR_INVALID, "too many --set options");
    s->v[s->n++] = text;
    return CV_OK;
}

static CvStatus parse_set(const char *opt, const char *arg, void *field, CvError *err) {
    (void)opt;
    return add_set(field, arg, err);
}

static CvStatus parse_db(const char *opt, const char *arg, void *field, CvError *err) {
    PipelineSets *s = field;
    (void)opt;
    snprintf(s->db, sizeof s->db, "DB=%s", arg);
    return add_set(s, s->db, err);
}

static CvStatus parse_state(const char *opt, const char *arg, void *field, CvError *err) {
    PipelineSets *s = field;
    (void)opt;
    snprintf(s->state, sizeof s->state, "STATE=%s", arg);
    return add_set(s, s->state, err);
}

static void sets_json(CvJson *j, const void *field) {
    const PipelineSets *s = field;
    cv_json_begin_array(j);
    for (size_t i = 0; i < s->n; i++) cv_json_string(j, s->v[i]);
    cv_json_end_array(j);
}

static const CvParamType PIPE_SET = {1, "NAME=VALUE", parse_set, sets_json};
static const CvParamType PIPE_DB = {1, "FILE", parse_db, sets_json};
static const CvParamType PIPE_STATE = {1, "DIR", parse_state, sets_json};

#define F(field) offsetof(PipelineArgs, field)
static const CvParam OPTS[] = {
    CV_PARAM("from", 0, CV_PARAM_STRING, F(from), "STAGE",
             "run STAGE and every later stage even if done"),
    CV_PARAM("set", 0, PIPE_SET, F(sets), NULL,
             "set a pipeline variable (wins over the file's 'set')"),
    CV_PARAM("db", 0, PIPE_DB, F(sets), NULL,
             "results DB (same as --set DB=FILE; default: the file's DB,\nelse " CLI_DEFAULT_DB
             ")"),
    CV_PARAM("state", 0, PIPE_STATE, F(sets), NULL,
             "state directory (same as --set STATE=DIR; default\nresults/<pipeline name>)"),
    CV_PARAM("dry-run", 0, CV_PARAM_SWITCH, F(dry_run), NULL, "print what would run, run nothing"),
};
static const CvParamTable OPTS_TABLE = CV_PARAM_TABLE(OPTS);
#undef F

static const CliCommand COMMAND = {
    .name = "pipeline",
    .synopsis = "run FILE [options]",
    .intro = "Runs the stages of a pipeline file (format: pipelines/README.md) as chemvae\n"
             "subcommands. Stages whose inputs did not change since they last finished are\n"
             "skipped; an interrupted stage continues (training from its last checkpoint).\n",
    .tables = {{&OPTS_TABLE, 0}},
    .epilog = "stdout: stage,action,run_id,seconds (action: ran, resumed, skipped, prebuilt,\n"
              "failed, interrupted, not_reached; run_id: the stage's runs row)\n",
    .max_operands = -1};

/* Parses the options and `run FILE` (*file). */
static int parse_args(int argc, char **argv, PipelineArgs *a, const char **file) {
    const char *cmd = COMMAND.name;
    memset(a, 0, sizeof *a);
    int first = 0, rc = cli_options_parse(&COMMAND, argc, argv, a, &first);
    if (rc) return rc;
    if (first >= argc) return cli_usage_error(cmd, "expected 'run FILE'");
    if (strcmp(argv[first], "run") != 0)
        return cli_usage_error(cmd, "unknown action '%s' (expected 'run')", argv[first]);
    if (first + 2 != argc) return cli_usage_error(cmd, "'run' takes exactly one pipeline file");
    *file = argv[first + 1];
    return CLI_OK;
}

static const char *reason_text(CvStageReason why) {
    switch (why) {
    case CV_STAGE_CONTINUING:
        return "resuming";
    case CV_STAGE_FORCED:
        return "forced";
    case CV_STAGE_NEW:
        return "running";
    case CV_STAGE_INPUTS_CHANGED:
        break;
    }
    return "inputs changed";
}

/* One line on stderr per event of the run. */
static void print_event(void *user, const CvPipelineEvent *ev) {
    (void)user;
    const char *name = ev->name, *to = ev->copied_to;
    switch (ev->kind) {
    case CV_PIPE_STATE_RESET:
        fprintf(stderr, "chemvae pipeline: %s; running every stage\n", ev->message);
        break;
    case CV_PIPE_INTERRUPTED_BEFORE:
    case CV_PIPE_STAGE_INTERRUPTED:
        fprintf(stderr,
                "chemvae pipeline: interrupted %s stage '%s'; run the same command again to "
                "continue\n",
                ev->kind == CV_PIPE_INTERRUPTED_BEFORE ? "before" : "in", name);
        break;
    case CV_PIPE_PREBUILT:
        fprintf(stderr, "chemvae pipeline: %-12s skipped: prebuilt %s exists%s%s\n", name, ev->path,
                to ? "; copied to " : "", to ? to : "");
        break;
    case CV_PIPE_SKIPPED:
        fprintf(stderr, "chemvae pipeline: %-12s skipped: done (run %lld), inputs unchanged\n",
                name, ev->run);
        break;
    case CV_PIPE_WOULD_RUN:
        if (!ev->command)
            fprintf(stderr, "chemvae pipeline: %-12s would run (after the stages before it)\n",
                    name);
        else
            fprintf(stderr, "chemvae pipeline: %-12s would run (%s): chemvae %s\n", name,
                    reason_text(ev->reason), ev->command);
        break;
    case CV_PIPE_STARTED:
        fprintf(stderr, "chemvae pipeline: %-12s %s: chemvae %s\n", name, reason_text(ev->reason),
                ev->command);
        break;
    case CV_PIPE_OUTPUT_MISSING:
        fprintf(stderr, "chemvae pipeline: stage '%s' finished but did not create %s\n", name,
                ev->path);
        break;
    case CV_PIPE_STAGE_FAILED:
        if (ev->exit_code >= 0)
            fprintf(stderr, "chemvae pipeline: stage '%s' failed (exit %d): chemvae %s\n", name,
                    ev->exit_code, ev->command);
        else
            fprintf(stderr, "chemvae pipeline: stage '%s' killed by signal %d\n", name,
                    ev->term_signal);
        break;
    }
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
        cv_csvin_write_field(stdout, s->name, strlen(s->name));
        printf(",%s,%lld,%.1f\n", cv_stage_action_name(s->action), s->run, s->seconds);
    }
}

int cmd_pipeline(int argc, char **argv) {
    PipelineArgs a;
    const char *file = NULL;
    int rc = parse_args(argc, argv, &a, &file);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    char exe[PATH_MAX];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (el <= 0) {
        fprintf(stderr,
                "chemvae pipeline: cannot find the chemvae executable (/proc/self/exe): %s\n",
                strerror(errno));
        return CLI_ERROR;
    }
    exe[el] = 0;
    CvPipelineConfig cfg = {.file = file,
                            .sets = a.sets.v,
                            .nsets = a.sets.n,
                            .from = a.from,
                            .dry_run = a.dry_run,
                            .exe = exe,
                            .default_db = CLI_DEFAULT_DB};
    CvPipelineHooks hooks = {.event = print_event, .interrupted = interrupted_hook};
    CvPipelineResult res;
    CvError err = {0};
    cli_catch_interrupts(); /* without SA_RESTART: the wait for a stage sees the signal */
    CvStatus st = cv_pipeline_run(&cfg, &hooks, &res, &err);
    if (st) { /* an unknown --from is a usage error */
        cli_report(COMMAND.name, &err);
        rc = res.from_unknown ? CLI_USAGE : CLI_ERROR;
    } else if (res.outcome == CV_PIPELINE_INTERRUPTED) rc = 130;
    else if (res.outcome == CV_PIPELINE_STAGE_FAILED) rc = CLI_ERROR;
    else
        fprintf(stderr, "chemvae pipeline: %s: %zu stage%s %s, %zu skipped; state in %s\n", file,
                res.ran, res.ran == 1 ? "" : "s", a.dry_run ? "would run" : "ran", res.skipped,
                res.state_dir);
    if (res.stages && !a.dry_run) print_stages(&res);
    cv_pipeline_result_free(&res);
    return rc;
}
