/* pipestate.h — the pipeline runner's state file (STATE/state): which stage ran with which
 * key and run, and which output files the runner wrote for each stage. Text, rewritten
 * atomically after every transition:
 *   chemvae-pipeline-state 2
 *   pipeline <run id of the last runner>
 *   stage <name> <started|done|prebuilt> <key> <stage run id>
 *   output <stage name> <FNV-1a 64 of the file, or - while the stage runs> <path>
 * Version 1 files (no output lines) are read too. Lines about stages or outputs the
 * pipeline file no longer has are dropped. */
#ifndef CHEMVAE_PIPESTATE_H
#define CHEMVAE_PIPESTATE_H

#include <limits.h>

#include "chemvae/core/error.h"
#include "chemvae/pipeline/pipefile.h"

typedef enum { PIPE_NONE = 0, PIPE_STARTED, PIPE_DONE, PIPE_PREBUILT } PipeStatus;

typedef struct {
    PipeStatus status;
    char key[17];      /* 16 hex digits, "" when never run */
    long long run;     /* the stage's runs row */
    char (*owned)[17]; /* (outputs.n) per output: "" not written by the runner, "-" written
                          by a run that did not finish, else the hash of what it wrote */
} PipeStageRecord;

/* Longest state directory name, NUL included (Linux's PATH_MAX, which strict C11 headers
 * do not declare). */
#define CV_PIPESTATE_PATH_MAX 4096

typedef struct {
    char dir[CV_PIPESTATE_PATH_MAX];
    char file[CV_PIPESTATE_PATH_MAX + 8]; /* dir/state */
    long long last_pipeline;
    PipeStageRecord *rec; /* (nstages) in pipeline order */
} PipeState;

/* Empty state for the stages of pf in directory `dir`. CV_ERR_NOMEM, CV_ERR_INVALID for a
 * directory name longer than CV_PIPESTATE_PATH_MAX. Free with cv_pipestate_free. */
CvStatus cv_pipestate_init(PipeState *s, const PipeFile *pf, const char *dir, CvError *err);
void cv_pipestate_free(PipeState *s, const PipeFile *pf);

/* Parses the text of a state file into s (records of pf's stages). CV_ERR_FORMAT when it is
 * not one (wrong first line, a malformed line): every record is then reset, so everything
 * runs again. */
CvStatus cv_pipestate_parse(PipeState *s, const PipeFile *pf, const char *text, CvError *err);
/* Reads s->file: a missing file is CV_OK (nothing ran yet); otherwise as cv_pipestate_parse
 * (the message names the file). */
CvStatus cv_pipestate_load(PipeState *s, const PipeFile *pf, CvError *err);
/* Writes s->file atomically, recording `pipeline_run` as the last runner. */
CvStatus cv_pipestate_save(const PipeState *s, const PipeFile *pf, long long pipeline_run,
                           CvError *err);

#endif
