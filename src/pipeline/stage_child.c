/* stage_child.c — a pipeline stage's command line and its child process (stage_child.h).
 *
 * The child is fork + execv, not posix_spawn, because it must set PR_SET_PDEATHSIG before
 * exec (a runner killed even by SIGKILL takes its stage with it) and check that the parent
 * did not die before that. Its stdout goes to "<out>.tmp.<pid>", renamed over <out> only
 * when the stage succeeds, so a kept stdout is always a whole one. A failed exec is
 * reported on the child's stderr (the stage's own stderr, the only channel it has) and
 * exits 127, like a shell. */
#include "stage_child.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static CvStatus no_memory(CvError *err) {
    return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
}

/* Room for `need` words (and the NULL) in both arrays, new copy slots NULL. */
static CvStatus argv_reserve(StageArgv *a, size_t need, CvError *err) {
    if (need <= a->cap) return CV_OK;
    char **words = realloc(a->argv, need * sizeof *words);
    if (words) a->argv = words;
    char **copies = words ? realloc(a->owned, need * sizeof *copies) : NULL;
    if (!copies) return no_memory(err);
    memset(copies + a->cap, 0, (need - a->cap) * sizeof *copies);
    a->owned = copies;
    a->cap = need;
    return CV_OK;
}

CvStatus pipestage_argv_build(StageArgv *a, const char *exe, const PipeStage *st, int resuming,
                              CvError *err) {
    pipestage_argv_release(a);
    CvStatus rc = argv_reserve(a, 3 + st->args.n + st->resume.n, err);
    if (rc) return rc;
    size_t n = 0;
    a->argv[n++] = (char *)exe;
    a->argv[n++] = st->command;
    for (size_t k = 0; k < st->args.n; k++) a->argv[n++] = st->args.v[k];
    for (size_t k = 0; resuming && k < st->resume.n; k++) a->argv[n++] = st->resume.v[k];
    a->argv[n] = NULL;
    a->n = n;
    return CV_OK;
}

CvStatus pipestage_argv_subst_run(StageArgv *a, long long run, CvError *err) {
    char text[32];
    snprintf(text, sizeof text, "%lld", run);
    for (size_t k = 2; k < a->n; k++)
        if (strstr(a->argv[k], PIPEFILE_RUN_VAR)) {
            if (!(a->owned[k] = cv_pipefile_subst_run(a->argv[k], text))) return no_memory(err);
            a->argv[k] = a->owned[k];
        }
    return CV_OK;
}

CvStatus pipestage_argv_format(StageArgv *a, CvError *err) {
    CvBuf *line = &a->line;
    line->len = 0;
    int bad = cv_buf_append(line, "", 0);
    char *const *words = a->argv + 1;
    for (size_t i = 0; words[i] && !bad; i++) {
        const char *w = words[i];
        int quote = i && (w[strcspn(w, " \t\"'$\\")] != 0 || !*w);
        bad = (i && cv_buf_append(line, " ", 1)) || (quote && cv_buf_append(line, "'", 1)) ||
              cv_buf_append(line, w, strlen(w)) || (quote && cv_buf_append(line, "'", 1));
    }
    return bad ? no_memory(err) : CV_OK;
}

void pipestage_argv_release(StageArgv *a) {
    for (size_t k = 0; a->owned && k < a->cap; k++) {
        free(a->owned[k]);
        a->owned[k] = NULL;
    }
}

void pipestage_argv_free(StageArgv *a) {
    pipestage_argv_release(a);
    free(a->owned);
    free(a->argv);
    free(a->line.p);
    memset(a, 0, sizeof *a);
}

int pipestage_depth(void) {
    const char *d = getenv(CV_PIPELINE_DEPTH_ENV);
    return d ? atoi(d) : 0;
}

/* In the child: dies with the runner, default signal handling, stdout to fd, one level
 * deeper; then the stage. Never returns. */
static _Noreturn void exec_child(char *const *argv, int fd, pid_t parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (dup2(fd, STDOUT_FILENO) < 0) _exit(127);
    char depth[16];
    snprintf(depth, sizeof depth, "%d", pipestage_depth() + 1);
    setenv(CV_PIPELINE_DEPTH_ENV, depth, 1);
    execv(argv[0], argv);
    fprintf(stderr, "chemvae pipeline: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Waits for pid; an interrupt seen while waiting is passed on to it once. */
static CvStatus wait_child(pid_t pid, const CvPipelineHooks *hooks, int *status, CvError *err) {
    int forwarded = 0;
    while (waitpid(pid, status, 0) < 0) {
        if (errno != EINTR) return cv_error_set(err, CV_ERR_IO, "waitpid: %s", strerror(errno));
        int sig = !forwarded && hooks && hooks->interrupted ? hooks->interrupted(hooks->user) : 0;
        if (sig) {
            kill(pid, sig > 0 && sig < NSIG ? sig : SIGINT);
            forwarded = 1;
        }
    }
    return CV_OK;
}

CvStatus pipestage_run_child(char *const *argv, const char *out_path, const CvPipelineHooks *hooks,
                             int *wait_status, CvError *err) {
    char tmp[PATH_MAX + 400];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", out_path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return cv_error_set(err, CV_ERR_IO, "%s: %s", tmp, strerror(errno));
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd);
        unlink(tmp);
        return cv_error_set(err, CV_ERR_IO, "fork: %s", strerror(errno));
    }
    if (pid == 0) exec_child(argv, fd, parent);
    close(fd);
    int status = 0;
    CvStatus rc = wait_child(pid, hooks, &status, err);
    if (!rc && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (rename(tmp, out_path) != 0) {
            unlink(tmp);
            return cv_error_set(err, CV_ERR_IO, "%s: %s", out_path, strerror(errno));
        }
    } else {
        unlink(tmp);
    }
    *wait_status = status;
    return rc;
}
