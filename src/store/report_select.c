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

/* Runs template `tmpl` ranked by score column `name`: "{col}" in it becomes the column,
 * "{dir}" ASC / DESC and "{best}" min / max by `ascending`; then binds p[0..np). An unknown
 * score is CV_ERR_INVALID naming it. */
static CvStatus select_ranked(Store *s, const char *tmpl, const char *name, int ascending,
                              const StoreValue *p, size_t np, StoreTable *out, CvError *err) {
    const char *col = store_score_column(name);
    if (!col)
        return cv_error_set(err, CV_ERR_INVALID,
                            "unknown molecule score '%s' (qed, penalized_logp, logp, sa, mw)",
                            name ? name : "(null)");
    const char *words[][2] = {{"{col}", col},
                              {"{dir}", ascending ? "ASC" : "DESC"},
                              {"{best}", ascending ? "min" : "max"}};
    char sql[2048];
    size_t n = 0;
    while (*tmpl && n + 32 < sizeof sql) {
        size_t w = 0;
        while (w < 3 && strncmp(tmpl, words[w][0], strlen(words[w][0]))) w++;
        if (w == 3) {
            sql[n++] = *tmpl++;
            continue;
        }
        n += (size_t)snprintf(sql + n, sizeof sql - n, "%s", words[w][1]);
        tmpl += strlen(words[w][0]);
    }
    sql[n] = 0;
    return cv_store_select(s, sql, p, np, out, err);
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

/* The statement of cv_store_report_top_generated ({col}, {dir}: select_ranked). */
static const char TOP_GENERATED_SQL[] =
    "SELECT m.smiles, m.qed, m.logp, m.sa, m.penalized_logp, "
    "group_concat(DISTINCT g.method) AS methods FROM generations g JOIN "
    "molecules m ON m.id = g.molecule_id WHERE g.run_id IN (?1, ?2) AND "
    "g.valid = 1 AND m.{col} IS NOT NULL GROUP BY m.id ORDER BY m.{col} {dir}, "
    "m.id LIMIT ?3";

/* The statement of cv_store_report_trajectories ({best}, {col}: select_ranked). */
static const char TRAJECTORIES_SQL[] =
    "SELECT coalesce(g.source, ''), g.step, {best}(m.{col}), "
    "max(g.similarity) FROM generations g JOIN molecules m ON m.id = "
    "g.molecule_id WHERE g.run_id = ?1 AND g.valid = 1 AND g.method = 'optimize' "
    "AND m.{col} IS NOT NULL GROUP BY g.source, g.step ORDER BY (SELECT "
    "min(h.id) FROM generations h WHERE h.run_id = ?1 AND h.source IS "
    "NOT DISTINCT FROM g.source), g.step";

/* The statement of cv_store_report_best_per_start ({col}, {dir}: select_ranked). */
static const char BEST_PER_START_SQL[] =
    "SELECT src, smiles, score, similarity, step FROM (SELECT "
    "coalesce(g.source, '') AS src, m.smiles, m.{col} AS score, "
    "g.similarity, g.step, row_number() OVER (PARTITION BY g.source ORDER "
    "BY m.{col} {dir}, g.id) AS k, min(g.id) OVER (PARTITION BY g.source) "
    "AS first FROM generations g JOIN molecules m ON m.id = g.molecule_id "
    "WHERE g.run_id = ?1 AND g.valid = 1 AND g.method = 'optimize' AND m.{col} "
    "IS NOT NULL) x WHERE k = 1 ORDER BY first LIMIT ?2";

CvStatus cv_store_report_top_generated(Store *s, int64_t run_a, int64_t run_b, const char *column,
                                       int ascending, size_t n, StoreTable *out, CvError *err) {
    StoreValue p[3] = {{.type = STORE_INT, .i = run_a},
                       {.type = STORE_INT, .i = run_b},
                       {.type = STORE_INT, .i = n > INT64_MAX ? INT64_MAX : (int64_t)n}};
    return select_ranked(s, TOP_GENERATED_SQL, column, ascending, p, 3, out, err);
}

CvStatus cv_store_report_trajectories(Store *s, int64_t run_id, const char *column, int ascending,
                                      StoreTable *out, CvError *err) {
    StoreValue p = {.type = STORE_INT, .i = run_id};
    return select_ranked(s, TRAJECTORIES_SQL, column, ascending, &p, 1, out, err);
}

CvStatus cv_store_report_best_per_start(Store *s, int64_t run_id, const char *column, int ascending,
                                        size_t n, StoreTable *out, CvError *err) {
    StoreValue p[2] = {{.type = STORE_INT, .i = run_id},
                       {.type = STORE_INT, .i = n > INT64_MAX ? INT64_MAX : (int64_t)n}};
    return select_ranked(s, BEST_PER_START_SQL, column, ascending, p, 2, out, err);
}

CvStatus cv_store_report_latent_points(Store *s, int64_t run_id, const char *method, size_t n,
                                       StoreTable *out, CvError *err) {
    /* the first generation (by id) of each (source, step) */
    static const char SQL[] =
        "SELECT source, step, z, smiles FROM (SELECT coalesce(g.source, '') AS source, g.step, "
        "g.z, (SELECT m.smiles FROM molecules m WHERE m.id = g.molecule_id) AS smiles, "
        "g.id AS first, row_number() OVER (PARTITION BY g.source, g.step ORDER BY g.id) AS k "
        "FROM generations g WHERE g.run_id = ?1 AND g.method = ?2 AND g.z IS NOT NULL) x "
        "WHERE k = 1 ORDER BY first LIMIT ?3";
    if (!method) {
        memset(out, 0, sizeof *out);
        return cv_error_set(err, CV_ERR_INVALID, "cv_store_report_latent_points: no method");
    }
    StoreValue p[3] = {{.type = STORE_INT, .i = run_id},
                       {.type = STORE_TEXT, .s = method, .len = strlen(method)},
                       {.type = STORE_INT, .i = n > INT64_MAX ? INT64_MAX : (int64_t)n}};
    return cv_store_select(s, SQL, p, 3, out, err);
}
