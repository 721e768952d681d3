/* pipefile.h — the pipeline definition file (pipelines/demo, pipelines/zinc, ...): parser and
 * the content hash that decides whether a stage must run again. The runner that executes the
 * stages is cv_pipeline_run (include/chemvae/pipeline/pipeline.h); the format is documented for
 * users in pipelines/README.md.
 *
 * Format: one directive per line, words separated by blanks, `#` starting a word begins a
 * comment, "double quotes" group words (with \" and \\ escapes), ${NAME} expands a variable
 * in any word (quoted or not). Directives:
 *   set NAME VALUE        defines ${NAME} for the lines below it (a --set NAME=VALUE given
 *                         to the parser wins over the file's set)
 *   stage NAME COMMAND    starts a stage named NAME that runs `chemvae COMMAND`
 *   args WORD...          command-line words of the stage (repeatable, appended in order)
 *   in FILE...            input files: their contents are part of the stage's hash
 *   out FILE...           files the stage creates (a missing one makes the stage run again)
 *   resume WORD...        words added when an interrupted run of the stage is continued
 *   prebuilt FILE         if FILE exists and the stage never started here, the stage is
 *                         treated as done and FILE is copied to its first `out` file (e.g.
 *                         a shipped pretrained model instead of training)
 * Built-in variables: ${PIPELINE} (the file's base name). ${RUN} is not expanded by the
 * parser: it stays literal in the words and the runner replaces it by the pipeline's run id
 * (so it never changes a stage's hash).
 *
 * Ownership: a PipeFile owns every string in it; cv_pipefile_free is safe on a zeroed or
 * half-built PipeFile. Errors name the file and line ("pipelines/demo:12: ..."). */
#ifndef CHEMVAE_PIPEFILE_H
#define CHEMVAE_PIPEFILE_H

#include <stddef.h>

#include "chemvae/core/error.h"

#define PIPEFILE_RUN_VAR "${RUN}"

/* Longest stage name: it names the stage's state file (NAME_MAX is 255). */
#define PIPEFILE_MAX_STAGE_NAME 128

typedef struct {
    char **v;
    size_t n, cap;
} PipeWords;

typedef struct {
    char *name;        /* unique within the file, at most PIPEFILE_MAX_STAGE_NAME bytes */
    char *command;     /* chemvae subcommand */
    PipeWords args;    /* expanded words, may contain the literal ${RUN} */
    PipeWords inputs;  /* input file paths */
    PipeWords outputs; /* output file paths */
    PipeWords resume;  /* words appended when continuing an interrupted run */
    char *prebuilt;    /* NULL-able */
    int line;          /* line of the `stage` directive */
} PipeStage;

typedef struct {
    char *path;
    PipeStage *stages; /* (nstages) in file order */
    size_t nstages, cap;
    PipeWords var_names, var_values; /* parallel: every variable defined at the end */
} PipeFile;

/* Parses `text` (the contents of `path`, used in messages) into *pf (zeroed first; free with
 * cv_pipefile_free). overrides: n strings "NAME=VALUE" (NULL-able when n == 0) that win over the
 * file's `set` lines. CV_ERR_PARSE names path:line and the fault (unknown directive, a
 * directive outside a stage, a stage without a command, a duplicate stage, a missing or extra
 * value, an unterminated quote, an undefined or malformed ${NAME}); a file with no stage is
 * CV_ERR_EMPTY. */
CvStatus cv_pipefile_parse(PipeFile *pf, const char *path, const char *text,
                           const char *const *overrides, size_t n, CvError *err);

/* Reads `path` and parses it (see cv_pipefile_parse). */
CvStatus cv_pipefile_load(PipeFile *pf, const char *path, const char *const *overrides, size_t n,
                          CvError *err);

void cv_pipefile_free(PipeFile *pf);

/* Value of variable `name` at the end of the file, or NULL when undefined. */
const char *cv_pipefile_var(const PipeFile *pf, const char *name);

/* Index of the stage called `name`, or -1. */
int cv_pipefile_find_stage(const PipeFile *pf, const char *name);

/* Hash of everything that decides a stage's result, as 16 hex chars in out[17]: the
 * command, the args and resume words (before ${RUN} is replaced), the output paths, and the
 * path and content hash of every input file. CV_ERR_IO names a missing or unreadable input. */
CvStatus cv_pipefile_stage_hash(const PipeStage *s, char out[17], CvError *err);

/* Copy of `word` with every ${RUN} replaced by `run` (malloc'd; NULL on out-of-memory). */
char *cv_pipefile_subst_run(const char *word, const char *run);

#endif
