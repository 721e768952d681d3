/* pipefile.c — parser of pipeline definition files and the per-stage content hash (see
 * include/chemvae/pipeline/pipefile.h for the format).
 *
 * How: the text is split into lines; each line is split into words by a small state machine
 * (blanks separate, "..." groups, # at a word start ends the line), and ${NAME} is expanded
 * while the word is built, so a variable can only be used after its `set` line (like a
 * shell). Directives then append to the current stage. Every string is malloc'd separately
 * into growable word lists (PipeWords); pipeline files are a few dozen lines, so simplicity
 * beats an arena.
 *
 * Why a line format and not JSON/YAML/Make: no dependency, errors can name a line, comments
 * are natural, and a stage reads like the command line it runs. */
#include "chemvae/pipeline/pipefile.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/core/buf.h"
#include "chemvae/core/fileio.h"

/* ---- growable lists ---------------------------------------------------------------- */

static int words_push(PipeWords *w, char *s) {
    if (!s) return -1;
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 8;
        char **v = realloc(w->v, cap * sizeof *v);
        if (!v) {
            free(s);
            return -1;
        }
        w->v = v;
        w->cap = cap;
    }
    w->v[w->n++] = s;
    return 0;
}

static void words_free(PipeWords *w) {
    for (size_t i = 0; i < w->n; i++) free(w->v[i]);
    free(w->v);
    memset(w, 0, sizeof *w);
}

/* ---- variables ------------------------------------------------------------------------ */

static int var_index(const PipeFile *pf, const char *name, size_t len) {
    for (size_t i = 0; i < pf->var_names.n; i++)
        if (strlen(pf->var_names.v[i]) == len && !memcmp(pf->var_names.v[i], name, len))
            return (int)i;
    return -1;
}

const char *cv_pipefile_var(const PipeFile *pf, const char *name) {
    int i = var_index(pf, name, strlen(name));
    return i < 0 ? NULL : pf->var_values.v[i];
}

static int valid_name(const char *s, size_t len) {
    if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
    for (size_t i = 1; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_')) return 0;
    return 1;
}

/* Sets (or replaces) a variable. Returns -1 on out-of-memory. */
static int var_set(PipeFile *pf, const char *name, size_t len, const char *value) {
    int i = var_index(pf, name, len);
    char *v = strdup(value);
    if (!v) return -1;
    if (i >= 0) {
        free(pf->var_values.v[i]);
        pf->var_values.v[i] = v;
        return 0;
    }
    if (words_push(&pf->var_values, v)) return -1;
    if (words_push(&pf->var_names, strndup(name, len))) {
        free(pf->var_values.v[--pf->var_values.n]);
        return -1;
    }
    return 0;
}

/* ---- lines and words -------------------------------------------------------------------- */

typedef struct {
    const char *path;
    int line;
    CvError *err;
} Where;

#define PARSE_FAIL(w, ...) (cv_error_set((w)->err, CV_ERR_PARSE, __VA_ARGS__), -1)

/* Splits one line into expanded words (appended to *out). Returns 0 or -1 (err set). */
static int split_line(const PipeFile *pf, const char *p, const char *end, PipeWords *out,
                      const Where *w) {
    CvBuf cur = {0};
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
        if (p == end || *p == '#') break;
        cur.len = 0;
        if (cv_buf_append(&cur, "", 0)) goto oom;
        int quoted = 0;
        while (p < end && (quoted || (*p != ' ' && *p != '\t' && *p != '\r'))) {
            if (*p == '"') {
                quoted = !quoted;
                p++;
            } else if (quoted && *p == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\')) {
                if (cv_buf_append(&cur, p + 1, 1)) goto oom;
                p += 2;
            } else if (*p == '$' && p + 1 < end && p[1] == '{') {
                const char *close = memchr(p + 2, '}', (size_t)(end - p - 2));
                if (!close) {
                    free(cur.p);
                    return PARSE_FAIL(w, "%s:%d: '${' without a closing '}'", w->path, w->line);
                }
                const char *name = p + 2;
                size_t len = (size_t)(close - name);
                if (!valid_name(name, len)) {
                    free(cur.p);
                    return PARSE_FAIL(w, "%s:%d: bad variable name '${%.*s}'", w->path, w->line,
                                      (int)len, name);
                }
                if (len == 3 && !memcmp(name, "RUN", 3)) {
                    if (cv_buf_append(&cur, PIPEFILE_RUN_VAR, strlen(PIPEFILE_RUN_VAR))) goto oom;
                } else {
                    int i = var_index(pf, name, len);
                    if (i < 0) {
                        free(cur.p);
                        return PARSE_FAIL(w,
                                          "%s:%d: undefined variable '${%.*s}' (define it with "
                                          "'set' above this line or --set)",
                                          w->path, w->line, (int)len, name);
                    }
                    if (cv_buf_append(&cur, pf->var_values.v[i], strlen(pf->var_values.v[i])))
                        goto oom;
                }
                p = close + 1;
            } else {
                if (cv_buf_append(&cur, p, 1)) goto oom;
                p++;
            }
        }
        if (quoted) {
            free(cur.p);
            return PARSE_FAIL(w, "%s:%d: unterminated quote", w->path, w->line);
        }
        if (words_push(out, strdup(cur.p))) goto oom;
    }
    free(cur.p);
    return 0;
oom:
    free(cur.p);
    cv_error_set(w->err, CV_ERR_NOMEM, "%s:%d: out of memory", w->path, w->line);
    return -1;
}

static int copy_words(PipeWords *dst, char *const *src, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (words_push(dst, strdup(src[i]))) return -1;
    return 0;
}

/* Applies one directive (words[0]) to pf. */
static int apply(PipeFile *pf, PipeWords *wd, const PipeWords *overridden, const Where *w) {
    const char *d = wd->v[0];
    size_t nval = wd->n - 1;
    char *const *val = wd->v + 1;
    if (!strcmp(d, "set")) {
        if (nval != 2)
            return PARSE_FAIL(w,
                              "%s:%d: 'set' takes a name and one value (quote a value with blanks)",
                              w->path, w->line);
        if (!valid_name(val[0], strlen(val[0])) || !strcmp(val[0], "RUN"))
            return PARSE_FAIL(
                w, "%s:%d: cannot set '%s' (names are letters, digits, _; RUN is reserved)",
                w->path, w->line, val[0]);
        for (size_t i = 0; i < overridden->n; i++)
            if (!strcmp(overridden->v[i], val[0])) return 0;
        return var_set(pf, val[0], strlen(val[0]), val[1])
                   ? (cv_error_set(w->err, CV_ERR_NOMEM, "out of memory"), -1)
                   : 0;
    }
    if (!strcmp(d, "stage")) {
        if (nval != 2)
            return PARSE_FAIL(
                w, "%s:%d: 'stage' takes a name and a chemvae command, e.g. 'stage train train'",
                w->path, w->line);
        /* the name is a file name in the state directory (a few bytes of suffix added) */
        if (strlen(val[0]) > PIPEFILE_MAX_STAGE_NAME)
            return PARSE_FAIL(w, "%s:%d: stage name of %zu characters; at most %d ('%.40s...')",
                              w->path, w->line, strlen(val[0]), PIPEFILE_MAX_STAGE_NAME, val[0]);
        if (cv_pipefile_find_stage(pf, val[0]) >= 0)
            return PARSE_FAIL(w, "%s:%d: stage '%s' is defined twice", w->path, w->line, val[0]);
        if (pf->nstages == pf->cap) {
            size_t cap = pf->cap ? 2 * pf->cap : 8;
            PipeStage *s = realloc(pf->stages, cap * sizeof *s);
            if (!s) return cv_error_set(w->err, CV_ERR_NOMEM, "out of memory"), -1;
            pf->stages = s;
            pf->cap = cap;
        }
        PipeStage *s = &pf->stages[pf->nstages++];
        memset(s, 0, sizeof *s);
        s->line = w->line;
        s->name = strdup(val[0]);
        s->command = strdup(val[1]);
        if (!s->name || !s->command) return cv_error_set(w->err, CV_ERR_NOMEM, "out of memory"), -1;
        return 0;
    }
    static const char *const stage_directives[] = {"args", "in", "out", "resume", "prebuilt"};
    size_t k = 0;
    while (k < 5 && strcmp(d, stage_directives[k])) k++;
    if (k == 5)
        return PARSE_FAIL(
            w,
            "%s:%d: unknown directive '%s' (expected set, stage, args, in, out, resume, prebuilt)",
            w->path, w->line, d);
    if (pf->nstages == 0)
        return PARSE_FAIL(w, "%s:%d: '%s' before the first 'stage' line", w->path, w->line, d);
    PipeStage *s = &pf->stages[pf->nstages - 1];
    if (nval == 0)
        return PARSE_FAIL(w, "%s:%d: '%s' needs at least one value", w->path, w->line, d);
    PipeWords *dst[] = {&s->args, &s->inputs, &s->outputs, &s->resume};
    if (k < 4)
        return copy_words(dst[k], val, nval)
                   ? (cv_error_set(w->err, CV_ERR_NOMEM, "out of memory"), -1)
                   : 0;
    if (nval != 1 || s->prebuilt)
        return PARSE_FAIL(w, "%s:%d: 'prebuilt' takes one file, once per stage", w->path, w->line);
    s->prebuilt = strdup(val[0]);
    return s->prebuilt ? 0 : (cv_error_set(w->err, CV_ERR_NOMEM, "out of memory"), -1);
}

CvStatus cv_pipefile_parse(PipeFile *pf, const char *path, const char *text,
                           const char *const *overrides, size_t n, CvError *err) {
    CvError local;
    if (!err) err = &local;
    memset(pf, 0, sizeof *pf);
    PipeWords overridden = {0}, wd = {0};
    Where w = {path, 0, err};
    pf->path = strdup(path);
    if (!pf->path) goto oom;
    /* ${PIPELINE}: base name without extension */
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t blen = strcspn(base, ".");
    char *pname = strndup(base, blen);
    int bad = !pname || var_set(pf, "PIPELINE", 8, pname);
    free(pname);
    if (bad) goto oom;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(overrides[i], '=');
        if (!eq || !valid_name(overrides[i], (size_t)(eq - overrides[i])) ||
            !strncmp(overrides[i], "RUN=", 4)) {
            cv_error_set(err, CV_ERR_PARSE,
                         "bad variable setting '%s' (expected NAME=VALUE; RUN is reserved)",
                         overrides[i]);
            goto fail;
        }
        if (var_set(pf, overrides[i], (size_t)(eq - overrides[i]), eq + 1)) goto oom;
        if (words_push(&overridden, strndup(overrides[i], (size_t)(eq - overrides[i])))) goto oom;
    }
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        if (!end) end = p + strlen(p);
        w.line++;
        for (size_t i = 0; i < wd.n; i++) free(wd.v[i]);
        wd.n = 0;
        if (split_line(pf, p, end, &wd, &w)) goto fail;
        if (wd.n && apply(pf, &wd, &overridden, &w)) goto fail;
        p = *end ? end + 1 : end;
    }
    if (pf->nstages == 0) {
        cv_error_set(err, CV_ERR_EMPTY, "%s: no 'stage' line", path);
        goto fail;
    }
    words_free(&wd);
    words_free(&overridden);
    return CV_OK;
oom:
    cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", path);
fail:
    words_free(&wd);
    words_free(&overridden);
    cv_pipefile_free(pf);
    return err->code ? err->code : CV_ERR_PARSE;
}

CvStatus cv_pipefile_load(PipeFile *pf, const char *path, const char *const *overrides, size_t n,
                          CvError *err) {
    memset(pf, 0, sizeof *pf);
    char *text = NULL;
    size_t len;
    CvStatus st = cv_read_file(path, &text, &len, err);
    if (st) return st;
    if (memchr(text, 0, len)) {
        free(text);
        return cv_error_set(err, CV_ERR_PARSE, "%s: not a text file (NUL byte)", path);
    }
    st = cv_pipefile_parse(pf, path, text, overrides, n, err);
    free(text);
    return st;
}

void cv_pipefile_free(PipeFile *pf) {
    for (size_t i = 0; i < pf->nstages; i++) {
        PipeStage *s = &pf->stages[i];
        free(s->name);
        free(s->command);
        free(s->prebuilt);
        words_free(&s->args);
        words_free(&s->inputs);
        words_free(&s->outputs);
        words_free(&s->resume);
    }
    free(pf->stages);
    free(pf->path);
    words_free(&pf->var_names);
    words_free(&pf->var_values);
    memset(pf, 0, sizeof *pf);
}

int cv_pipefile_find_stage(const PipeFile *pf, const char *name) {
    for (size_t i = 0; i < pf->nstages; i++)
        if (!strcmp(pf->stages[i].name, name)) return (int)i;
    return -1;
}

static uint64_t hash_words(uint64_t h, const char *tag, const PipeWords *w) {
    h = cv_fnv1a64(h, tag, strlen(tag) + 1);
    for (size_t i = 0; i < w->n; i++) h = cv_fnv1a64(h, w->v[i], strlen(w->v[i]) + 1);
    return h;
}

CvStatus cv_pipefile_stage_hash(const PipeStage *s, char out[17], CvError *err) {
    uint64_t h = cv_fnv1a64(CV_FNV64_INIT, s->command, strlen(s->command) + 1);
    h = hash_words(h, "args", &s->args);
    h = hash_words(h, "resume", &s->resume);
    h = hash_words(h, "out", &s->outputs);
    h = hash_words(h, "in", &s->inputs);
    for (size_t i = 0; i < s->inputs.n; i++) {
        char fh[17];
        CvStatus st = cv_hash_file(s->inputs.v[i], fh, err);
        if (st) {
            cv_error_prefix(err, "stage '%s': input", s->name);
            return st;
        }
        h = cv_fnv1a64(h, fh, 16);
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
    return CV_OK;
}

char *cv_pipefile_subst_run(const char *word, const char *run) {
    CvBuf b = {0};
    if (cv_buf_append(&b, "", 0)) return NULL;
    size_t vl = strlen(PIPEFILE_RUN_VAR);
    for (const char *p = word; *p;) {
        const char *hit = strstr(p, PIPEFILE_RUN_VAR);
        size_t n = hit ? (size_t)(hit - p) : strlen(p);
        if (cv_buf_append(&b, p, n) || (hit && cv_buf_append(&b, run, strlen(run)))) {
            free(b.p);
            return NULL;
        }
        p += n + (hit ? vl : 0);
    }
    return b.p;
}
