/* stage_child.h — the child-process side of the pipeline runner (internal to src/pipeline/):
 * a stage's command line, and running it as a child with its stdout kept in a file. */
#ifndef CHEMVAE_PIPELINE_STAGE_CHILD_H
#define CHEMVAE_PIPELINE_STAGE_CHILD_H

#include <stddef.h>

#include "chemvae/core/buf.h"
#include "chemvae/core/error.h"
#include "chemvae/pipeline/pipefile.h"
#include "chemvae/pipeline/pipeline.h"

/* The command line of one stage. argv points into the PipeStage and the executable name
 * (borrowed) except where ${RUN} was replaced (owned copies). */
typedef struct {
    char **argv;  /* (cap) executable, command, args, [resume words], NULL */
    char **owned; /* (cap) the copies made by pipestage_argv_subst_run, else NULL */
    size_t n;     /* words before the NULL */
    size_t cap;
    CvBuf line; /* argv[1..n) as one shell-like line (pipestage_argv_format) */
} StageArgv;

/* Sets a to `exe COMMAND ARGS...` of st, with its resume words when `resuming`, releasing
 * the copies of the previous stage. CV_ERR_NOMEM. */
CvStatus pipestage_argv_build(StageArgv *a, const char *exe, const PipeStage *st, int resuming,
                              CvError *err);
/* Replaces ${RUN} by `run` in every word after the command. CV_ERR_NOMEM. */
CvStatus pipestage_argv_subst_run(StageArgv *a, long long run, CvError *err);
/* Rebuilds a->line from the current words, quoting those with blanks, quotes, $ or \ and
 * empty ones. CV_ERR_NOMEM. */
CvStatus pipestage_argv_format(StageArgv *a, CvError *err);
/* Frees the ${RUN} copies (argv then points at freed words until the next build). */
void pipestage_argv_release(StageArgv *a);
void pipestage_argv_free(StageArgv *a);

/* How many pipeline runners are above this process (CV_PIPELINE_DEPTH_ENV). */
int pipestage_depth(void);

/* Runs argv (argv[0] the executable) as a child with stdout into out_path (written to a
 * temporary file, renamed when the child exits 0, else removed) and the depth variable one
 * higher; the child dies with the runner. While waiting, an EINTR polls hooks->interrupted
 * and sends its value to the child once. *wait_status: the child's wait status. CV_ERR_IO
 * (out_path's temporary file, fork, waitpid, the rename). */
CvStatus pipestage_run_child(char *const *argv, const char *out_path, const CvPipelineHooks *hooks,
                             int *wait_status, CvError *err);

#endif
