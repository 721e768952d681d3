/* cmd_pipeline.c — `chemvae pipeline run FILE`: runs the stages of a pipeline file
 * (include/chemvae/pipefile.h, pipelines/README.md) in order, skipping those already done.
 *
 * Each stage runs as a child process: fork + exec of /proc/self/exe with
 * `chemvae COMMAND ARGS...`. Chosen over calling cmd_<name>() in-process because every
 * subcommand owns process state — getopt globals, its SIGINT handler (train checkpoints on
 * Ctrl-C), OpenBLAS thread count, memory, exit codes — and a crash or leak in one stage must
 * not take the runner down or leak into the next stage. The child gets PR_SET_PDEATHSIG
 * SIGKILL, so killing the runner (even with SIGKILL) never leaves an orphan stage writing
 * files. The stage's stdout (its CSV result) is kept as STATE/<stage>.out.
 *
 * Skip rule: a stage's key is FNV-1a over its own hash (command, words, outputs, input file
 * contents: pipefile_stage_hash) and the key and run of the stage before it, so a stage
 * re-runs when anything it reads changed OR any earlier stage re-ran (later stages may read
 * earlier results through the DB, which has no file hash). A stage is skipped when the state
 * file records it 'done' with the same key and its outputs exist. A stage recorded 'started'
 * with the same key was interrupted: it runs again with its `resume` words (train continues
 * from its last checkpoint); any other stage that runs first deletes its old outputs. A stage
 * with a `prebuilt` file that exists and that never started here is skipped, the file copied
 * to its first output (a shipped model stands in for training).
 * --from STAGE runs that stage and every later one unconditionally.
 *
 * State: STATE/state (include/chemvae/pipestate.h), rewritten after every transition.
 *
 * Outputs: the runner only removes or replaces files it made. An `out` path that exists
 * before its stage runs is removed only when the state records it as that stage's output
 * with the same contents (or as written by a run of the stage that did not finish);
 * anything else there (an input named as an output by mistake, a file of the user's) stops
 * the runner before the stage, naming the file, with nothing deleted. Hashes are taken
 * when the stage finishes.
 * STATE defaults to results/${PIPELINE}; an flock on STATE/lock keeps two runners apart.
 *
 * Results DB: one runs row of kind 'pipeline' per invocation and one of kind 'stage' per
 * stage that runs (parent = the pipeline row, config = its command line, key and outputs).
 * ${RUN} in a stage's words is that stage row's id, so `--parent-run ${RUN}` files the
 * subcommand's own run under it. Rows left 'running' by a killed runner are marked
 * 'interrupted' when the next runner starts. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chemvae/csvin.h"
#include "chemvae/buf.h"
#include "chemvae/fileio.h"
#include "chemvae/pipefile.h"
#include "chemvae/pipestate.h"
#include "chemvae/progress.h"
#include "chemvae/store.h"
#include "cli.h"

/* Environment variable carrying the nesting depth to stages; MAX_DEPTH runners deep, the
 * next refuses (a pipeline whose stage runs itself would otherwise fork without end). */
#define DEPTH_ENV "CHEMVAE_PIPELINE_DEPTH"
#define MAX_DEPTH 8

static volatile sig_atomic_t g_signal; /* last SIGINT/SIGTERM seen by the runner */

static void on_signal(int sig) {
    g_signal = sig;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: chemvae pipeline run FILE [options]\n"
            "\n"
            "Runs the stages of a pipeline file (format: pipelines/README.md) as chemvae\n"
            "subcommands. Stages whose inputs did not change since they last finished are\n"
            "skipped; an interrupted stage continues (training from its last checkpoint).\n"
            "\n"
            "  --from STAGE        run STAGE and every later stage even if done\n"
            "  --set NAME=VALUE    set a pipeline variable (wins over the file's 'set')\n"
            "  --db FILE           results DB (same as --set DB=FILE; default: the file's DB,\n"
            "                      else " CLI_DEFAULT_DB ")\n"
            "  --state DIR         state directory (same as --set STATE=DIR; default\n"
            "                      results/<pipeline name>)\n"
            "  --dry-run           print what would run, run nothing\n"
            "\n"
            "stdout: stage,action,run_id,seconds (action: ran, resumed, skipped, prebuilt,\n"
            "failed, interrupted, not_reached; run_id: the stage's runs row)\n");
}

static int file_exists(const char *path) {
    return access(path, F_OK) == 0;
}

/* Copies src to dst atomically (dst's folders created). */
static CvStatus copy_file(const char *src, const char *dst, CvError *err) {
    char *data = NULL;
    size_t len = 0;
    CvAtomicFile af;
    CvStatus st = cv_read_file(src, &data, &len, err);
    if (!st) st = cv_mkdir_parents(dst, err);
    if (!st && !(st = cv_atomic_open(&af, dst, err))) {
        st = cv_atomic_write(&af, data, len, err);
        if (st) cv_atomic_abort(&af);
        else st = cv_atomic_commit(&af, err);
    }
    free(data);
    return st;
}

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
    CvStatus rc = pipefile_stage_hash(st, own, err);
    if (rc) return rc;
    char chain[64];
    snprintf(chain, sizeof chain, "%s %lld", prev ? prev->key : "-", prev ? prev->run : 0LL);
    uint64_t h = cv_fnv1a64(CV_FNV64_INIT, own, 16);
    h = cv_fnv1a64(h, chain, strlen(chain));
    snprintf(key, 17, "%016llx", (unsigned long long)h);
    return CV_OK;
}

/* One shell-like line for messages and the stage's config, into *line (rebuilt; any
 * length). Returns 0, or -1 when out of memory. */
static int format_command(CvBuf *line, char *const *argv) {
    line->len = 0;
    int bad = cv_buf_append(line, "", 0);
    for (size_t i = 0; argv[i] && !bad; i++) {
        const char *a = argv[i];
        int quote = i && (a[strcspn(a, " \t\"'$\\")] != 0 || !*a);
        bad = (i && cv_buf_append(line, " ", 1)) || (quote && cv_buf_append(line, "'", 1)) ||
              cv_buf_append(line, a, strlen(a)) || (quote && cv_buf_append(line, "'", 1));
    }
    return bad ? -1 : 0;
}

/* How many pipeline runners are above this process (a stage may run a pipeline). */
static int pipeline_depth(void) {
    const char *d = getenv(DEPTH_ENV);
    return d ? atoi(d) : 0;
}

/* Runs argv with stdout into out_path; returns the wait status, or -1 (err set). */
static int run_child(char *const *argv, const char *out_path, CvError *err) {
    char tmp[PATH_MAX + 400];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", out_path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return cv_error_set(err, CV_ERR_IO, "%s: %s", tmp, strerror(errno)), -1;
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd);
        unlink(tmp);
        return cv_error_set(err, CV_ERR_IO, "fork: %s", strerror(errno)), -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (dup2(fd, STDOUT_FILENO) < 0) _exit(127);
        char depth[16];
        snprintf(depth, sizeof depth, "%d", pipeline_depth() + 1);
        setenv(DEPTH_ENV, depth, 1);
        execv(argv[0], argv);
        fprintf(stderr, "chemvae pipeline: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd);
    int status = 0, forwarded = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            unlink(tmp);
            return cv_error_set(err, CV_ERR_IO, "waitpid: %s", strerror(errno)), -1;
        }
        if (g_signal && !forwarded) {
            kill(pid, g_signal);
            forwarded = 1;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (rename(tmp, out_path) != 0) {
            unlink(tmp);
            return cv_error_set(err, CV_ERR_IO, "%s: %s", out_path, strerror(errno)), -1;
        }
    } else {
        unlink(tmp);
    }
    return status;
}

/* Marks runs a killed runner left 'running' (its pipeline row and everything under it). */
static void mark_stale(Store *db, long long pipeline_run) {
    if (pipeline_run <= 0) return;
    StoreTable t = {0};
    StoreValue p = {.type = STORE_INT, .i = pipeline_run};
    const char *sql =
        "WITH RECURSIVE tree(id) AS (SELECT ?1 UNION SELECT runs.id FROM runs JOIN tree ON "
        "runs.parent = tree.id) SELECT id FROM runs WHERE id IN tree AND status = 'running'";
    if (store_select(db, sql, &p, 1, &t, NULL) == CV_OK)
        for (size_t r = 0; r < t.nrow; r++)
            store_run_finish(db, t.cells[r].i, STORE_RUN_INTERRUPTED, NULL);
    store_table_free(&t);
}

typedef struct {
    const char *file, *from;
    int dry_run;
    const char **sets;
    size_t nsets;
} RunOptions;

static int pipeline_run(const RunOptions *o) {
    const char *cmd = "pipeline";
    CvError err = {0};
    PipeFile pf = {0};
    PipeState s = {0};
    Store *db = NULL;
    int64_t prun = 0;
    int lock_fd = -1, rc = CLI_ERROR;
    StoreRunStatus final = STORE_RUN_FAILED;
    char **argv = NULL, **subst = NULL; /* (cap) the stage's command line, its ${RUN} copies */
    CvBuf cmdline = {0};                /* that command line as one shell-like string */
    const char **act = NULL;            /* (nstages) what happened to each stage */
    double *secs = NULL;                /* (nstages) its wall time */
    size_t cap = 64;
    char exe[PATH_MAX];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (el <= 0) {
        fprintf(stderr,
                "chemvae pipeline: cannot find the chemvae executable (/proc/self/exe): %s\n",
                strerror(errno));
        return CLI_ERROR;
    }
    exe[el] = 0;
    if (pipeline_depth() >= MAX_DEPTH) {
        fprintf(stderr,
                "chemvae pipeline: %s: pipelines nested %d deep (a stage runs a pipeline "
                "that runs it again?); refusing to go deeper\n",
                o->file, pipeline_depth());
        return CLI_ERROR;
    }
    if (pipefile_load(&pf, o->file, o->sets, o->nsets, &err)) return cli_report(cmd, &err);
    int from = -1;
    if (o->from && (from = pipefile_find_stage(&pf, o->from)) < 0) {
        fprintf(stderr, "chemvae pipeline: --from: %s has no stage '%s'; its stages are:", o->file,
                o->from);
        for (size_t i = 0; i < pf.nstages; i++) fprintf(stderr, " %s", pf.stages[i].name);
        fprintf(stderr, "\n");
        pipefile_free(&pf);
        return CLI_USAGE;
    }
    const char *db_path = pipefile_var(&pf, "DB") ? pipefile_var(&pf, "DB") : CLI_DEFAULT_DB;
    char state_dir[PATH_MAX];
    if (pipefile_var(&pf, "STATE"))
        snprintf(state_dir, sizeof state_dir, "%s", pipefile_var(&pf, "STATE"));
    else snprintf(state_dir, sizeof state_dir, "results/%s", pipefile_var(&pf, "PIPELINE"));
    if (pipestate_init(&s, &pf, state_dir, &err)) goto fail;
    if (!(argv = calloc(cap, sizeof *argv)) || !(subst = calloc(cap, sizeof *subst)) ||
        !(act = calloc(pf.nstages, sizeof *act)) || !(secs = calloc(pf.nstages, sizeof *secs))) {
        cv_error_set(&err, CV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (cv_mkdir_parents(s.file, &err)) goto fail;
    char lock_path[PATH_MAX + 8];
    snprintf(lock_path, sizeof lock_path, "%s/lock", s.dir);
    lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0) {
        cv_error_set(&err, CV_ERR_IO, "%s: %s", lock_path, strerror(errno));
        goto fail;
    }
    if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        cv_error_set(&err, CV_ERR_IO, "%s: another 'chemvae pipeline run' is using %s", lock_path,
                     s.dir);
        goto fail;
    }
    CvError serr = {0};
    if (pipestate_load(&s, &pf, &serr)) /* unreadable or foreign: everything runs again */
        fprintf(stderr, "chemvae pipeline: %s; running every stage\n", serr.msg);

    if (!o->dry_run) {
        CvJson cfg = {0};
        cv_json_begin_object(&cfg);
        cv_json_kv_string(&cfg, "file", o->file);
        cv_json_kv_string(&cfg, "state", s.dir);
        cv_json_kv_string(&cfg, "from", o->from);
        cv_json_end_object(&cfg);
        if (cv_run_begin(db_path, "pipeline", &cfg, NULL, NULL, -1, 0, &db, &prun, &err)) goto fail;
        mark_stale(db, s.last_pipeline); /* the last runner's rows, whatever host ran them */
        if (pipestate_save(&s, &pf, prun, &err)) goto fail;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: waitpid returns EINTR so the signal is forwarded */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    size_t ran = 0, skipped = 0;
    for (size_t i = 0; i < pf.nstages; i++) {
        PipeStage *st = &pf.stages[i];
        PipeStageRecord *rec = &s.rec[i];
        if (g_signal) { /* Ctrl-C between two stages */
            fprintf(stderr,
                    "chemvae pipeline: interrupted before stage '%s'; run the same command again "
                    "to continue\n",
                    st->name);
            final = STORE_RUN_INTERRUPTED;
            rc = 130;
            goto done;
        }
        int forced = from >= 0 && (int)i >= from;
        if (!forced && st->prebuilt && file_exists(st->prebuilt) &&
            (rec->status == PIPE_NONE || rec->status == PIPE_PREBUILT)) {
            const char *dst = st->outputs.n ? st->outputs.v[0] : NULL;
            int copy = dst && strcmp(dst, st->prebuilt) != 0 && !file_exists(dst);
            fprintf(stderr, "chemvae pipeline: %-12s skipped: prebuilt %s exists%s%s\n", st->name,
                    st->prebuilt, copy ? "; copied to " : "", copy ? dst : "");
            if (!o->dry_run && copy &&
                (copy_file(st->prebuilt, dst, &err) || cv_hash_file(dst, rec->owned[0], &err)))
                goto fail;
            if (!o->dry_run) {
                rec->status = PIPE_PREBUILT;
                snprintf(rec->key, sizeof rec->key, "%016llx", 0ULL);
                rec->run = 0;
                if (pipestate_save(&s, &pf, prun, &err)) goto fail;
            }
            act[i] = "prebuilt";
            skipped++;
            continue;
        }
        char key[17];
        if (stage_key(st, i ? &s.rec[i - 1] : NULL, key, &err)) {
            if (o->dry_run && ran) {
                fprintf(stderr, "chemvae pipeline: %-12s would run (after the stages before it)\n",
                        st->name);
                ran++;
                continue;
            }
            cv_error_prefix(&err, "%s:%d", o->file, st->line);
            goto fail;
        }
        int same = !strcmp(rec->key, key);
        if (!forced && same && rec->status == PIPE_DONE && outputs_exist(&s, st)) {
            fprintf(stderr, "chemvae pipeline: %-12s skipped: done (run %lld), inputs unchanged\n",
                    st->name, rec->run);
            act[i] = "skipped";
            skipped++;
            continue;
        }
        int resuming = !forced && same && rec->status == PIPE_STARTED && st->resume.n > 0;
        size_t na = 0, need = 3 + st->args.n + st->resume.n;
        if (need > cap) {
            char **a = realloc(argv, need * sizeof *a),
                 **b = a ? realloc(subst, need * sizeof *b) : NULL;
            if (a) argv = a;
            if (!b) {
                cv_error_set(&err, CV_ERR_NOMEM, "out of memory");
                goto fail;
            }
            memset(b + cap, 0, (need - cap) * sizeof *b);
            subst = b;
            cap = need;
        }
        argv[na++] = exe;
        argv[na++] = st->command;
        for (size_t k = 0; k < st->args.n; k++) argv[na++] = st->args.v[k];
        for (size_t k = 0; resuming && k < st->resume.n; k++) argv[na++] = st->resume.v[k];
        argv[na] = NULL;
        const char *why = resuming                   ? "resuming"
                          : forced                   ? "forced"
                          : rec->status == PIPE_NONE ? "running"
                                                     : "inputs changed";
        if (format_command(&cmdline, argv + 1)) {
            cv_error_set(&err, CV_ERR_NOMEM, "out of memory");
            goto fail;
        }
        const char *line = cmdline.p;
        if (o->dry_run) {
            fprintf(stderr, "chemvae pipeline: %-12s would run (%s): chemvae %s\n", st->name, why,
                    line);
            ran++;
            continue;
        }
        if (!resuming && claim_outputs(&s, &pf, i, &err)) goto fail;
        CvJson cfg = {0};
        cv_json_begin_object(&cfg);
        cv_json_kv_string(&cfg, "stage", st->name);
        cv_json_kv_string(&cfg, "command", line);
        cv_json_kv_string(&cfg, "key", key);
        cv_json_kv_bool(&cfg, "resumed", resuming);
        cv_json_key(&cfg, "outputs");
        cv_json_begin_array(&cfg);
        for (size_t k = 0; k < st->outputs.n; k++) cv_json_string(&cfg, st->outputs.v[k]);
        cv_json_end_array(&cfg);
        cv_json_end_object(&cfg);
        int64_t srun = 0;
        if (cv_run_begin(db_path, "stage", &cfg, NULL, NULL, -1, prun, &db, &srun, &err)) goto fail;
        char run_text[32];
        snprintf(run_text, sizeof run_text, "%lld", (long long)srun);
        for (size_t k = 2; k < na; k++)
            if (strstr(argv[k], PIPEFILE_RUN_VAR) &&
                !(argv[k] = subst[k] = pipefile_subst_run(argv[k], run_text))) {
                cv_error_set(&err, CV_ERR_NOMEM, "out of memory");
                goto fail;
            }
        if (format_command(&cmdline, argv + 1)) {
            cv_error_set(&err, CV_ERR_NOMEM, "out of memory");
            goto fail;
        }
        line = cmdline.p;
        fprintf(stderr, "chemvae pipeline: %-12s %s: chemvae %s\n", st->name, why, line);
        rec->status = PIPE_STARTED;
        memcpy(rec->key, key, 17);
        rec->run = srun;
        if (pipestate_save(&s, &pf, prun, &err)) goto fail;
        char out_path[PATH_MAX + 300];
        stdout_path(out_path, sizeof out_path, &s, st);
        double t0 = cv_now();
        int status = run_child(argv, out_path, &err);
        secs[i] = cv_now() - t0;
        for (size_t k = 0; k < na; k++) {
            free(subst[k]);
            subst[k] = NULL;
        }
        if (status < 0) goto fail;
        int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        int interrupted =
            g_signal ||
            (WIFSIGNALED(status) && (WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM)) ||
            (WIFEXITED(status) && WEXITSTATUS(status) == 130);
        if (ok)
            for (size_t k = 0; k < st->outputs.n; k++)
                if (!file_exists(st->outputs.v[k])) {
                    fprintf(stderr, "chemvae pipeline: stage '%s' finished but did not create %s\n",
                            st->name, st->outputs.v[k]);
                    ok = 0;
                }
        if (!ok) {
            act[i] = interrupted ? "interrupted" : "failed";
            final = interrupted ? STORE_RUN_INTERRUPTED : STORE_RUN_FAILED;
            store_run_finish(db, srun, final, NULL);
            if (interrupted)
                fprintf(stderr,
                        "chemvae pipeline: interrupted in stage '%s'; run the same command again "
                        "to continue\n",
                        st->name);
            else if (WIFEXITED(status))
                fprintf(stderr, "chemvae pipeline: stage '%s' failed (exit %d): chemvae %s\n",
                        st->name, WEXITSTATUS(status), line);
            else
                fprintf(stderr, "chemvae pipeline: stage '%s' killed by signal %d\n", st->name,
                        WTERMSIG(status));
            rc = interrupted ? 130 : CLI_ERROR;
            goto done;
        }
        store_run_finish(db, srun, STORE_RUN_OK, NULL);
        rec->status = PIPE_DONE;
        if (record_outputs(&s, &pf, i, &err) || pipestate_save(&s, &pf, prun, &err)) goto fail;
        act[i] = resuming ? "resumed" : "ran";
        ran++;
    }
    fprintf(stderr, "chemvae pipeline: %s: %zu stage%s %s, %zu skipped; state in %s\n", o->file,
            ran, ran == 1 ? "" : "s", o->dry_run ? "would run" : "ran", skipped, s.dir);
    final = STORE_RUN_OK;
    rc = CLI_OK;
    goto done;
fail:
    rc = cli_report(cmd, &err);
done:
    if (act && !o->dry_run) { /* the result on stdout: one row per stage */
        printf("stage,action,run_id,seconds\n");
        for (size_t i = 0; i < pf.nstages; i++) {
            csvin_write_field(stdout, pf.stages[i].name, strlen(pf.stages[i].name));
            printf(",%s,%lld,%.1f\n", act[i] ? act[i] : "not_reached", act[i] ? s.rec[i].run : 0LL,
                   secs[i]);
        }
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (db && prun) store_run_finish(db, prun, final, NULL);
    store_close(db);
    if (lock_fd >= 0) close(lock_fd);
    if (subst)
        for (size_t k = 0; k < cap; k++) free(subst[k]);
    free(subst);
    free(argv);
    free(cmdline.p);
    free(act);
    free(secs);
    pipestate_free(&s, &pf);
    pipefile_free(&pf);
    return rc;
}

int cmd_pipeline(int argc, char **argv) {
    const char *cmd = "pipeline";
    enum { O_FROM = 256, O_SET, O_DB, O_STATE, O_DRY };
    static const struct option opts[] = {{"from", required_argument, 0, O_FROM},
                                         {"set", required_argument, 0, O_SET},
                                         {"db", required_argument, 0, O_DB},
                                         {"state", required_argument, 0, O_STATE},
                                         {"dry-run", no_argument, 0, O_DRY},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    RunOptions o = {0};
    const char *sets[64];
    char owned[2][PATH_MAX + 8];
    o.sets = sets;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_FROM:
            o.from = optarg;
            break;
        case O_DRY:
            o.dry_run = 1;
            break;
        case O_SET:
        case O_DB:
        case O_STATE:
            if (o.nsets == 62) return cli_usage_error(cmd, "too many --set options");
            if (c == O_SET) {
                sets[o.nsets++] = optarg;
            } else {
                char *buf = owned[c == O_DB ? 0 : 1];
                snprintf(buf, PATH_MAX + 8, "%s=%s", c == O_DB ? "DB" : "STATE", optarg);
                sets[o.nsets++] = buf;
            }
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind >= argc) return cli_usage_error(cmd, "expected 'run FILE'");
    if (strcmp(argv[optind], "run") != 0)
        return cli_usage_error(cmd, "unknown action '%s' (expected 'run')", argv[optind]);
    if (optind + 2 != argc) return cli_usage_error(cmd, "'run' takes exactly one pipeline file");
    o.file = argv[optind + 1];
    return pipeline_run(&o);
}
