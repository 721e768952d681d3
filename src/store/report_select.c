/* report_select.c — the reads behind the HTML report (store.h, "reads for the report"):
 * which run each section shows, and the rows it draws. Every statement the report runs is
 * here, so the schema stays the store's business and the report only formats tables.
 *
 * Scope: a section looks at the runs of a scope, a run id and the runs under it
 * (runs.parent, recursively: a pipeline run, its stages and their commands), or the whole
 * DB for scope 0. The condition is one SQL fragment (SCOPE_SQL) on a runs alias r with the
 * scope bound as ?1.
 *
 * Score columns are spliced into the SQL text (a column name cannot be a parameter), so
 * they are taken from a fixed list here, never from the caller's string. */
#include <stdio.h>
#include <string.h>

#include "chemvae/store/store.h"
#include "store_internal.h"

/* "run r is in scope ?1" */
#define SCOPE_SQL                                                                                  \
    "(?1 = 0 OR r.id IN (WITH RECURSIVE tree(id) AS (SELECT ?1 UNION SELECT runs.id FROM runs "    \
    "JOIN tree ON runs.parent = tree.id) SELECT id FROM tree))"

/* The molecules column named `name` from the fixed list, or NULL with CV_ERR_INVALID set. */
static const char *score_column(const char *name, CvError *err) {
    static const char *const COLUMNS[] = {"qed", "penalized_logp", "logp", "sa", "mw"};
    for (size_t i = 0; i < sizeof COLUMNS / sizeof *COLUMNS; i++)
        if (name && !strcmp(name, COLUMNS[i])) return COLUMNS[i];
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
        COND[which], SCOPE_SQL);
    StoreValue p[2] = {{.type = STORE_INT, .i = scope},
                       {.type = STORE_TEXT, .s = method, .len = method ? strlen(method) : 0}};
    StoreTable t;
    CvStatus st = cv_store_select(s, sql, p, with_method ? 2 : 1, &t, err);
    if (!st && t.nrow == 1 && t.cells[0].type == STORE_INT) *run_id = t.cells[0].i;
    cv_store_table_free(&t);
    return st;
}

CvStatus cv_store_report_runs(Store *s, int64_t scope, StoreTable *out, CvError *err) {
    return store_select_by_id(
        s,
        "SELECT r.id, r.kind, r.status, r.started_at, r.finished_at, r.parent, r.seed, "
        "(SELECT count(*) FROM generations g WHERE g.run_id = r.id) AS generations, "
        "(SELECT count(*) FROM generations g WHERE g.run_id = r.id AND g.valid) AS valid "
        "FROM runs r WHERE " SCOPE_SQL " ORDER BY r.id DESC",
        scope, out, err);
}

CvStatus cv_store_report_failures(Store *s, int64_t scope, StoreTable *out, CvError *err) {
    return store_select_by_id(
        s,
        "SELECT g.run_id AS run, r.kind, json_extract(r.config, '$.constrain') AS constrain, "
        "count(*) AS decodes, sum(g.valid) AS valid, "
        "sum(g.failure = 'syntax') AS syntax, sum(g.failure = 'ring') AS ring, "
        "sum(g.failure = 'valence') AS valence, sum(g.failure = 'aromaticity') AS aromaticity, "
        "sum(g.failure = 'length') AS length, sum(g.failure = 'other') AS other "
        "FROM generations g JOIN runs r ON r.id = g.run_id WHERE " SCOPE_SQL
        " GROUP BY g.run_id ORDER BY g.run_id DESC",
        scope, out, err);
}

CvStatus cv_store_report_training_curves(Store *s, int64_t run_id, StoreTable *out, CvError *err) {
    /* b: the run; s: the last run before it on the same checkpoint that did not resume;
     * chain: the runs from s to b */
    return store_select_by_id(
        s,
        "WITH b AS (SELECT id, model_path FROM runs WHERE id = ?1), "
        "s AS (SELECT max(r.id) AS id FROM runs r, b WHERE r.kind = 'train' AND "
        "r.model_path IS b.model_path "
        "AND r.id <= b.id AND coalesce(json_extract(r.config, '$.resume'), 0) = 0), "
        "chain AS (SELECT r.id FROM runs r, b, s WHERE r.kind = 'train' AND "
        "r.model_path IS b.model_path "
        "AND r.id BETWEEN coalesce(s.id, b.id) AND b.id) "
        "SELECT t.split, t.epoch, t.loss, t.recon, t.kl, t.beta, t.accuracy, "
        "json_extract(t.extra, '$.tf_exact'), json_extract(t.extra, "
        "'$.active_units') FROM training_metrics t "
        "WHERE t.run_id IN chain AND NOT EXISTS (SELECT 1 FROM training_metrics u "
        "WHERE u.run_id IN chain "
        "AND u.epoch = t.epoch AND u.split = t.split AND u.run_id > t.run_id) ORDER "
        "BY t.split, t.epoch, t.step",
        run_id, out, err);
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

CvStatus cv_store_report_interpolation(Store *s, int64_t run_id, StoreTable *out, CvError *err) {
    /* per (path, step) the most frequent valid decode first; paths in order of appearance */
    return store_select_by_id(
        s,
        "SELECT coalesce(g.source, ''), g.step, m.smiles, count(*) AS n, "
        "(SELECT count(*) FROM generations h WHERE h.run_id = ?1 AND h.step = g.step "
        "AND h.source IS g.source) AS tries FROM generations g JOIN molecules m ON "
        "m.id = g.molecule_id "
        "WHERE g.run_id = ?1 AND g.valid AND g.method = 'interpolate' GROUP BY "
        "g.source, g.step, m.id "
        "ORDER BY (SELECT min(h.id) FROM generations h WHERE h.run_id = ?1 AND "
        "h.source IS g.source), g.step, n DESC, "
        "m.id",
        run_id, out, err);
}

CvStatus cv_store_report_objective(Store *s, int64_t run_id, StoreTable *out, CvError *err) {
    return store_select_by_id(
        s,
        "SELECT json_extract(config, '$.objective'), coalesce(json_extract(config, "
        "'$.minimize'), 0) "
        "FROM runs WHERE id = ?1 AND json_valid(config)",
        run_id, out, err);
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
