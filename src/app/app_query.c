/* app_query.c — the query job (see app_query.h): its parameters, the table of views and
 * their reads in the store. */
#include "chemvae/app/app_query.h"

#include <limits.h>
#include <string.h>

/* --format F, and the switches --csv / --json, which are named after their format */
static CvStatus parse_format(const char *name, const char *text, void *field, CvError *err) {
    if (!cv_store_format_parse(*text ? text : name + strspn(name, "-"), field)) return CV_OK;
    return cv_error_set(err, CV_ERR_INVALID, "%s expects table, csv, json, sdf or smi, got '%s'",
                        name, text);
}
static void format_json(CvJson *j, const void *field) {
    cv_json_string(j, cv_store_format_name(*(const StoreFormat *)field));
}
const CvParamType CV_PARAM_STORE_FORMAT = {1, "F", parse_format, format_json};
const CvParamType CV_PARAM_STORE_FORMAT_SWITCH = {0, NULL, parse_format, format_json};

/* --by: a score column of `molecules` */
static CvStatus parse_by(const char *name, const char *text, void *field, CvError *err) {
    *(const char **)field = text;
    if (cv_store_is_score_column(text)) return CV_OK;
    return cv_error_set(err, CV_ERR_INVALID,
                        "%s expects mw, logp, qed, sa or penalized_logp, got '%s'", name, text);
}
static void by_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const char *const *)field);
}
static const CvParamType BY = {1, "COL", parse_by, by_json};

static void double_json(CvJson *j, const void *field) {
    cv_json_double(j, *(const double *)field);
}

/* --min: a similarity, 0..1 */
static CvStatus parse_similarity(const char *name, const char *text, void *field, CvError *err) {
    CvStatus st = CV_PARAM_DOUBLE.parse(name, text, field, err);
    double v = *(double *)field;
    if (!st && !(v >= 0 && v <= 1))
        st = cv_error_set(err, CV_ERR_INVALID, "%s must be between 0 and 1, got %s", name, text);
    return st;
}
static const CvParamType SIMILARITY = {1, "T", parse_similarity, double_json};

/* --timeout: seconds >= 0 */
static CvStatus parse_seconds(const char *name, const char *text, void *field, CvError *err) {
    CvStatus st = CV_PARAM_DOUBLE.parse(name, text, field, err);
    if (!st && *(double *)field < 0)
        st = cv_error_set(err, CV_ERR_INVALID, "%s must be >= 0 seconds, got %s", name, text);
    return st;
}
static const CvParamType SECONDS = {1, "S", parse_seconds, double_json};

#define F(field) offsetof(CvQueryConfig, field)
static const CvParam PARAMS[] = {
    CV_PARAM("param", 'p', CV_PARAM_STRINGS, F(params), "V",
             "bind V to the next ?N of the SQL (repeatable)"),
    CV_PARAM("by", 0, BY, F(by), "COL", "top: mw | logp | qed | sa | penalized_logp (default qed)"),
    CV_PARAM(NULL, 'n', CV_PARAM_LONG, F(n), "N",
             "top, substruct: number of molecules (default 20)"),
    CV_PARAM("asc", 0, CV_PARAM_SWITCH, F(asc), NULL, "top: lowest first (e.g. --by sa --asc)"),
    CV_PARAM("run", 0, CV_PARAM_LONG, F(run), "N", "top: only molecules run N generated"),
    CV_PARAM(NULL, 'k', CV_PARAM_LONG, F(k), "N",
             "similar: number of molecules (default 10; 0 = all)"),
    CV_PARAM("min", 0, SIMILARITY, F(min_sim), "T",
             "similar: only molecules with similarity >= T (0..1)"),
    CV_PARAM("timeout", 0, SECONDS, F(timeout), "S",
             "stop a statement after S seconds (default 60; 0 = never)"),
};
#undef F
const CvParamTable cv_query_params = CV_PARAM_TABLE(PARAMS);

/* The views and their argument's name (NULL: none). */
static const char *const VIEWS[][2] = {
    {"top", NULL},         {"runs", NULL},          {"run", "N"},    {"molecule", "SMILES"},
    {"similar", "SMILES"}, {"substruct", "SMARTS"}, {"scores", "N"}, {"schema", NULL}};
enum { NVIEWS = sizeof VIEWS / sizeof *VIEWS };

const char *cv_query_views_text(void) {
    return "top, runs, run N, molecule SMILES, similar SMILES, substruct SMARTS, scores N, "
           "schema";
}

int cv_query_is_view(const char *name, const char **arg_name) {
    for (size_t i = 0; i < NVIEWS; i++)
        if (!strcmp(name, VIEWS[i][0])) return *arg_name = VIEWS[i][1], 1;
    return 0;
}

CvStatus cv_query_read_view(Store *db, const CvQueryConfig *c, const char *name, const char *arg,
                            StoreView *v, CvError *err) {
    long id = 0;
    int by_id = !strcmp(name, "run") || !strcmp(name, "scores");
    char what[32];
    snprintf(what, sizeof what, "%s N: N", name);
    if (by_id && cv_param_read_long(what, arg, LONG_MAX, &id, err)) return CV_ERR_INVALID;
    if (!strcmp(name, "run")) return cv_store_run_view(db, id, v, err);
    if (!strcmp(name, "scores")) return cv_store_run_read(db, STORE_READ_SCORES, id, v->part, err);
    if (!strcmp(name, "molecule")) return cv_store_molecule_view(db, arg, v, err);
    if (!strcmp(name, "similar"))
        return cv_store_similar(db, arg, (size_t)c->k, c->min_sim, v->part, err);
    if (!strcmp(name, "substruct")) return cv_store_substruct(db, arg, (size_t)c->n, v->part, err);
    if (!strcmp(name, "top"))
        return cv_store_top_molecules(db, c->by, (size_t)c->n, c->asc, c->run, v->part, err);
    if (!strcmp(name, "runs")) return cv_store_list_runs(db, v->part, err);
    return cv_store_list_schema(db, v->part, err);
}

CvStatus cv_query_print_sql(FILE *fp, Store *db, const CvQueryConfig *c, const char *sql,
                            StoreFormat format, size_t max_width, CvError *err) {
    StoreValue p[CV_STRINGS_MAX];
    for (size_t k = 0; k < c->params.n; k++)
        p[k] = (StoreValue){.type = STORE_TEXT, .s = c->params.v[k]};
    return cv_store_print_select(fp, db, sql, p, c->params.n, format, max_width, err);
}
