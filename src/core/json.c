/* json.c — the JSON writer (contract in include/chemvae/json.h). A value first writes the
 * comma its position needs (has_item of the current depth), unless it follows a key; that
 * is the whole of the formatting logic. Doubles use the shortest of %.1g..%.17g that
 * strtod reads back to the same value, so stored configs show 0.05, not 0.050000000000000003. */
#include "chemvae/json.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(CvJson *j, const char *s, size_t n) {
    if (!j->failed && cv_buf_append(&j->out, s, n)) j->failed = 1;
}

static void puts_(CvJson *j, const char *s) { put(j, s, strlen(s)); }

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

void cv_json_begin_object(CvJson *j) { open_(j, '{'); }
void cv_json_end_object(CvJson *j) { close_(j, '}'); }
void cv_json_begin_array(CvJson *j) { open_(j, '['); }
void cv_json_end_array(CvJson *j) { close_(j, ']'); }

static void quoted(CvJson *j, const char *s) {
    put(j, "\"", 1);
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c != '"' && c != '\\' && c >= 0x20) continue;
        put(j, run, (size_t)(p - run));
        char esc[8];
        if (c == '"' || c == '\\')
            esc[0] = '\\', esc[1] = (char)c, esc[2] = '\0';
        else
            snprintf(esc, sizeof esc, "\\u%04x", c);
        puts_(j, esc);
        run = p + 1;
    }
    puts_(j, run);
    put(j, "\"", 1);
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
    if (s)
        quoted(j, s);
    else
        puts_(j, "null");
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

void cv_json_free(CvJson *j) {
    free(j->out.p);
    memset(j, 0, sizeof *j);
}
