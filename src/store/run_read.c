/* run_read.c — the reads of one run or one scope (cv_store_run_read, store.h): the parts of
 * the query command's run view and the report's tables of a run. They differ only in their
 * SQL, so each is one statement in READS, indexed by StoreRunRead, with the run id (or the
 * scope) bound as ?1; what each returns is documented at its enum value.
 *
 * A scope (STORE_READ_SCOPE_*) is a run id and the runs under it (runs.parent,
 * recursively: a pipeline run, its stages and their commands), or the whole DB for 0: the
 * condition STORE_SCOPE_SQL (store_internal.h) on a runs alias r. */
#include "store_internal.h"

#include <string.h>

/* The columns of the failure-class counts, portable SQL (count ... FILTER). */
#define FAILURE_COUNTS                                                                             \
    "count(*) FILTER (WHERE g.failure = 'syntax') AS syntax, "                                     \
    "count(*) FILTER (WHERE g.failure = 'ring') AS ring, "                                         \
    "count(*) FILTER (WHERE g.failure = 'valence') AS valence, "                                   \
    "count(*) FILTER (WHERE g.failure = 'aromaticity') AS aromaticity, "                           \
    "count(*) FILTER (WHERE g.failure = 'length') AS length, "                                     \
    "count(*) FILTER (WHERE g.failure = 'other') AS other, "                                       \
    "count(*) FILTER (WHERE g.valid = 0 AND g.failure IS NULL) AS unclassified "

/* The reads, in SQL both backends run, save where READS_PG below gives PostgreSQL's own. */
static const char *const READS[] = {
    [STORE_READ_RUN] = "SELECT * FROM runs WHERE id = ?1",
    [STORE_READ_COUNTS] =
        "SELECT (SELECT count(*) FROM generations WHERE run_id = ?1) AS generations, "
        "(SELECT count(*) FROM generations WHERE run_id = ?1 AND valid = 1) AS valid, "
        "(SELECT count(DISTINCT molecule_id) FROM generations WHERE run_id = ?1) "
        "AS distinct_molecules, "
        "(SELECT count(*) FROM molecules WHERE first_run = ?1) AS new_molecules, "
        "(SELECT count(*) FROM training_metrics WHERE run_id = ?1) AS training_rows, "
        "(SELECT count(*) FROM eval_metrics WHERE run_id = ?1) AS eval_metrics",
    [STORE_READ_TRAINING_METRICS] =
        "SELECT epoch, step, split, loss, recon, kl, prop, beta, lr, accuracy, "
        "extra FROM training_metrics WHERE run_id = ?1 ORDER BY step, split, "
        "rowid",
    [STORE_READ_TRAINING_SUMMARY] =
        "SELECT t.split, c.rows, c.epochs, t.epoch AS last_epoch, t.step AS last_step, t.loss, "
        "t.recon, t.kl, t.prop, t.beta, t.lr, t.accuracy "
        "FROM (SELECT split, count(*) AS rows, count(DISTINCT epoch) AS epochs, "
        "max(rowid) AS last FROM training_metrics WHERE run_id = ?1 GROUP BY split) c "
        "JOIN training_metrics t ON t.rowid = c.last ORDER BY t.split",
    [STORE_READ_EVAL_METRICS] =
        "SELECT name, value FROM eval_metrics WHERE run_id = ?1 ORDER BY name",
    /* b: the run; s: the last run before it on the same checkpoint that did not resume;
     * chain: the runs from s to b */
    [STORE_READ_TRAINING_CURVES] =
        "WITH b AS (SELECT id, model_path FROM runs WHERE id = ?1), "
        "s AS (SELECT max(r.id) AS id FROM runs r, b WHERE r.kind = 'train' AND "
        "r.model_path IS NOT DISTINCT FROM b.model_path "
        "AND r.id <= b.id AND coalesce(json_extract(r.config, '$.resume'), 0) = 0), "
        "chain AS (SELECT r.id FROM runs r, b, s WHERE r.kind = 'train' AND "
        "r.model_path IS NOT DISTINCT FROM b.model_path "
        "AND r.id BETWEEN coalesce(s.id, b.id) AND b.id) "
        "SELECT t.split, t.epoch, t.loss, t.recon, t.kl, t.beta, t.accuracy, "
        "json_extract(t.extra, '$.tf_exact'), json_extract(t.extra, "
        "'$.active_units') FROM training_metrics t "
        "WHERE t.run_id IN (SELECT id FROM chain) AND NOT EXISTS (SELECT 1 FROM training_metrics u "
        "WHERE u.run_id IN (SELECT id FROM chain) "
        "AND u.epoch = t.epoch AND u.split = t.split AND u.run_id > t.run_id) ORDER "
        "BY t.split, t.epoch, t.step",
    /* per (path, step) the most frequent valid decode first; paths in order of appearance */
    [STORE_READ_INTERPOLATION] =
        "SELECT coalesce(g.source, ''), g.step, m.smiles, count(*) AS n, "
        "(SELECT count(*) FROM generations h WHERE h.run_id = ?1 AND h.step = g.step "
        "AND h.source IS NOT DISTINCT FROM g.source) AS tries FROM generations g JOIN molecules m "
        "ON "
        "m.id = g.molecule_id "
        "WHERE g.run_id = ?1 AND g.valid = 1 AND g.method = 'interpolate' GROUP BY "
        "g.source, g.step, m.id "
        "ORDER BY (SELECT min(h.id) FROM generations h WHERE h.run_id = ?1 AND "
        "h.source IS NOT DISTINCT FROM g.source), g.step, n DESC, "
        "m.id",
    [STORE_READ_OBJECTIVE] = "SELECT json_extract(config, '$.objective'), coalesce(json_extract("
                             "config, '$.minimize'), 0) "
                             "FROM runs WHERE id = ?1 AND json_valid(config)",
    [STORE_READ_SCOPE_RUNS] =
        "SELECT r.id, r.kind, r.status, r.started_at, r.finished_at, r.parent, r.seed, "
        "(SELECT count(*) FROM generations g WHERE g.run_id = r.id) AS generations, "
        "(SELECT count(*) FROM generations g WHERE g.run_id = r.id AND g.valid = 1) AS valid "
        "FROM runs r WHERE " STORE_SCOPE_SQL " ORDER BY r.id DESC",
    [STORE_READ_SCOPE_FAILURES] =
        "SELECT g.run_id AS run, r.kind, json_extract(r.config, '$.constrain') AS constrain, "
        "count(*) AS decodes, sum(g.valid) AS valid, " FAILURE_COUNTS
        "FROM generations g JOIN runs r ON r.id = g.run_id WHERE " STORE_SCOPE_SQL
        " GROUP BY g.run_id ORDER BY g.run_id DESC",
    [STORE_READ_SCORES] = "SELECT m.smiles, s.value, s.name, s.molecule_id FROM scores s "
                          "JOIN molecules m ON m.id = s.molecule_id WHERE s.run_id = ?1 "
                          "ORDER BY s.value IS NULL, s.value DESC, m.smiles",
    /* the first three raw strings of each class, by generation id, newline-separated */
    [STORE_READ_SCOPE_FAILURE_CLASSES] =
        "SELECT coalesce(failure, '') AS failure, count(*) AS decodes, "
        "group_concat(CASE WHEN k <= 3 THEN raw_smiles END, char(10)) AS examples FROM "
        "(SELECT g.failure, g.raw_smiles, row_number() OVER (PARTITION BY g.failure ORDER BY "
        "g.id) AS k FROM generations g JOIN runs r ON r.id = g.run_id WHERE g.valid = 0 "
        "AND " STORE_SCOPE_SQL ") x GROUP BY failure ORDER BY decodes DESC, failure",
    [STORE_READ_SCOPE_UNCLASSIFIED] =
        "SELECT g.raw_smiles FROM generations g JOIN runs r ON r.id = g.run_id WHERE g.valid = 0 "
        "AND g.failure IS NULL AND " STORE_SCOPE_SQL " ORDER BY g.id LIMIT 5000",
    [STORE_READ_GENERATED_PROPS] =
        "SELECT m.logp, m.qed, m.sa, m.mw FROM generations g JOIN molecules m ON m.id = "
        "g.molecule_id WHERE g.run_id = ?1 AND g.valid = 1 ORDER BY g.id",
};

/* PostgreSQL's own text of the reads that use SQLite's JSON functions or group_concat's
 * separator argument (the same columns, in the same order). */
static const char *const READS_PG[sizeof READS / sizeof *READS] = {
    [STORE_READ_TRAINING_CURVES] =
        "WITH b AS (SELECT id, model_path FROM runs WHERE id = ?1), "
        "s AS (SELECT max(r.id) AS id FROM runs r, b WHERE r.kind = 'train' AND "
        "r.model_path IS NOT DISTINCT FROM b.model_path AND r.id <= b.id AND "
        "NOT coalesce(r.config::json ->> 'resume' IN ('true', '1'), false)), "
        "chain AS (SELECT r.id FROM runs r, b, s WHERE r.kind = 'train' AND "
        "r.model_path IS NOT DISTINCT FROM b.model_path "
        "AND r.id BETWEEN coalesce(s.id, b.id) AND b.id) "
        "SELECT t.split, t.epoch, t.loss, t.recon, t.kl, t.beta, t.accuracy, "
        "(t.extra::json ->> 'tf_exact')::float8, (t.extra::json ->> 'active_units')::float8 "
        "FROM training_metrics t WHERE t.run_id IN (SELECT id FROM chain) AND NOT EXISTS "
        "(SELECT 1 FROM training_metrics u WHERE u.run_id IN (SELECT id FROM chain) "
        "AND u.epoch = t.epoch AND u.split = t.split AND u.run_id > t.run_id) ORDER "
        "BY t.split, t.epoch, t.step",
    [STORE_READ_OBJECTIVE] = "SELECT config::json ->> 'objective', CASE WHEN config::json ->> "
                             "'minimize' IN ('true', '1') THEN 1 ELSE 0 END FROM runs WHERE "
                             "id = ?1 AND config IS NOT NULL",
    [STORE_READ_SCOPE_FAILURES] =
        "SELECT g.run_id AS run, r.kind, r.config::json ->> 'constrain' AS constrain, "
        "count(*) AS decodes, sum(g.valid) AS valid, " FAILURE_COUNTS
        "FROM generations g JOIN runs r ON r.id = g.run_id WHERE " STORE_SCOPE_SQL
        " GROUP BY g.run_id, r.kind, r.config ORDER BY g.run_id DESC",
    [STORE_READ_SCOPE_FAILURE_CLASSES] =
        "SELECT coalesce(failure, '') AS failure, count(*) AS decodes, "
        "string_agg(CASE WHEN k <= 3 THEN raw_smiles END, chr(10) ORDER BY k) AS examples FROM "
        "(SELECT g.failure, g.raw_smiles, row_number() OVER (PARTITION BY g.failure ORDER BY "
        "g.id) AS k FROM generations g JOIN runs r ON r.id = g.run_id WHERE g.valid = 0 "
        "AND " STORE_SCOPE_SQL ") x GROUP BY failure ORDER BY decodes DESC, failure",
};

CvStatus cv_store_run_read(Store *s, StoreRunRead which, int64_t run_id, StoreTable *out,
                           CvError *err) {
    if ((unsigned)which >= sizeof READS / sizeof *READS || !READS[which]) {
        memset(out, 0, sizeof *out);
        return cv_error_set(err, CV_ERR_INVALID, "cv_store_run_read: no read %d", (int)which);
    }
    const char *sql = s->pg && READS_PG[which] ? READS_PG[which] : READS[which];
    return store_select_by_id(s, sql, run_id, out, err);
}
