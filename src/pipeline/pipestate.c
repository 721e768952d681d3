/* pipestate.c — the pipeline runner's state file (contract in
 * include/chemvae/pipeline/pipestate.h). Parsing works on a copy of the text line by line; any line
 * that is not one of the four forms makes the whole file "not a state file" and resets every record
 * (the safe side: a stage re-runs rather than being skipped on a misread record). */
#include "chemvae/pipeline/pipestate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/core/fileio.h"

#define STATE_MAGIC "chemvae-pipeline-state 2"
#define STATE_MAGIC_V1 "chemvae-pipeline-state 1"

static const char *const STATUS_NAMES[] = {"none", "started", "done", "prebuilt"};

CvStatus cv_pipestate_init(PipeState *s, const PipeFile *pf, const char *dir, CvError *err) {
    memset(s, 0, sizeof *s);
    if (strlen(dir) >= sizeof s->dir)
        return cv_error_set(err, CV_ERR_INVALID, "state directory name too long: %s", dir);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->file, sizeof s->file, "%s/state", s->dir);
    if (!(s->rec = calloc(pf->nstages + 1, sizeof *s->rec)))
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < pf->nstages; i++)
        if (!(s->rec[i].owned = calloc(pf->stages[i].outputs.n + 1, sizeof *s->rec[i].owned)))
            return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    return CV_OK;
}

void cv_pipestate_free(PipeState *s, const PipeFile *pf) {
    for (size_t i = 0; s->rec && i < pf->nstages; i++) free(s->rec[i].owned);
    free(s->rec);
    s->rec = NULL;
}

static void reset(PipeState *s, const PipeFile *pf) {
    s->last_pipeline = 0;
    for (size_t i = 0; i < pf->nstages; i++) {
        char(*owned)[17] = s->rec[i].owned;
        memset(&s->rec[i], 0, sizeof s->rec[i]);
        s->rec[i].owned = owned;
        memset(owned, 0, pf->stages[i].outputs.n * sizeof *owned);
    }
}

/* "output <stage> <hash> <path>" (line without its newline); 0 when malformed. */
static int parse_output(PipeState *s, const PipeFile *pf, char *line) {
    char *name = line + 7, *hash = strchr(name, ' ');
    if (!hash) return 0;
    *hash++ = '\0';
    char *path = strchr(hash, ' ');
    if (!path) return 0;
    *path++ = '\0';
    if (strlen(hash) != 16 && strcmp(hash, "-")) return 0;
    int i = cv_pipefile_find_stage(pf, name);
    if (i < 0) return 1;
    const PipeStage *st = &pf->stages[i];
    for (size_t k = 0; k < st->outputs.n; k++)
        if (!strcmp(st->outputs.v[k], path)) snprintf(s->rec[i].owned[k], 17, "%s", hash);
    return 1;
}

/* "stage <name> <status> <key> <run>"; 0 when malformed. */
static int parse_stage(PipeState *s, const PipeFile *pf, const char *line) {
    char name[PIPEFILE_MAX_STAGE_NAME + 2], status[16], key[32];
    long long run;
    if (sscanf(line, "stage %129s %15s %31s %lld", name, status, key, &run) != 4 ||
        strlen(key) != 16)
        return 0;
    PipeStatus st = PIPE_NONE;
    for (int k = 1; k < 4; k++)
        if (!strcmp(status, STATUS_NAMES[k])) st = (PipeStatus)k;
    if (st == PIPE_NONE) return 0; /* not a status this runner writes */
    int i = cv_pipefile_find_stage(pf, name);
    if (i < 0) return 1;
    s->rec[i].status = st;
    memcpy(s->rec[i].key, key, 17);
    s->rec[i].run = run;
    return 1;
}

CvStatus cv_pipestate_parse(PipeState *s, const PipeFile *pf, const char *text, CvError *err) {
    char *copy = strdup(text);
    if (!copy) return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    char *save = NULL, *line = strtok_r(copy, "\n", &save);
    int ok = line && (!strcmp(line, STATE_MAGIC) || !strcmp(line, STATE_MAGIC_V1));
    size_t lineno = 1;
    while (ok && (line = strtok_r(NULL, "\n", &save))) {
        lineno++;
        long long run;
        char tail;
        if (!strncmp(line, "output ", 7)) ok = parse_output(s, pf, line);
        else if (sscanf(line, "pipeline %lld%c", &run, &tail) == 1) s->last_pipeline = run;
        else if (!strncmp(line, "stage ", 6)) ok = parse_stage(s, pf, line);
        else ok = 0;
    }
    free(copy);
    if (ok) return CV_OK;
    reset(s, pf);
    return cv_error_set(err, CV_ERR_FORMAT, "not a pipeline state file (line %zu)", lineno);
}

CvStatus cv_pipestate_load(PipeState *s, const PipeFile *pf, CvError *err) {
    if (access(s->file, F_OK) != 0 && errno == ENOENT) return CV_OK; /* nothing ran yet */
    char *text = NULL;
    size_t len = 0;
    CvStatus st = cv_read_file(s->file, &text, &len, err);
    if (!st && strlen(text) != len) {
        reset(s, pf);
        st = cv_error_set(err, CV_ERR_FORMAT, "not a pipeline state file (a NUL byte)");
    } else if (!st) {
        st = cv_pipestate_parse(s, pf, text, err);
    }
    free(text);
    if (st) cv_error_prefix(err, "%s", s->file);
    return st;
}

CvStatus cv_pipestate_save(const PipeState *s, const PipeFile *pf, long long pipeline_run,
                           CvError *err) {
    CvAtomicFile af;
    CvStatus st = cv_atomic_open(&af, s->file, err);
    if (st) return st;
    fprintf(af.fp, "%s\npipeline %lld\n", STATE_MAGIC, pipeline_run);
    for (size_t i = 0; i < pf->nstages; i++) {
        if (s->rec[i].status != PIPE_NONE)
            fprintf(af.fp, "stage %s %s %s %lld\n", pf->stages[i].name,
                    STATUS_NAMES[s->rec[i].status], s->rec[i].key, s->rec[i].run);
        for (size_t k = 0; k < pf->stages[i].outputs.n; k++)
            if (s->rec[i].owned[k][0])
                fprintf(af.fp, "output %s %s %s\n", pf->stages[i].name, s->rec[i].owned[k],
                        pf->stages[i].outputs.v[k]);
    }
    return cv_atomic_commit(&af, err);
}
