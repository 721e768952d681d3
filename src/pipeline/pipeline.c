/* pipeline.c — the pipeline runner (contract and design in include/chemvae/pipeline/pipeline.h).
 *
 * One Runner per call holds the parsed file, the state, the results DB and the command
 * line being built. A stage goes through: interrupted? → prebuilt? → key → skip? → command
 * line → (dry run: report) → claim its old outputs → stage row → state 'started' → child →
 * 'done' with the hashes of its outputs, or failed / interrupted (the state stays
 * 'started', so the next runner continues it). The state file is saved after every
 * transition, so a runner killed at any point leaves a state the next one reads right.
 * Messages are the caller's: everything that happens is an event (CvPipelineHooks). */
#include "chemvae/pipeline/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chemvae/app/app.h"
#include "chemvae/core/buf.h"
#include "chemvae/core/fileio.h"
#include "chemvae/core/json.h"
#include "chemvae/pipeline/pipefile.h"
#include "chemvae/pipeline/pipestate.h"
#include "chemvae/core/progress.h"
#include "chemvae/store/store.h"
#include "stage_child.h"

typedef struct {
    const CvPipelineConfig *cfg;
    const CvPipelineHooks *hooks; /* NULL-able */
    CvPipelineResult *res;
    PipeFile pf;
    PipeState s;
    Store *db;           /* opened when the first run is recorded */
    const char *db_path; /* the file's DB, else cfg->default_db */
    int64_t run;         /* the pipeline's runs row (0 in a dry run) */
    int lock_fd;         /* STATE/lock, held with flock; -1 */
    int from;            /* index of cfg->from, or -1 */
    StageArgv cmd;       /* the command line of the current stage */
} Runner;

const char *cv_stage_action_name(CvStageAction a) {
    static const char *const names[] = {
        [CV_STAGE_NOT_REACHED] = "not_reached", [CV_STAGE_RAN] = "ran",
        [CV_STAGE_RESUMED] = "resumed",         [CV_STAGE_SKIPPED] = "skipped",
        [CV_STAGE_PREBUILT] = "prebuilt",       [CV_STAGE_FAILED] = "failed",
        [CV_STAGE_INTERRUPTED] = "interrupted", [CV_STAGE_WOULD_RUN] = "would_run"};
    return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "unknown";
}

const char *cv_stage_reason_text(CvStageReason why) {
    static const char *const texts[] = {[CV_STAGE_NEW] = "running",
                                        [CV_STAGE_CONTINUING] = "resuming",
                                        [CV_STAGE_FORCED] = "forced",
                                        [CV_STAGE_INPUTS_CHANGED] = "inputs changed"};
    return (unsigned)why < sizeof texts / sizeof texts[0] ? texts[why] : "inputs changed";
}

static void emit(const Runner *r, CvPipelineEvent ev) {
    if (r->hooks && r->hooks->event) r->hooks->event(r->hooks->user, &ev);
}

static int interrupted(const Runner *r) {
    return r->hooks && r->hooks->interrupted ? r->hooks->interrupted(r->hooks->user) : 0;
}

static CvStatus no_memory(CvError *err) {
    return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
}

static int file_exists(const char *path) {
    return access(path, F_OK) == 0;
}

/* Copies src to dst atomically (dst's folders created). */
static CvStatus copy_file(const char *src, const char *dst, CvError *err) {
    char *data = NULL;
    size_t len = 0;
    CvStatus st = cv_read_file(src, &data, &len, err);
    if (!st) st = cv_mkdir_parents(dst, err);
    if (!st) st = cv_atomic_write_file(dst, data, len, err);
    free(data);
    return st;
}

/* Where a stage's stdout is kept: STATE/<stage>.out. */
static void stdout_path(char *buf, size_t cap, const PipeState *s, const PipeStage *st) {
    snprintf(buf, cap, "%s/%s.out", s->dir, st->name);
}

/* 1 when every declared output and the kept stdout exist. */
static int outputs_exist(const PipeState *s, const PipeStage *st) {
    char out[PATH_MAX + 300];
    stdout_path(out, sizeof out, s, st);
    if (!file_exists(out)) return 0;
    for (size_t i = 0; i < st->outputs.n; i++)
        if (!file_exists(st->outputs.v[i])) return 0;
    return 1;
}

/* Before a stage runs afresh: every existing output must be one this runner made for the
 * stage (recorded, unchanged or from an unfinished run); then they are removed and marked
 * as being written. Refuses, removing nothing, when one is not. */
static CvStatus claim_outputs(PipeState *s, const PipeFile *pf, size_t i, CvError *err) {
    const PipeStage *st = &pf->stages[i];
    char(*owned)[17] = s->rec[i].owned;
    for (size_t k = 0; k < st->outputs.n; k++) {
        const char *out = st->outputs.v[k];
        if (!file_exists(out)) continue;
        char now[17] = "";
        if (owned[k][0] && strcmp(owned[k], "-") && cv_hash_file(out, now, err)) return CV_ERR_IO;
        if (!owned[k][0] || (strcmp(owned[k], "-") && strcmp(owned[k], now)))
            return cv_error_set(err, CV_ERR_IO,
                                "stage '%s': its output %s already exists and %s; move it away "
                                "or change the stage's 'out' (nothing was deleted)",
                                st->name, out,
                                owned[k][0] ? "changed since this pipeline wrote it"
                                            : "was not made by this pipeline");
    }
    for (size_t k = 0; k < st->outputs.n; k++) {
        if (unlink(st->outputs.v[k]) != 0 && errno != ENOENT)
            return cv_error_set(err, CV_ERR_IO, "stage '%s': cannot remove old output %s: %s",
                                st->name, st->outputs.v[k], strerror(errno));
        snprintf(owned[k], 17, "-");
    }
    return CV_OK;
}

/* After a stage finished: the hash of each output it wrote. */
static CvStatus record_outputs(PipeState *s, const PipeFile *pf, size_t i, CvError *err) {
    const PipeStage *st = &pf->stages[i];
    for (size_t k = 0; k < st->outputs.n; k++)
        if (cv_hash_file(st->outputs.v[k], s->rec[i].owned[k], err)) return CV_ERR_IO;
    return CV_OK;
}

/* The stage's key: its own hash chained with the previous stage's key and run. */
static CvStatus stage_key(const PipeStage *st, const PipeStageRecord *prev, char key[17],
                          CvError *err) {
    char own[17];
    CvStatus rc = cv_pipefile_stage_hash(st, own, err);
    if (rc) return rc;
    char chain[64];
    snprintf(chain, sizeof chain, "%s %lld", prev ? prev->key : "-", prev ? prev->run : 0LL);
    uint64_t h = cv_fnv1a64(CV_FNV64_INIT, own, 16);
    h = cv_fnv1a64(h, chain, strlen(chain));
    snprintf(key, 17, "%016llx", (unsigned long long)h);
    return CV_OK;
}

/* Marks runs a killed runner left 'running' (its pipeline row and everything under it). */
static void mark_stale(Store *db, long long pipeline_run) {
    if (pipeline_run > 0)
        cv_store_runs_finish_running(db, pipeline_run, STORE_RUN_INTERRUPTED, NULL);
}

/* Begins a runs row of `kind` under `parent` whose config is *cfg (freed here); opens the
 * results DB first when it is not open (cv_run_begin). */
static CvStatus begin_run(Runner *r, const char *kind, CvJson *cfg, int64_t parent, int64_t *run,
                          CvError *err) {
    return cv_run_begin(r->db_path, kind, cfg, NULL, NULL, -1, parent, &r->db, run, err);
}

/* The error of a `from` naming no stage: the file's stages listed. */
static CvStatus unknown_from(Runner *r, CvError *err) {
    CvBuf list = {0};
    int bad = cv_buf_append(&list, "", 0);
    for (size_t i = 0; i < r->pf.nstages && !bad; i++)
        bad = cv_buf_append(&list, " ", 1) ||
              cv_buf_append(&list, r->pf.stages[i].name, strlen(r->pf.stages[i].name));
    r->res->from_unknown = 1;
    CvStatus st =
        bad ? no_memory(err)
            : cv_error_set(err, CV_ERR_INVALID, "--from: %s has no stage '%s'; its stages are:%s",
                           r->cfg->file, r->cfg->from, list.p);
    free(list.p);
    return st;
}

/* The result's table: one not-reached row per stage, and the state directory. */
static CvStatus result_init(Runner *r, CvError *err) {
    CvPipelineResult *res = r->res;
    res->stages = calloc(r->pf.nstages, sizeof *res->stages);
    if (!res->stages) return no_memory(err);
    res->nstages = r->pf.nstages;
    for (size_t i = 0; i < res->nstages; i++)
        if (!(res->stages[i].name = strdup(r->pf.stages[i].name))) return no_memory(err);
    return (res->state_dir = strdup(r->s.dir)) ? CV_OK : no_memory(err);
}

/* Creates STATE/lock and holds an exclusive flock on it (released when closed). */
static CvStatus lock_state(Runner *r, CvError *err) {
    char lock_path[PATH_MAX + 8];
    snprintf(lock_path, sizeof lock_path, "%s/lock", r->s.dir);
    r->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (r->lock_fd < 0) return cv_error_set(err, CV_ERR_IO, "%s: %s", lock_path, strerror(errno));
    if (flock(r->lock_fd, LOCK_EX | LOCK_NB) != 0)
        return cv_error_set(err, CV_ERR_IO, "%s: another 'chemvae pipeline run' is using %s",
                            lock_path, r->s.dir);
    return CV_OK;
}

/* Parses the file, resolves `from`, the DB and the state directory, sets up the result,
 * takes the lock and reads the state (an unreadable one is reported and ignored). */
static CvStatus runner_open(Runner *r, CvError *err) {
    const CvPipelineConfig *c = r->cfg;
    CvStatus st = cv_pipefile_load(&r->pf, c->file, c->sets.v, c->sets.n, err);
    if (st) return st;
    if (c->from && (r->from = cv_pipefile_find_stage(&r->pf, c->from)) < 0)
        return unknown_from(r, err);
    const char *db = cv_pipefile_var(&r->pf, "DB"), *state = cv_pipefile_var(&r->pf, "STATE");
    r->db_path = db ? db : c->default_db;
    char dir[PATH_MAX];
    if (state) snprintf(dir, sizeof dir, "%s", state);
    else snprintf(dir, sizeof dir, "results/%s", cv_pipefile_var(&r->pf, "PIPELINE"));
    if ((st = cv_pipestate_init(&r->s, &r->pf, dir, err)) || (st = result_init(r, err)) ||
        (st = cv_mkdir_parents(r->s.file, err)) || (st = lock_state(r, err)))
        return st;
    CvError serr = {0};
    if (cv_pipestate_load(&r->s, &r->pf, &serr)) /* unreadable or foreign: everything runs again */
        emit(r, (CvPipelineEvent){.kind = CV_PIPE_STATE_RESET, .message = serr.msg});
    return CV_OK;
}

/* The pipeline's runs row; the rows the last runner left running are marked interrupted. */
static CvStatus runner_record(Runner *r, CvError *err) {
    CvJson cfg = {0};
    cv_json_begin_object(&cfg);
    cv_json_kv_string(&cfg, "file", r->cfg->file);
    cv_json_kv_string(&cfg, "state", r->s.dir);
    cv_json_kv_string(&cfg, "from", r->cfg->from);
    cv_json_end_object(&cfg);
    CvStatus st = begin_run(r, "pipeline", &cfg, 0, &r->run, err);
    if (st) return st;
    r->res->run = r->run;
    mark_stale(r->db, r->s.last_pipeline); /* the last runner's rows, whatever host ran them */
    return cv_pipestate_save(&r->s, &r->pf, r->run, err);
}

/* Fills the result's run ids, finishes the pipeline's row (failed when st is an error)
 * and releases everything but the result. */
static void runner_close(Runner *r, CvStatus st) {
    CvPipelineResult *res = r->res;
    for (size_t i = 0; res->stages && i < res->nstages; i++)
        res->stages[i].run = res->stages[i].action && res->stages[i].action != CV_STAGE_WOULD_RUN
                                 ? r->s.rec[i].run
                                 : 0;
    StoreRunStatus final = st                                        ? STORE_RUN_FAILED
                           : res->outcome == CV_PIPELINE_DONE        ? STORE_RUN_OK
                           : res->outcome == CV_PIPELINE_INTERRUPTED ? STORE_RUN_INTERRUPTED
                                                                     : STORE_RUN_FAILED;
    if (r->db && r->run) cv_store_run_finish(r->db, r->run, final, NULL);
    cv_store_close(r->db);
    if (r->lock_fd >= 0) close(r->lock_fd);
    pipestage_argv_free(&r->cmd);
    cv_pipestate_free(&r->s, &r->pf);
    cv_pipefile_free(&r->pf);
}

/* A stage replaced by its prebuilt file: the file copied to its first output when that is
 * missing, recorded as prebuilt. */
static CvStatus use_prebuilt(Runner *r, size_t i, CvError *err) {
    const PipeStage *st = &r->pf.stages[i];
    PipeStageRecord *rec = &r->s.rec[i];
    const char *dst = st->outputs.n ? st->outputs.v[0] : NULL;
    int copy = dst && strcmp(dst, st->prebuilt) != 0 && !file_exists(dst);
    emit(r, (CvPipelineEvent){.kind = CV_PIPE_PREBUILT,
                              .stage = i,
                              .name = st->name,
                              .path = st->prebuilt,
                              .copied_to = copy ? dst : NULL});
    CvStatus rc = CV_OK;
    if (!r->cfg->dry_run) {
        if (copy && ((rc = copy_file(st->prebuilt, dst, err)) ||
                     (rc = cv_hash_file(dst, rec->owned[0], err))))
            return rc;
        rec->status = PIPE_PREBUILT;
        snprintf(rec->key, sizeof rec->key, "%016llx", 0ULL);
        rec->run = 0;
        if ((rc = cv_pipestate_save(&r->s, &r->pf, r->run, err))) return rc;
    }
    r->res->stages[i].action = CV_STAGE_PREBUILT;
    r->res->skipped++;
    return CV_OK;
}

/* The stage's runs row under the pipeline's: its command line (before ${RUN} is replaced),
 * key, whether it resumes, and its outputs. */
static CvStatus begin_stage_run(Runner *r, const PipeStage *st, const char *key, int resuming,
                                int64_t *run, CvError *err) {
    CvJson cfg = {0};
    cv_json_begin_object(&cfg);
    cv_json_kv_string(&cfg, "stage", st->name);
    cv_json_kv_string(&cfg, "command", r->cmd.line.p);
    cv_json_kv_string(&cfg, "key", key);
    cv_json_kv_bool(&cfg, "resumed", resuming);
    cv_json_key(&cfg, "outputs");
    cv_json_begin_array(&cfg);
    for (size_t k = 0; k < st->outputs.n; k++) cv_json_string(&cfg, st->outputs.v[k]);
    cv_json_end_array(&cfg);
    cv_json_end_object(&cfg);
    return begin_run(r, "stage", &cfg, r->run, run, err);
}

/* A stage that did not finish: its row, the result and the event. */
static void stage_failed(Runner *r, size_t i, int status, int stopped, int64_t run) {
    r->res->stages[i].action = stopped ? CV_STAGE_INTERRUPTED : CV_STAGE_FAILED;
    r->res->outcome = stopped ? CV_PIPELINE_INTERRUPTED : CV_PIPELINE_STAGE_FAILED;
    cv_store_run_finish(r->db, run, stopped ? STORE_RUN_INTERRUPTED : STORE_RUN_FAILED, NULL);
    emit(r, (CvPipelineEvent){.kind = stopped ? CV_PIPE_STAGE_INTERRUPTED : CV_PIPE_STAGE_FAILED,
                              .stage = i,
                              .name = r->pf.stages[i].name,
                              .command = r->cmd.line.p,
                              .run = run,
                              .exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                              .term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0});
}

/* After the child: done (outputs hashed, state saved) or failed / interrupted. */
static CvStatus finish_stage(Runner *r, size_t i, int status, int resuming, int64_t run,
                             CvError *err) {
    const PipeStage *st = &r->pf.stages[i];
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    int stopped =
        interrupted(r) ||
        (WIFSIGNALED(status) && (WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM)) ||
        (WIFEXITED(status) && WEXITSTATUS(status) == 130);
    if (ok)
        for (size_t k = 0; k < st->outputs.n; k++)
            if (!file_exists(st->outputs.v[k])) {
                emit(r, (CvPipelineEvent){.kind = CV_PIPE_OUTPUT_MISSING,
                                          .stage = i,
                                          .name = st->name,
                                          .path = st->outputs.v[k]});
                ok = 0;
            }
    if (!ok) {
        stage_failed(r, i, status, stopped, run);
        return CV_OK;
    }
    cv_store_run_finish(r->db, run, STORE_RUN_OK, NULL);
    r->s.rec[i].status = PIPE_DONE;
    CvStatus rc = record_outputs(&r->s, &r->pf, i, err);
    if (rc || (rc = cv_pipestate_save(&r->s, &r->pf, r->run, err))) return rc;
    r->res->stages[i].action = resuming ? CV_STAGE_RESUMED : CV_STAGE_RAN;
    r->res->ran++;
    return CV_OK;
}

/* Runs the stage whose command line r->cmd holds: claims its outputs, records its row
 * and the 'started' state, runs the child. */
static CvStatus execute_stage(Runner *r, size_t i, const char key[17], int resuming,
                              CvStageReason why, CvError *err) {
    const PipeStage *st = &r->pf.stages[i];
    PipeStageRecord *rec = &r->s.rec[i];
    int64_t run = 0;
    CvStatus rc = resuming ? CV_OK : claim_outputs(&r->s, &r->pf, i, err);
    if (rc || (rc = begin_stage_run(r, st, key, resuming, &run, err)) ||
        (rc = pipestage_argv_subst_run(&r->cmd, run, err)) ||
        (rc = pipestage_argv_format(&r->cmd, err)))
        return rc;
    emit(r, (CvPipelineEvent){.kind = CV_PIPE_STARTED,
                              .stage = i,
                              .name = st->name,
                              .reason = why,
                              .command = r->cmd.line.p,
                              .run = run});
    rec->status = PIPE_STARTED;
    memcpy(rec->key, key, 17);
    rec->run = run;
    if ((rc = cv_pipestate_save(&r->s, &r->pf, r->run, err))) return rc;
    char out_path[PATH_MAX + 300];
    stdout_path(out_path, sizeof out_path, &r->s, st);
    double t0 = cv_now();
    int status = 0;
    rc = pipestage_run_child(r->cmd.argv, out_path, r->hooks, &status, err);
    r->res->stages[i].seconds = cv_now() - t0;
    pipestage_argv_release(&r->cmd);
    return rc ? rc : finish_stage(r, i, status, resuming, run, err);
}

/* A stage that will run (or would, in a dry run). */
static void count_would_run(Runner *r, size_t i) {
    r->res->stages[i].action = CV_STAGE_WOULD_RUN;
    r->res->ran++;
}

/* Decides what happens to stage i and does it. CV_OK also when the stage failed or the
 * runner was interrupted (r->res->outcome says so). */
static CvStatus run_stage(Runner *r, size_t i, CvError *err) {
    const PipeStage *st = &r->pf.stages[i];
    const PipeStageRecord *rec = &r->s.rec[i];
    CvPipelineEvent ev = {.stage = i, .name = st->name};
    if (interrupted(r)) { /* between two stages */
        ev.kind = CV_PIPE_INTERRUPTED_BEFORE;
        emit(r, ev);
        r->res->outcome = CV_PIPELINE_INTERRUPTED;
        return CV_OK;
    }
    int forced = r->from >= 0 && (int)i >= r->from;
    if (!forced && st->prebuilt && file_exists(st->prebuilt) &&
        (rec->status == PIPE_NONE || rec->status == PIPE_PREBUILT))
        return use_prebuilt(r, i, err);
    char key[17];
    CvStatus rc = stage_key(st, i ? &r->s.rec[i - 1] : NULL, key, err);
    if (rc && r->cfg->dry_run && r->res->ran) { /* its inputs are made by a stage that would run */
        cv_error_clear(err);
        ev.kind = CV_PIPE_WOULD_RUN;
        emit(r, ev);
        count_would_run(r, i);
        return CV_OK;
    }
    if (rc) {
        cv_error_prefix(err, "%s:%d", r->cfg->file, st->line);
        return rc;
    }
    int same = !strcmp(rec->key, key);
    if (!forced && same && rec->status == PIPE_DONE && outputs_exist(&r->s, st)) {
        ev.kind = CV_PIPE_SKIPPED;
        ev.run = rec->run;
        emit(r, ev);
        r->res->stages[i].action = CV_STAGE_SKIPPED;
        r->res->skipped++;
        return CV_OK;
    }
    int resuming = !forced && same && rec->status == PIPE_STARTED && st->resume.n > 0;
    ev.reason = resuming                   ? CV_STAGE_CONTINUING
                : forced                   ? CV_STAGE_FORCED
                : rec->status == PIPE_NONE ? CV_STAGE_NEW
                                           : CV_STAGE_INPUTS_CHANGED;
    if ((rc = pipestage_argv_build(&r->cmd, r->cfg->exe, st, resuming, err)) ||
        (rc = pipestage_argv_format(&r->cmd, err)))
        return rc;
    if (!r->cfg->dry_run) return execute_stage(r, i, key, resuming, ev.reason, err);
    ev.kind = CV_PIPE_WOULD_RUN;
    ev.command = r->cmd.line.p;
    emit(r, ev);
    count_would_run(r, i);
    return CV_OK;
}

CvStatus cv_pipeline_run(const CvPipelineConfig *cfg, const CvPipelineHooks *hooks,
                         CvPipelineResult *res, CvError *err) {
    memset(res, 0, sizeof *res);
    int depth = pipestage_depth();
    if (depth >= CV_PIPELINE_MAX_DEPTH)
        return cv_error_set(err, CV_ERR_INVALID,
                            "%s: pipelines nested %d deep (a stage runs a pipeline that runs it "
                            "again?); refusing to go deeper",
                            cfg->file, depth);
    Runner r = {.cfg = cfg, .hooks = hooks, .res = res, .lock_fd = -1, .from = -1};
    CvStatus st = runner_open(&r, err);
    if (!st && !cfg->dry_run) st = runner_record(&r, err);
    for (size_t i = 0; !st && res->outcome == CV_PIPELINE_DONE && i < r.pf.nstages; i++)
        st = run_stage(&r, i, err);
    runner_close(&r, st);
    return st;
}

void cv_pipeline_result_free(CvPipelineResult *res) {
    for (size_t i = 0; res->stages && i < res->nstages; i++) free(res->stages[i].name);
    free(res->stages);
    free(res->state_dir);
    memset(res, 0, sizeof *res);
}
