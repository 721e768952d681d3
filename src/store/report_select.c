/* report_select.c — the reads behind the HTML report (store.h, "reads for the report") that
 * take more than a run id: which run each section shows, and the rows ranked by a score.
 * With the reads of one run or scope (run_read.c), every statement the report runs is in
 * the store, so the schema stays the store's business and the report only formats tables.
 *
 * Scope: a section looks at the runs of a scope, a run id and the runs under it
 * (runs.parent, recursively: a pipeline run, its stages and their commands), or the whole
 * DB for scope 0. The condition is one SQL fragment (STORE_SCOPE_SQL, store_internal.h) on
 * a runs alias r with the scope bound as ?1.
 *
 * Score columns are spliced into the SQL text (a column name cannot be a parameter), so
 * they are taken from the store's fixed list (store_score_column), never from the caller's
 * string. */
#include <stdio.h>
#include <string.h>

#include "chemvae/store/store.h"
#include "store_internal.h"

/* store_score_column(name), or NULL with CV_ERR_INVALID set. */
static const char *score_column(const char *name, CvError *err) {
    const char *col = store_score_column(name);
    if (col) return col;
    cv_error_set(err, CV_ERR_INVALID,
                 "unknown molecule score '%s' (qed, penalized_logp, logp, sa, mw)",
                 name ? name : "(null)");
    return NULL;
}

CvStatus cv_store_report_latest_run(Store *s, int64_t scope, StoreReportRuns which,
                                    const char *method, int64_t *run_id, CvError *err) {
    static const char *const COND[] = {
        [STORE_REPORT_PIPELINE] = "r.kind = 'pipeline'",
        [STORE_REPORT_TRAINING] =
            "r.kind = 'train' AND EXISTS (SELECT 1 FROM training_metrics t WHERE t.run_id = r.id)",
        [STORE_REPORT_EVAL] =
            "r.kind = 'eval' AND EXISTS (SELECT 1 FROM eval_metrics e WHERE e.run_id = r.id)",
        [STORE_REPORT_GENERATING] =
            "EXISTS (SELECT 1 FROM generations g WHERE g.run_id = r.id AND g.method = ?2)",
    };
    *run_id = 0;
    if ((unsigned)which >= sizeof COND / sizeof *COND)
        return cv_error_set(err, CV_ERR_INVALID, "cv_store_report_latest_run: no run kind %d",
                            (int)which);
    int with_method = which == STORE_REPORT_GENERATING;
    if (with_method && !method)
        return cv_error_set(err, CV_ERR_INVALID, "cv_store_report_latest_run: no method given");
    char sql[1024];
    snprintf(
        sql, sizeof sql,
        "SELECT r.id FROM runs r WHERE %s AND %s ORDER BY r.status = 'ok' DESC, r.id DESC LIMIT 1",
        COND[which], STORE_SCOPE_SQL);
    StoreValue p[2] = {{.type = STORE_INT, .i = scope},
                       {.type = STORE_TEXT, .s = method, .len = method ? strlen(method) : 0}};
    StoreTable t;
    CvStatus st = cv_store_select(s, sql, p, with_method ? 2 : 1, &t, err);
    if (!st && t.nrow == 1 && t.cells[0].type == STORE_INT) *run_id = t.cells[0].i;
    cv_store_table_free(&t);
    return st;
}

CvStatus cv_store_report_top_generated(Store *s, int64_t run_a, int64_t run_b, const char *column,
                                       int ascending, size_t n, StoreTable *out, CvError *err) {
    const char *col = score_column(column, err);
    if (!col) return CV_ERR_INVALID;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT m.smiles, m.qed, m.logp, m.sa, m.penalized_logp, group_concat(DISTINCT "
             "g.method) AS methods "
             "FROM generations g JOIN molecules m ON m.id = g.molecule_id WHERE g.run_id IN (?1, "
             "?2) AND g.valid "
             "AND m.%s IS NOT NULL GROUP BY m.id ORDER BY m.%s %s, m.id LIMIT ?3",
             col, col, ascending ? "ASC" : "DESC");
    StoreValue p[3] = {{.type = STORE_INT, .i = run_a},
                       {.type = STORE_INT, .i = run_b},
                       {.type = STORE_INT, .i = n > INT64_MAX ? INT64_MAX : (int64_t)n}};
    return cv_store_select(s, sql, p, 3, out, err);
}

CvStatus cv_store_report_trajectories(Store *s, int64_t run_id, const char *column, int ascending,
                                      StoreTable *out, CvError *err) {
    const char *col = score_column(column, err);
    if (!col) return CV_ERR_INVALID;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(g.source, ''), g.step, %s(m.%s), max(g.similarity) FROM generations "
             "g JOIN molecules m "
             "ON m.id = g.molecule_id WHERE g.run_id = ?1 AND g.valid AND g.method = 'optimize' "
             "AND m.%s IS NOT NULL "
             "GROUP BY g.source, g.step ORDER BY (SELECT min(h.id) FROM generations h WHERE "
             "h.run_id = ?1 AND h.source "
             "IS g.source), g.step",
             ascending ? "min" : "max", col, col);
    return store_select_by_id(s, sql, run_id, out, err);
}

CvStatus cv_store_report_best_per_start(Store *s, int64_t run_id, const char *column, int ascending,
                                        size_t n, StoreTable *out, CvError *err) {
    const char *col = score_column(column, err);
    if (!col) return CV_ERR_INVALID;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT src, smiles, score, similarity, step FROM (SELECT coalesce(g.source, '') AS "
             "src, m.smiles, "
             "m.%s AS score, g.similarity, g.step, row_number() OVER (PARTITION BY g.source ORDER "
             "BY m.%s %s, g.id) "
             "AS k, min(g.id) OVER (PARTITION BY g.source) AS first FROM generations g JOIN "
             "molecules m ON m.id = "
             "g.molecule_id WHERE g.run_id = ?1 AND g.valid AND g.method = 'optimize' AND m.%s IS "
             "NOT NULL) "
             "WHERE k = 1 ORDER BY first LIMIT ?2",
             col, col, ascending ? "ASC" : "DESC", col);
    StoreValue p[2] = {{.type = STORE_INT, .i = run_id},
                       {.type = STORE_INT, .i = n > INT64_MAX ? INT64_MAX : (int64_t)n}};
    return cv_store_select(s, sql, p, 2, out, err);
}

CvStatus cv_store_report_latent_points(Store *s, int64_t run_id, const char *method, size_t n,
                                       StoreTable *out, CvError *err) {
    /* min(g.id) is the only aggregate, so the bare columns come from that row */
    static const char SQL[] =
        "SELECT source, step, z, smiles FROM (SELECT coalesce(g.source, '') AS source, g.step, "
        "g.z, (SELECT m.smiles FROM molecules m WHERE m.id = g.molecule_id) AS smiles, "
        "min(g.id) AS first FROM generations g WHERE g.run_id = ?1 AND g.method = ?2 AND g.z "
        "IS NOT NULL GROUP BY g.source, g.step) ORDER BY first LIMIT ?3";
    if (!method) {
        memset(out, 0, sizeof *out);
        return cv_error_set(err, CV_ERR_INVALID, "cv_store_report_latent_points: no method");
    }
    StoreValue p[3] = {{.type = STORE_INT, .i = run_id},
                       {.type = STORE_TEXT, .s = method, .len = strlen(method)},
                       {.type = STORE_INT, .i = n > INT64_MAX ? INT64_MAX : (int64_t)n}};
    return cv_store_select(s, SQL, p, 3, out, err);
}
