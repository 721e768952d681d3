/* app_scorer.c — an external scoring program (see app_scorer.h).
 *
 * One invocation: the SMILES go to an anonymous file (memfd_create; an unlinked tmpfile()
 * where memfd is refused) that becomes the child's stdin, its stdout is a pipe the parent
 * reads with poll() against a deadline, then the child is reaped against the same
 * deadline. Writing the input completely before the program starts is what rules out the
 * classic deadlock of two pipes (the parent blocked writing stdin while the child is blocked
 * writing a full stdout), and no SIGPIPE can reach the parent when the program exits
 * without reading its input. The child is posix_spawn'ed as /bin/sh -c CMD in a process
 * group of its own, with SIGPIPE and SIGINT back at their defaults and no blocked signal
 * (a caller such as Python may ignore SIGPIPE, which a child would inherit), so a timeout
 * can kill the shell and everything it started at once.
 *
 * Values are cached per distinct canonical SMILES (LatentUniq, the same map that folds
 * duplicate decodes), so a molecule decoded again at a later decode point is not scored
 * again: the program may be slow (a docking run) and is assumed deterministic. */
#include "chemvae/app/app_scorer.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void cv_scorer_init(CvScorer *s, const char *cmd, double timeout) {
    memset(s, 0, sizeof *s);
    s->cmd = cmd;
    s->timeout = timeout;
}

void cv_scorer_free(CvScorer *s) {
    cv_latent_uniq_free(&s->seen);
    free(s->values);
    memset(s, 0, sizeof *s);
}

/* ---- the program's output ---------------------------------------------------------------- */

/* One line [p, p+len) as a value: a finite decimal number, or "nan"; 0 when neither. */
static int read_value(const char *p, size_t len, double *out) {
    while (len && (*p == ' ' || *p == '\t')) p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r')) len--;
    if (len == 3 && !strncasecmp(p, "nan", 3)) return *out = NAN, 1;
    char buf[64];
    if (!len || len >= sizeof buf || memchr(p, 'x', len) || memchr(p, 'X', len)) return 0;
    memcpy(buf, p, len);
    buf[len] = '\0';
    char *end;
    *out = strtod(buf, &end);
    return end == buf + len && isfinite(*out);
}

/* The printable start of a line, for a message. */
static void quote_line(const char *p, size_t len, char *q, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; i < len && k + 1 < cap; i++)
        if (p[i] != '\r') q[k++] = isprint((unsigned char)p[i]) ? p[i] : '?';
    q[k] = '\0';
}

CvStatus cv_scorer_parse(const char *cmd, const char *text, size_t len, const char *const *smiles,
                         size_t n, double *out, CvError *err) {
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    lines += len && text[len - 1] != '\n';
    if (lines != n)
        return cv_error_set(err, CV_ERR_PARSE,
                            "scorer '%.200s' wrote %zu lines for %zu SMILES (one number a line "
                            "expected)",
                            cmd, lines, n);
    const char *p = text;
    for (size_t k = 0; k < n; k++) {
        const char *nl = memchr(p, '\n', (size_t)(text + len - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
        if (!read_value(p, l, &out[k])) {
            char q[48];
            quote_line(p, l, q, sizeof q);
            return cv_error_set(err, CV_ERR_PARSE,
                                "scorer '%.200s': line %zu ('%s') is not a number (for SMILES "
                                "%.200s)",
                                cmd, k + 1, q, smiles && smiles[k] ? smiles[k] : "?");
        }
        p += l + 1;
    }
    return CV_OK;
}

/* ---- running the program ----------------------------------------------------------------- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* An anonymous file holding the SMILES, one a line, read from its start; -1 on failure. */
static int input_file(const char *const *smiles, size_t n) {
    int fd = memfd_create("chemvae-scorer", MFD_CLOEXEC);
    if (fd < 0) {
        FILE *f = tmpfile();
        fd = f ? fcntl(fileno(f), F_DUPFD_CLOEXEC, 3) : -1;
        if (f) fclose(f);
        if (fd < 0) return -1;
    }
    int wfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    FILE *w = wfd >= 0 ? fdopen(wfd, "w") : NULL;
    if (!w && wfd >= 0) close(wfd);
    int ok = w != NULL;
    for (size_t i = 0; ok && i < n; i++) ok = fputs(smiles[i], w) >= 0 && fputc('\n', w) != EOF;
    if (w && fclose(w)) ok = 0;
    if (!ok || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Starts /bin/sh -c cmd with stdin in_fd and stdout out_fd in a process group of its own. */
static int spawn_shell(const char *cmd, int in_fd, int out_fd, pid_t *pid) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    sigaddset(&dflt, SIGINT);
    sigaddset(&dflt, SIGTERM);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    char *argv[] = {"sh", "-c", (char *)cmd, NULL};
    int rc = posix_spawn(pid, "/bin/sh", &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    return rc;
}

/* Kills the child's process group and reaps the child. */
static void kill_child(pid_t pid) {
    kill(-pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}

/* Reads fd to its end into *out (malloc'd, *len bytes) before `deadline` (0: none).
 * Returns 0, or ETIMEDOUT, EFBIG (more than CV_SCORER_MAX_OUTPUT) or an errno. */
static int read_all(int fd, double deadline, char **out, size_t *len) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) return ENOMEM;
    for (;;) {
        double left = deadline > 0 ? deadline - now_s() : 0;
        if (deadline > 0 && left <= 0) break;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, deadline > 0 ? (int)fmin(left * 1000 + 1, 60000) : -1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) break;
        if (r == 0) continue;
        if (n == cap) {
            char *nb = n < CV_SCORER_MAX_OUTPUT ? realloc(buf, cap *= 2) : NULL;
            if (!nb) return free(buf), n < CV_SCORER_MAX_OUTPUT ? ENOMEM : EFBIG;
            buf = nb;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) break;
        if (got == 0) return *out = buf, *len = n, 0;
        n += (size_t)got;
    }
    int e = deadline > 0 && now_s() >= deadline ? ETIMEDOUT : errno;
    free(buf);
    return e;
}

/* Waits for the child until `deadline` (0: none): its wait status, or -1 on a timeout. */
static int wait_child(pid_t pid, double deadline) {
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, deadline > 0 ? WNOHANG : 0);
        if (r == pid) return status;
        if (r < 0 && errno != EINTR) return -1;
        if (deadline > 0 && now_s() >= deadline) return -1;
        if (r == 0) nanosleep(&(struct timespec){0, 5000000}, NULL);
    }
}

/* The message of a wait status that is not a clean exit. */
static CvStatus status_error(const char *cmd, int status, CvError *err) {
    if (WIFSIGNALED(status))
        return cv_error_set(err, CV_ERR_IO, "scorer '%.200s' was killed by signal %d", cmd,
                            WTERMSIG(status));
    int code = WEXITSTATUS(status);
    const char *why = code == 127 ? ": command not found" : code == 126 ? ": not executable" : "";
    return cv_error_set(err, CV_ERR_IO, "scorer '%.200s' exited with status %d%s", cmd, code, why);
}

/* Reads the child's output and reaps it; the output (malloc'd) in *out, *len. */
static CvStatus collect(const char *cmd, pid_t pid, int fd, double timeout, char **out, size_t *len,
                        CvError *err) {
    double deadline = timeout > 0 ? now_s() + timeout : 0;
    int rc = read_all(fd, deadline, out, len);
    if (rc) {
        kill_child(pid);
        if (rc == ETIMEDOUT)
            return cv_error_set(err, CV_ERR_IO, "scorer '%.200s' did not finish within %g s", cmd,
                                timeout);
        if (rc == EFBIG)
            return cv_error_set(err, CV_ERR_IO, "scorer '%.200s' wrote more than %d bytes", cmd,
                                CV_SCORER_MAX_OUTPUT);
        return cv_error_set(err, CV_ERR_IO, "scorer '%.200s': reading its output: %s", cmd,
                            strerror(rc));
    }
    int status = wait_child(pid, deadline);
    CvStatus st = CV_OK;
    if (status == -1) {
        kill_child(pid);
        st = cv_error_set(err, CV_ERR_IO, "scorer '%.200s' did not exit within %g s", cmd, timeout);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        st = status_error(cmd, status, err);
    }
    if (st) free(*out), *out = NULL;
    return st;
}

CvStatus cv_scorer_exec(const char *cmd, double timeout, const char *const *smiles, size_t n,
                        double *out, CvError *err) {
    int in = input_file(smiles, n), pipefd[2] = {-1, -1};
    if (in < 0 || pipe2(pipefd, O_CLOEXEC)) {
        int e = errno;
        if (in >= 0) close(in);
        return cv_error_set(err, CV_ERR_IO, "scorer '%.200s': cannot pass it %zu SMILES: %s", cmd,
                            n, strerror(e));
    }
    pid_t pid;
    int rc = spawn_shell(cmd, in, pipefd[1], &pid);
    close(in);
    close(pipefd[1]);
    if (rc) {
        close(pipefd[0]);
        return cv_error_set(err, CV_ERR_IO, "scorer '%.200s': cannot run /bin/sh: %s", cmd,
                            strerror(rc));
    }
    char *text = NULL;
    size_t len = 0;
    CvStatus st = collect(cmd, pid, pipefd[0], timeout, &text, &len, err);
    close(pipefd[0]);
    if (!st) st = cv_scorer_parse(cmd, text, len, smiles, n, out, err);
    free(text);
    return st;
}

/* ---- the cache ----------------------------------------------------------------------------- */

double cv_scorer_value(const CvScorer *s, const char *smiles) {
    long at = smiles ? cv_latent_uniq_find(&s->seen, smiles) : -1;
    return at >= 0 ? s->values[at] : NAN;
}

/* Scores the molecules of `fresh` (distinct, not seen) and appends them to s->seen. */
static CvStatus score_fresh(CvScorer *s, const LatentUniq *fresh, CvError *err) {
    size_t n = fresh->n;
    const char **smi = malloc(n * sizeof *smi);
    double *v = malloc(n * sizeof *v);
    CvStatus st = CV_OK;
    if (s->seen.n + n > s->cap) {
        size_t ncap = 2 * (s->seen.n + n);
        double *nv = realloc(s->values, ncap * sizeof *nv);
        if (nv) s->values = nv, s->cap = ncap;
        else st = CV_ERR_NOMEM;
    }
    if (!smi || !v || st) st = cv_error_set(err, CV_ERR_NOMEM, "scorer: out of memory");
    for (size_t i = 0; !st && i < n; i++) smi[i] = fresh->items[i].smiles;
    if (!st) st = cv_scorer_exec(s->cmd, s->timeout, smi, n, v, err);
    if (!st) s->calls++;
    for (size_t i = 0; !st && i < n; i++) {
        size_t at = 0;
        const LatentUniqEntry *e = &fresh->items[i];
        st = cv_latent_uniq_add(&s->seen, e->smiles, &e->scores, 0, &at, NULL, err);
        if (!st) s->values[at] = v[i];
    }
    free(smi);
    free(v);
    return st;
}

CvStatus cv_scorer_score(CvScorer *s, size_t n, const char *const *smiles, const ChemScores *scores,
                         double *out, CvError *err) {
    LatentUniq fresh = {0};
    CvStatus st = CV_OK;
    for (size_t i = 0; !st && i < n; i++)
        if (smiles[i] && cv_latent_uniq_find(&s->seen, smiles[i]) < 0)
            st = cv_latent_uniq_add(&fresh, smiles[i], scores ? &scores[i] : NULL, i, NULL, NULL,
                                    err);
    if (!st && fresh.n) st = score_fresh(s, &fresh, err);
    cv_latent_uniq_free(&fresh);
    for (size_t i = 0; !st && i < n; i++) out[i] = cv_scorer_value(s, smiles[i]);
    return st;
}

CvStatus cv_scorer_judge(void *ctx, size_t n, const char *const *smiles, const ChemScores *scores,
                         double *out, CvError *err) {
    CvScorer *s = ctx;
    CvStatus st = cv_scorer_score(s, n, smiles, scores, out, err);
    for (size_t i = 0; !st && s->negate && i < n; i++) out[i] = -out[i];
    return st;
}

CvStatus cv_scorer_record(CvScorer *s, const CvHooks *h, CvError *err) {
    size_t n = s->seen.n - s->recorded;
    if (!h || !h->db || !n) {
        s->recorded = s->seen.n;
        return CV_OK;
    }
    StoreScore *rows = malloc(n * sizeof *rows);
    if (!rows) return cv_error_set(err, CV_ERR_NOMEM, "out of memory storing %zu scores", n);
    for (size_t i = 0; i < n; i++) {
        const LatentUniqEntry *e = &s->seen.items[s->recorded + i];
        const ChemScores *c = &e->scores;
        rows[i] = (StoreScore){s->cmd,
                               {e->smiles, c->mw, c->logp, c->qed, c->sa, c->penalized_logp},
                               s->values[s->recorded + i]};
    }
    CvStatus st = cv_store_insert_scores(h->db, h->run_id, rows, n, err);
    if (!st) s->recorded = s->seen.n;
    free(rows);
    return st;
}
