/* json.h — one JSON writer for everything chemvae stores or prints as JSON (run configs,
 * per-epoch extras, predictions, pipeline state): values appended to a growable buffer, so
 * nothing is truncated and nothing overruns, whatever the length of a path or a name.
 *
 * Use:
 *   CvJson j = {0};
 *   cv_json_begin_object(&j);
 *   cv_json_kv_string(&j, "data", path);   // NULL is written as null
 *   cv_json_kv_int(&j, "batch", 128);
 *   cv_json_end_object(&j);
 *   const char *text = cv_json_text(&j, err);   // NULL (CV_ERR_NOMEM) if memory ran out
 *   ...
 *   cv_json_free(&j);
 *
 * Commas and key/value separators are placed by the writer. Strings are escaped by
 * cv_json_escape (below). Non-finite doubles become
 * null (JSON has no NaN). After an allocation failure every call is a no-op and
 * cv_json_text reports it. Nesting deeper than CV_JSON_MAX_DEPTH is a programming error
 * (assert). */
#ifndef CHEMVAE_JSON_H
#define CHEMVAE_JSON_H

#include <stdint.h>

#include "chemvae/core/buf.h"
#include "chemvae/core/error.h"

#define CV_JSON_MAX_DEPTH 32

typedef struct {
    CvBuf out;
    int depth;                                 /* open objects / arrays */
    unsigned char has_item[CV_JSON_MAX_DEPTH]; /* a value was written at this depth */
    int after_key;                             /* a key was written, its value comes next */
    int failed;                                /* out of memory: the text is incomplete */
} CvJson;

void cv_json_begin_object(CvJson *j);
void cv_json_end_object(CvJson *j);
void cv_json_begin_array(CvJson *j);
void cv_json_end_array(CvJson *j);
/* Inside an object: the key of the next value. */
void cv_json_key(CvJson *j, const char *key);

void cv_json_string(CvJson *j, const char *s); /* NULL = null */
void cv_json_int(CvJson *j, int64_t v);
void cv_json_double(CvJson *j, double v); /* shortest %.*g that reads back the same */
void cv_json_bool(CvJson *j, int v);
void cv_json_null(CvJson *j);
/* A value that is already JSON text (e.g. a stored config), inserted as it is. */
void cv_json_raw(CvJson *j, const char *json);
/* The members of `object`, the text of a JSON object written by this writer ("{}" or
 * "{"k": v, ...}"), appended to the object being written, as if written one by one. */
void cv_json_raw_members(CvJson *j, const char *object);

/* key + value in one call. */
void cv_json_kv_string(CvJson *j, const char *key, const char *s);
void cv_json_kv_int(CvJson *j, const char *key, int64_t v);
void cv_json_kv_double(CvJson *j, const char *key, double v);
void cv_json_kv_bool(CvJson *j, const char *key, int v);

/* Writes s[0..len) as a JSON string literal through put(ctx, bytes, n): quotes, backslash
 * and control bytes escaped (\n, \t, ... or \u00XX), valid UTF-8 passed through, a byte
 * that starts no valid UTF-8 sequence written as \ufffd (so the text is always valid JSON
 * in valid UTF-8). The one string escaper of every JSON chemvae writes. */
typedef void (*CvJsonPut)(void *ctx, const char *bytes, size_t n);
void cv_json_escape(const char *s, size_t len, CvJsonPut put, void *ctx);

/* Empties the text (keeping its buffer) for the next value, e.g. one object per row. */
void cv_json_reset(CvJson *j);

/* The text so far (owned by j, valid until the next call or cv_json_free), or NULL with
 * CV_ERR_NOMEM in *err when an allocation failed on the way. An empty writer gives "". */
const char *cv_json_text(CvJson *j, CvError *err);
/* Frees the buffer and resets j to empty. */
void cv_json_free(CvJson *j);

#endif
