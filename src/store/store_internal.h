/* store_internal.h — what the files of src/store/ share: the Store struct and the
 * translation of SQLite result codes into CvError messages. Not a public header. */
#ifndef CHEMVAE_STORE_INTERNAL_H
#define CHEMVAE_STORE_INTERNAL_H

#include <sqlite3.h>

#include "chemvae/store/store.h"

/* Write statements, prepared once on first use and reused (SQLITE_PREPARE_PERSISTENT). */
enum {
    ST_RUN_BEGIN,
    ST_RUNS_RUNNING_HERE,
    ST_RUN_FINISH,
    ST_RUN_EXISTS,
    ST_MOL_UPSERT,
    ST_MOL_FIND,
    ST_MOL_HAS_FP,
    ST_GEN_INSERT,
    ST_TRAIN_INSERT,
    ST_EVAL_UPSERT,
    ST_SCORE_UPSERT,
    ST_COUNT
};

struct Store {
    sqlite3 *db;
    char *path;
    int read_only;
    int immutable; /* read-only media: opened with SQLite's immutable=1 */
    int busy_ms;
    double query_timeout;  /* seconds, 0 = none (cv_store_set_query_timeout) */
    double query_deadline; /* CLOCK_MONOTONIC seconds of the running statement's end */
    sqlite3_stmt *st[ST_COUNT];
    char denied[128]; /* what the read-only authorizer refused last, for the message */
};

/* Fills err with "<path>: <what>: <explanation>" for SQLite result code rc, using the
 * connection's current error message; locked and full databases get an explanation of
 * what happened to the data. Returns CV_ERR_DB. */
CvStatus cv_store_db_error(Store *s, CvError *err, int rc, const char *what);

/* "run r is in scope ?1": r (a runs alias) is run ?1 or under it (runs.parent,
 * recursively), or ?1 is 0 (the whole DB). */
#define STORE_SCOPE_SQL                                                                            \
    "(?1 = 0 OR r.id IN (WITH RECURSIVE tree(id) AS (SELECT ?1 UNION SELECT runs.id FROM runs "    \
    "JOIN tree ON runs.parent = tree.id) SELECT id FROM tree))"

/* cv_store_select of `sql` with its one parameter ?1 bound to the integer id (the reads
 * of one run, one scope). Internal: not exported from libchemvae.so. */
CvStatus store_select_by_id(Store *s, const char *sql, int64_t id, StoreTable *out, CvError *err);

/* The score column of molecules spelled `column` (mw, logp, qed, sa, penalized_logp) from
 * a fixed list, or NULL: what a caller's column name is replaced by before it is spliced
 * into SQL text (a column name cannot be a bound parameter). */
const char *store_score_column(const char *column);

/* The read-only authorizer: allows SELECT, reads, functions, recursive CTEs and a list
 * of introspection pragmas; refuses everything else and records it in s->denied. */
int cv_store_readonly_authorizer(void *ctx, int action, const char *a1, const char *a2,
                                 const char *a3, const char *a4);

/* Registers the chemistry SQL functions (src/store/sqlfunc.c) on s->db. */
CvStatus cv_store_register_chem_functions(Store *s, CvError *err);

#endif
