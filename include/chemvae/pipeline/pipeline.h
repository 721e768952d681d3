/* pipeline.h — running a pipeline file (pipefile.h; format for users in pipelines/README.md):
 * its stages in order, each a `chemvae COMMAND ARGS...` child process, skipping the stages
 * already done. `chemvae pipeline run FILE` is the command-line caller.
 *
 * Child processes: each stage is fork + exec of the chemvae executable named in the config.
 * Chosen over calling a job in-process because every subcommand owns process state —
 * getopt globals, its SIGINT handler (train checkpoints on Ctrl-C), OpenBLAS thread count,
 * memory, exit codes — and a crash or leak in one stage must not take the runner down or
 * leak into the next stage. The child gets PR_SET_PDEATHSIG SIGKILL, so killing the runner
 * (even with SIGKILL) never leaves an orphan stage writing files. The stage's stdout (its
 * CSV result) is kept as STATE/<stage>.out; its stderr is the runner's. A stage that cannot
 * be executed says so on its stderr and exits 127. Each stage sees CV_PIPELINE_DEPTH_ENV one
 * higher than its runner; a runner CV_PIPELINE_MAX_DEPTH deep refuses to start (a pipeline
 * whose stage runs itself would otherwise fork without end).
 *
 * Skip rule: a stage's key is FNV-1a over its own hash (command, words, outputs, input file
 * contents: cv_pipefile_stage_hash) and the key and run of the stage before it, so a stage
 * re-runs when anything it reads changed OR any earlier stage re-ran (later stages may read
 * earlier results through the DB, which has no file hash). A stage is skipped when the
 * state file records it 'done' with the same key and its outputs exist. A stage recorded
 * 'started' with the same key was interrupted: it runs again with its `resume` words (train
 * continues from its last checkpoint); any other stage that runs first deletes its old
 * outputs. A stage with a `prebuilt` file that exists and that never started here is
 * skipped, the file copied to its first output (a shipped model stands in for training).
 * `from` runs that stage and every later one unconditionally.
 *
 * State: STATE/state (pipestate.h), rewritten after every transition. STATE is the
 * variable STATE of the file (or of the overrides), else results/${PIPELINE}; an flock on
 * STATE/lock keeps two runners apart.
 *
 * Outputs: the runner only removes or replaces files it made. An `out` path that exists
 * before its stage runs is removed only when the state records it as that stage's output
 * with the same contents (or as written by a run of the stage that did not finish);
 * anything else there (an input named as an output by mistake, a file of the user's) stops
 * the runner before the stage, naming the file, with nothing deleted. Hashes are taken when
 * the stage finishes.
 *
 * Results DB (the variable DB, else the config's default_db): one runs row of kind
 * 'pipeline' per invocation (config: file, state, from) and one of kind 'stage' per stage
 * that runs (parent = the pipeline row, config = its command line, key and outputs). ${RUN}
 * in a stage's words is that stage row's id, so `--parent-run ${RUN}` files the
 * subcommand's own run under it. Rows left 'running' by a killed runner are marked
 * 'interrupted' when the next runner starts.
 *
 * Interrupts: the caller's interrupted hook is polled before each stage and whenever a
 * signal interrupts the wait for a stage (a caller that catches SIGINT / SIGTERM without
 * SA_RESTART); a non-zero value is sent to the running stage as a signal (SIGINT when it
 * is not a signal number), which then ends as 'interrupted'. */
#ifndef CHEMVAE_PIPELINE_H
#define CHEMVAE_PIPELINE_H

#include <stddef.h>

#include "chemvae/app/app_params.h"
#include "chemvae/core/error.h"
#include "chemvae/pipeline/pipestate.h"

/* Environment variable carrying the runner nesting depth to the stages. */
#define CV_PIPELINE_DEPTH_ENV "CHEMVAE_PIPELINE_DEPTH"
#define CV_PIPELINE_MAX_DEPTH 8

/* The most overrides one run takes. */
#define CV_PIPELINE_MAX_SETS 62

/* Overrides of the file's variables, in the order given (a later one wins): "NAME=VALUE"
 * strings. The parameters db FILE and state DIR (cv_pipeline_params) add "DB=FILE" and
 * "STATE=DIR", written into db / state, which v then points into: such a struct is not to be
 * copied. */
typedef struct {
    const char *v[CV_PIPELINE_MAX_SETS]; /* borrowed, or into db / state */
    size_t n;
    char db[CV_PIPESTATE_PATH_MAX + 8], state[CV_PIPESTATE_PATH_MAX + 8];
} CvPipelineSets;

typedef struct {
    const char *file;       /* the pipeline file */
    CvPipelineSets sets;    /* winning over the file's `set` lines; DB=... and STATE=... choose
                               the results DB and state dir */
    const char *from;       /* NULL, or the stage that runs, with every later one, even if done */
    int dry_run;            /* report (events) what would run; run, copy and record nothing
                               (the state directory and its lock file are still created) */
    const char *exe;        /* the chemvae executable the stages run */
    const char *default_db; /* the results DB when DB is not set */
} CvPipelineConfig;

/* The runner's parameters (app_params.h): from STAGE, set NAME=VALUE, db FILE, state DIR
 * (each of the three adds to sets: CV_ERR_INVALID past CV_PIPELINE_MAX_SETS or for a path
 * longer than CV_PIPESTATE_PATH_MAX - 1), dry-run. file, exe and default_db are the caller's;
 * the help texts name the command line's default DB (results/chemvae.db). */
extern const CvParamTable cv_pipeline_params;

/* What happened to a stage. */
typedef enum {
    CV_STAGE_NOT_REACHED = 0, /* the runner stopped before it */
    CV_STAGE_RAN,
    CV_STAGE_RESUMED,     /* an interrupted run continued with the `resume` words */
    CV_STAGE_SKIPPED,     /* done before with the same key, outputs present */
    CV_STAGE_PREBUILT,    /* its prebuilt file stands in for it */
    CV_STAGE_FAILED,      /* non-zero exit, killed, or an output missing */
    CV_STAGE_INTERRUPTED, /* stopped by a signal (the next run continues it) */
    CV_STAGE_WOULD_RUN,   /* dry run: would have run */
} CvStageAction;

/* "not_reached", "ran", "resumed", "skipped", "prebuilt", "failed", "interrupted",
 * "would_run". */
const char *cv_stage_action_name(CvStageAction a);

/* Why a stage runs. */
typedef enum {
    CV_STAGE_NEW,            /* never ran here */
    CV_STAGE_CONTINUING,     /* recorded 'started' with the same key: resumed */
    CV_STAGE_FORCED,         /* at or after `from` */
    CV_STAGE_INPUTS_CHANGED, /* its key changed (or an earlier stage re-ran, or an output
                                is missing) */
} CvStageReason;

/* How an event line says why a stage runs: "running" (new), "resuming", "forced",
 * "inputs changed". */
const char *cv_stage_reason_text(CvStageReason why);

typedef enum {
    CV_PIPE_STATE_RESET,        /* the state file is unreadable: every stage runs (message) */
    CV_PIPE_INTERRUPTED_BEFORE, /* stopped before the stage started */
    CV_PIPE_PREBUILT,           /* skipped for its prebuilt file (path; copied_to when the
                                   file is copied to its first output) */
    CV_PIPE_SKIPPED,            /* done by run `run`, inputs unchanged */
    CV_PIPE_WOULD_RUN,          /* dry run: reason, command; command NULL when its key depends
                                   on inputs the stages before it would make */
    CV_PIPE_STARTED,            /* the child is about to start (reason, command, run) */
    CV_PIPE_OUTPUT_MISSING,     /* the stage exited 0 without creating output `path` */
    CV_PIPE_STAGE_FAILED,       /* exit_code (>= 0) or, when killed, term_signal; command */
    CV_PIPE_STAGE_INTERRUPTED,  /* the stage stopped for an interrupt */
} CvPipelineEventKind;

/* One event of a run; every pointer is valid during the callback only. */
typedef struct {
    CvPipelineEventKind kind;
    size_t stage;         /* index in the file */
    const char *name;     /* the stage's name */
    CvStageReason reason; /* STARTED, WOULD_RUN */
    const char *command;  /* COMMAND ARGS... as one shell-quoted line (no executable) */
    const char *path;     /* PREBUILT: the prebuilt file; OUTPUT_MISSING: the output */
    const char *copied_to;
    const char *message; /* STATE_RESET */
    long long run;       /* SKIPPED: the run that did it; STARTED: the stage's runs row */
    int exit_code;       /* STAGE_FAILED: exit status, or -1 when killed by term_signal */
    int term_signal;     /* STAGE_FAILED: the signal that killed it, else 0 */
} CvPipelineEvent;

/* What ev says, as one line without a newline, written into buf (cap bytes, cut to fit;
 * 4096 holds any event): "train        running: chemvae train --data ...", "stage 'x'
 * failed (exit 1): chemvae ...". Returns buf. */
const char *cv_pipeline_event_text(const CvPipelineEvent *ev, char *buf, size_t cap);

typedef struct {
    /* Each event as it happens, in order. NULL: none. */
    void (*event)(void *user, const CvPipelineEvent *ev);
    /* Non-zero asks the runner to stop (see Interrupts above). NULL: never. */
    int (*interrupted)(void *user);
    void *user;
} CvPipelineHooks;

typedef enum {
    CV_PIPELINE_DONE = 0,     /* every stage ran or was skipped */
    CV_PIPELINE_STAGE_FAILED, /* stopped at a failed stage */
    CV_PIPELINE_INTERRUPTED,  /* stopped by an interrupt */
} CvPipelineOutcome;

typedef struct {
    char *name;
    CvStageAction action;
    long long run;  /* its runs row (for SKIPPED the earlier run); 0 when none or WOULD_RUN */
    double seconds; /* wall time of its child process */
} CvPipelineStage;

typedef struct {
    CvPipelineStage *stages; /* (nstages) in file order; NULL when the runner stopped before
                                setting up the state directory */
    size_t nstages;
    size_t ran;      /* stages that ran (dry run: would run) */
    size_t skipped;  /* skipped or prebuilt */
    char *state_dir; /* NULL when stages is */
    long long run;   /* the pipeline's runs row; 0 in a dry run */
    CvPipelineOutcome outcome;
    int from_unknown; /* cfg->from names no stage (the error lists the stages) */
} CvPipelineResult;

/* Runs the pipeline cfg->file as described above, reporting through hooks (NULL-able).
 * CV_OK when the runner did its job, even when a stage failed or it was interrupted:
 * res->outcome says which. An error (err set, the pipeline's runs row marked failed):
 * CV_ERR_PARSE / CV_ERR_EMPTY / CV_ERR_IO for the pipeline file, CV_ERR_INVALID for a
 * `from` that names no stage (res->from_unknown set) or for nesting deeper than
 * CV_PIPELINE_MAX_DEPTH, CV_ERR_IO for an output the runner did not make, a state
 * directory in use by another runner or a failed fork, store and memory errors as they
 * come. *res is filled in every case (free with cv_pipeline_result_free). */
CvStatus cv_pipeline_run(const CvPipelineConfig *cfg, const CvPipelineHooks *hooks,
                         CvPipelineResult *res, CvError *err);
void cv_pipeline_result_free(CvPipelineResult *res);

#endif
