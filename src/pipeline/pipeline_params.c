/* pipeline_params.c — the runner's parameters as a table (app_params.h; contract in
 * include/chemvae/pipeline/pipeline.h). --db FILE and --state DIR are --set DB=FILE and
 * --set STATE=DIR: all three append to one list of overrides, in the order given, so the
 * last of them wins as it would among the file's own `set` lines. */
#include <stdio.h>
#include <string.h>

#include "chemvae/pipeline/pipeline.h"

static CvStatus add_set(CvPipelineSets *s, const char *text, CvError *err) {
    if (s->n == CV_PIPELINE_MAX_SETS)
        return cv_error_set(err, CV_ERR_INVALID, "too many --set options");
    s->v[s->n++] = text;
    return CV_OK;
}

static CvStatus parse_set(const char *name, const char *text, void *field, CvError *err) {
    (void)name;
    return add_set(field, text, err);
}

/* "NAME=text" into buf (cap bytes), then added. */
static CvStatus add_named(CvPipelineSets *s, char *buf, size_t cap, const char *var,
                          const char *name, const char *text, CvError *err) {
    if (strlen(text) >= CV_PIPESTATE_PATH_MAX)
        return cv_error_set(err, CV_ERR_INVALID, "%s: a path of %zu bytes; at most %d", name,
                            strlen(text), CV_PIPESTATE_PATH_MAX - 1);
    snprintf(buf, cap, "%s=%s", var, text);
    return add_set(s, buf, err);
}

static CvStatus parse_db(const char *name, const char *text, void *field, CvError *err) {
    CvPipelineSets *s = field;
    return add_named(s, s->db, sizeof s->db, "DB", name, text, err);
}

static CvStatus parse_state(const char *name, const char *text, void *field, CvError *err) {
    CvPipelineSets *s = field;
    return add_named(s, s->state, sizeof s->state, "STATE", name, text, err);
}

static void sets_json(CvJson *j, const void *field) {
    const CvPipelineSets *s = field;
    cv_json_begin_array(j);
    for (size_t i = 0; i < s->n; i++) cv_json_string(j, s->v[i]);
    cv_json_end_array(j);
}

static const CvParamType SET = {1, "NAME=VALUE", parse_set, sets_json};
static const CvParamType DB = {1, "FILE", parse_db, sets_json};
static const CvParamType STATE = {1, "DIR", parse_state, sets_json};

#define F(field) offsetof(CvPipelineConfig, field)
static const CvParam PARAMS[] = {
    CV_PARAM("from", 0, CV_PARAM_STRING, F(from), "STAGE",
             "run STAGE and every later stage even if done"),
    CV_PARAM("set", 0, SET, F(sets), NULL, "set a pipeline variable (wins over the file's 'set')"),
    CV_PARAM("db", 0, DB, F(sets), NULL,
             "results DB (same as --set DB=FILE; default: the file's DB,\nelse "
             "results/chemvae.db)",
             .flags = CV_PARAM_NOCONFIG), /* recorded in set's list */
    CV_PARAM("state", 0, STATE, F(sets), NULL,
             "state directory (same as --set STATE=DIR; default\nresults/<pipeline name>)",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("dry-run", 0, CV_PARAM_SWITCH, F(dry_run), NULL, "print what would run, run nothing"),
};
#undef F
const CvParamTable cv_pipeline_params = CV_PARAM_TABLE(PARAMS);
