/* runcmd.c — see runcmd.h. */
#include "runcmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int runcmd_capture(const char *cmd, char **out) {
    if (out) *out = NULL;
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t cap = 1 << 16, len = 0, n;
    char *buf = malloc(cap);
    while (buf && (n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int status = pclose(p);
    if (!buf) return -1;
    buf[len] = '\0';
    if (out) *out = buf;
    else free(buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int runcmd_chemvae_path(char *bin, size_t cap) {
    const char *build = getenv("BUILD");
    if (!build || !*build) build = "build";
    int n;
    if (build[0] == '/') {
        n = snprintf(bin, cap, "%s/chemvae", build);
    } else {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd)) return -1;
        n = snprintf(bin, cap, "%s/%s/chemvae", cwd, build);
    }
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

int runcmd_rmtree(const char *dir) {
    char cmd[4200];
    if ((size_t)snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir) >= sizeof cmd) return -1;
    return system(cmd) == 0 ? 0 : -1;
}

size_t runcmd_count(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* runcmd_check, also counting the "skip:" lines when skipped is not NULL. */
static int check_counting(const char *cmd, size_t *ok, size_t *failed, size_t *skipped) {
    char *out = NULL;
    int rc = runcmd_capture(cmd, &out);
    *ok = out ? runcmd_count(out, "ok   ") : 0;
    *failed = out ? runcmd_count(out, "FAIL") : 1;
    if (skipped) *skipped = out ? runcmd_count(out, "\nskip:") + !strncmp(out, "skip:", 5) : 0;
    if (out && (rc != 0 || *failed)) fprintf(stderr, "%s", out);
    free(out);
    return rc;
}

int runcmd_check(const char *cmd, size_t *ok, size_t *failed) {
    return check_counting(cmd, ok, failed, NULL);
}

int runcmd_check_script(const char *script, size_t *ok, size_t *failed, size_t *skipped) {
    const char *build = getenv("BUILD");
    char cmd[1024];
    int n = snprintf(cmd, sizeof cmd, "bash %s '%s' 2>&1", script, build ? build : "build");
    if (n < 0 || (size_t)n >= sizeof cmd) {
        *ok = 0, *failed = 1;
        return -1;
    }
    return check_counting(cmd, ok, failed, skipped);
}

int runcmd_capturef(char **out, const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof cmd) {
        if (out) *out = NULL;
        return -1;
    }
    return runcmd_capture(cmd, out);
}

int runcmd_mkdtemp(char *dir, size_t cap, const char *prefix) {
    int n = snprintf(dir, cap, "/tmp/%s-XXXXXX", prefix);
    return n >= 0 && (size_t)n < cap && mkdtemp(dir) ? 0 : -1;
}
