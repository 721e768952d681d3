/* report_params.c — the report's parameters as a table (app_params.h; contract in
 * include/chemvae/report/report.h): the command line's options and --help. The values a
 * report takes beyond the generic kinds (the run: an id or 'latest'; a score name; the size
 * of the top grid) are checked as they are read, so a bad one is refused before any work. */
#include <limits.h>
#include <string.h>

#include "chemvae/report/report.h"

/* run: a run id > 0, or 'latest' (CV_REPORT_RUN_LATEST) */
static CvStatus parse_run(const char *name, const char *text, void *field, CvError *err) {
    long run = CV_REPORT_RUN_LATEST;
    CvStatus st = CV_OK;
    if (strcmp(text, "latest") != 0) st = cv_param_read_long(name, text, LONG_MAX, &run, err);
    if (!st && run == 0)
        st = cv_error_set(err, CV_ERR_INVALID, "%s must be a run id or 'latest'", name);
    if (!st) *(int64_t *)field = run;
    return st;
}
static void run_json(CvJson *j, const void *field) {
    int64_t run = *(const int64_t *)field;
    if (run == CV_REPORT_RUN_LATEST) cv_json_string(j, "latest");
    else cv_json_int(j, run);
}
static const CvParamType RUN = {1, "ID", parse_run, run_json};

/* score: one of cv_report_score_label's names */
static CvStatus parse_score(const char *name, const char *text, void *field, CvError *err) {
    if (!cv_report_score_label(text))
        return cv_error_set(err, CV_ERR_INVALID, "%s must be qed, penalized_logp, logp, sa or mw",
                            name);
    *(const char **)field = text;
    return CV_OK;
}
static void score_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const char *const *)field);
}
static const CvParamType SCORE = {1, "NAME", parse_score, score_json};

/* top: 1..CV_REPORT_MAX_TOP */
static CvStatus parse_top(const char *name, const char *text, void *field, CvError *err) {
    long top;
    CvStatus st = cv_param_read_long(name, text, LONG_MAX, &top, err);
    if (!st && (top < 1 || top > CV_REPORT_MAX_TOP))
        st = cv_error_set(err, CV_ERR_INVALID, "%s must be 1..%d", name, CV_REPORT_MAX_TOP);
    if (!st) *(int *)field = (int)top;
    return st;
}
static void top_json(CvJson *j, const void *field) {
    cv_json_int(j, *(const int *)field);
}
static const CvParamType TOP = {1, "N", parse_top, top_json};

#define F(field) offsetof(CvReportConfig, field)
static const CvParam PARAMS[] = {
    CV_PARAM("db", 0, CV_PARAM_STRING, F(db_path), "FILE",
             "results DB (default results/chemvae.db, or a postgresql://\nURI)"),
    CV_PARAM("run", 0, RUN, F(run), "ID|latest",
             "only this run and the runs under it (e.g. a pipeline\nrun); 'latest' = the newest "
             "pipeline run (default: whole\nDB, the latest run of each kind)"),
    CV_PARAM("out", 0, CV_PARAM_STRING, F(out_path), "FILE",
             "HTML file to write (default results/report.html)"),
    CV_PARAM("model", 'm', CV_PARAM_STRING, F(model), "FILE",
             "checkpoint for the latent-space map (with --data)"),
    CV_PARAM("data", 0, CV_PARAM_STRING, F(data), "FILE",
             "dataset (.cvds) whose test molecules are mapped"),
    CV_PARAM("color-by", 0, CV_PARAM_STRING, F(color_by), "NAME",
             "property colouring the map (default: the dataset's first)"),
    CV_PARAM("pca-max", 0, CV_PARAM_SIZE, F(pca_max), "N",
             "molecules encoded for the map (default 2000)"),
    CV_PARAM("score", 0, SCORE, F(score), "NAME",
             "ranking of the top molecules: qed (default),\npenalized_logp, logp, sa (lower is "
             "better), mw;\noptimization trajectories use the run's objective\nwhen it is one of "
             "these, else this score"),
    CV_PARAM("top", 0, TOP, F(top), "N", "molecules in the top grid (default 12)"),
    CV_PARAM("props-max", 0, CV_PARAM_SIZE, F(props_max), "N",
             "training molecules scored for the property\ndistributions (default 2000; 0 = all)"),
    CV_PARAM("neighbours-max", 0, CV_PARAM_SIZE, F(neighbours_max), "N",
             "training molecules searched for each top molecule's\nnearest neighbour (default "
             "20000; 0 = all)"),
    CV_PARAM("predict-max", 0, CV_PARAM_SIZE, F(predict_max), "N",
             "test molecules the property head predicts (default\n1000; 0 = all)"),
    CV_PARAM("compare", 0, CV_PARAM_STRINGS, F(compare), "FILE",
             "a model shown side by side with --model (repeatable;\nthe command line also takes "
             "further models as operands:\n--compare M1 M2 ...)"),
    CV_PARAM("compare-n", 0, CV_PARAM_SIZE, F(compare_n), "N",
             "test molecules each compared model reconstructs\n(default 200)"),
    CV_PARAM("compare-samples", 0, CV_PARAM_SIZE, F(compare_samples), "N",
             "prior samples each compared model decodes (default 200)"),
    CV_PARAM("threads", 'j', CV_PARAM_THREADS, F(threads), "N",
             "RDKit workers scoring and fingerprinting (default: all\nCPUs)"),
};
#undef F
const CvParamTable cv_report_params = CV_PARAM_TABLE(PARAMS);
