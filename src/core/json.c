/* json.c — the JSON writer (contract in include/chemvae/core/json.h). A value first writes the
 * comma its position needs (has_item of the current depth), unless it follows a key; that
 * is the whole of the formatting logic. String escaping (cv_json_escape) is shared with the
 * query printer's JSON output, so every JSON chemvae writes spells strings one way. Doubles use the
 * shortest of %.1g..%.17g that strtod reads back to the same value, so stored configs show 0.05,
 * not 0.050000000000000003. */
#include "chemvae/core/json.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(CvJson *j, const char *s, size_t n) {
    if (!j->failed && cv_buf_append(&j->out, s, n)) j->failed = 1;
}

static void puts_(CvJson *j, const char *s) {
    put(j, s, strlen(s));
}

/* The separator before a value (or a key) at the current depth. */
static void before_value(CvJson *j) {
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth > 0) {
        if (j->has_item[j->depth - 1]) put(j, ", ", 2);
        j->has_item[j->depth - 1] = 1;
    }
}

static void open_(CvJson *j, char c) {
    before_value(j);
    assert(j->depth < CV_JSON_MAX_DEPTH);
    put(j, &c, 1);
    j->has_item[j->depth++] = 0;
}

static void close_(CvJson *j, char c) {
    assert(j->depth > 0 && !j->after_key);
    j->depth--;
    put(j, &c, 1);
}

void cv_json_begin_object(CvJson *j) {
    open_(j, '{');
}
void cv_json_end_object(CvJson *j) {
    close_(j, '}');
}
void cv_json_begin_array(CvJson *j) {
    open_(j, '[');
}
void cv_json_end_array(CvJson *j) {
    close_(j, ']');
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when s[0] does not start one. */
static size_t utf8_len(const unsigned char *s, size_t avail) {
    size_t n;
    uint32_t cp;
    if (s[0] < 0x80) return 1;
    if ((s[0] & 0xe0) == 0xc0) n = 2, cp = s[0] & 0x1f;
    else if ((s[0] & 0xf0) == 0xe0) n = 3, cp = s[0] & 0x0f;
    else if ((s[0] & 0xf8) == 0xf0) n = 4, cp = s[0] & 0x07;
    else return 0;
    if (n > avail) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static const uint32_t MIN[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < MIN[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

void cv_json_escape(const char *str, size_t len, CvJsonPut put_fn, void *ctx) {
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0; /* start of the bytes passed through unchanged */
    put_fn(ctx, "\"", 1);
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t n = utf8_len(s + i, len - i);
        if (n > 1 || (n == 1 && c >= 0x20 && c != '"' && c != '\\')) {
            i += n;
            continue;
        }
        if (i > run) put_fn(ctx, str + run, i - run);
        char esc[8];
        const char *named = !n          ? "\\ufffd" /* not UTF-8 */
                            : c == '"'  ? "\\\""
                            : c == '\\' ? "\\\\"
                            : c == '\b' ? "\\b"
                            : c == '\f' ? "\\f"
                            : c == '\n' ? "\\n"
                            : c == '\r' ? "\\r"
                            : c == '\t' ? "\\t"
                                        : NULL;
        if (named) snprintf(esc, sizeof esc, "%s", named);
        else snprintf(esc, sizeof esc, "\\u%04x", c);
        put_fn(ctx, esc, strlen(esc));
        run = ++i;
    }
    if (len > run) put_fn(ctx, str + run, len - run);
    put_fn(ctx, "\"", 1);
}

static void put_writer(void *ctx, const char *s, size_t n) {
    put(ctx, s, n);
}

static void quoted(CvJson *j, const char *s) {
    cv_json_escape(s, strlen(s), put_writer, j);
}

void cv_json_key(CvJson *j, const char *key) {
    assert(j->depth > 0 && !j->after_key);
    before_value(j);
    quoted(j, key);
    put(j, ": ", 2);
    j->after_key = 1;
}

void cv_json_string(CvJson *j, const char *s) {
    before_value(j);
    if (s) quoted(j, s);
    else puts_(j, "null");
}

void cv_json_int(CvJson *j, int64_t v) {
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)v);
    before_value(j);
    puts_(j, b);
}

void cv_json_double(CvJson *j, double v) {
    before_value(j);
    if (!isfinite(v)) {
        puts_(j, "null");
        return;
    }
    char b[40];
    if (v == floor(v) && fabs(v) < 1e15) { /* whole numbers as integers: 50, not 5e+01 */
        snprintf(b, sizeof b, "%.0f", v);
        puts_(j, b);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, v);
        if (strtod(b, NULL) == v) break;
    }
    puts_(j, b);
}

void cv_json_bool(CvJson *j, int v) {
    before_value(j);
    puts_(j, v ? "true" : "false");
}

void cv_json_null(CvJson *j) {
    before_value(j);
    puts_(j, "null");
}

void cv_json_raw(CvJson *j, const char *json) {
    before_value(j);
    puts_(j, json);
}

void cv_json_raw_members(CvJson *j, const char *object) {
    size_t n = strlen(object);
    assert(j->depth > 0 && !j->after_key && n >= 2 && object[0] == '{' && object[n - 1] == '}');
    if (n == 2) return; /* {} */
    if (j->has_item[j->depth - 1]) put(j, ", ", 2);
    put(j, object + 1, n - 2);
    j->has_item[j->depth - 1] = 1;
}

void cv_json_kv_string(CvJson *j, const char *key, const char *s) {
    cv_json_key(j, key);
    cv_json_string(j, s);
}

void cv_json_kv_int(CvJson *j, const char *key, int64_t v) {
    cv_json_key(j, key);
    cv_json_int(j, v);
}

void cv_json_kv_double(CvJson *j, const char *key, double v) {
    cv_json_key(j, key);
    cv_json_double(j, v);
}

void cv_json_kv_bool(CvJson *j, const char *key, int v) {
    cv_json_key(j, key);
    cv_json_bool(j, v);
}

const char *cv_json_text(CvJson *j, CvError *err) {
    if (j->failed) {
        cv_error_set(err, CV_ERR_NOMEM, "out of memory (JSON text of %zu bytes)", j->out.len);
        return NULL;
    }
    return j->out.p ? j->out.p : "";
}

void cv_json_reset(CvJson *j) {
    CvBuf keep = j->out;
    memset(j, 0, sizeof *j);
    j->out = keep;
    j->out.len = 0;
    if (j->out.p) j->out.p[0] = '\0';
}

void cv_json_free(CvJson *j) {
    free(j->out.p);
    memset(j, 0, sizeof *j);
}
