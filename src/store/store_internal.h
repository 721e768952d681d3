/* store_internal.h — what the files of src/store/ share: the Store struct, the two
 * backends' common write path (one statement table, run through store_run on SQLite or
 * PostgreSQL alike) and the translation of backend errors into CvError messages. Not a
 * public header. */
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
    ST_MOL_LOOKUP,
    ST_GEN_INSERT,
    ST_TRAIN_INSERT,
    ST_EVAL_UPSERT,
    ST_SCORE_UPSERT,
    ST_RUN_COPY,
    ST_COUNT
};

typedef struct StorePg StorePg; /* pg.c: a PostgreSQL connection and its prepared statements */

struct Store {
    sqlite3 *db;  /* NULL for a PostgreSQL store */
    StorePg *pg;  /* NULL for an SQLite store */
    int outer_tx; /* inside cv_store_copy's one transaction: writes do not begin/commit */
    char *path;
    int read_only;
    int immutable; /* read-only media: opened with SQLite's immutable=1 */
    int busy_ms;
    double query_timeout;  /* seconds, 0 = none (cv_store_set_query_timeout) */
    double query_deadline; /* CLOCK_MONOTONIC seconds of the running statement's end */
    sqlite3_stmt *st[ST_COUNT];
    char denied[128]; /* what the read-only authorizer refused last, for the message */
};

/* The write statements' SQL (store.c), the same text for both backends: ?N parameters
 * (pg.c turns them into $N), RETURNING for new ids, times bound from C. */
extern const char *const STORE_STMT_SQL[ST_COUNT];
/* 1 for the inserts whose new row's id store_run returns (SQLite: last_insert_rowid;
 * PostgreSQL: pg.c appends RETURNING id when it prepares them). */
extern const unsigned char STORE_STMT_NEW_ID[ST_COUNT];

/* Runs write statement `which` with params p[0..n) (a NaN REAL binds NULL) inside the
 * open transaction. *id (NULL-able) receives the first column of the first row returned (of
 * a STORE_STMT_NEW_ID insert: the new row's id), *got_row (NULL-able) whether a row came
 * back. Returns 0, or a backend error code for
 * cv_store_db_error. */
int store_run(Store *s, int which, const StoreValue *p, size_t n, int64_t *id, int *got_row);

/* Binds v to parameter i of an SQLite statement (a NaN REAL binds NULL; strings are not
 * copied: they must outlive the step). */
void store_bind_value(sqlite3_stmt *st, int i, const StoreValue *v);

/* cv_store_upsert_molecules with each molecule's fingerprint given (fps NULL-able, and
 * each fps[i]: then computed from the SMILES), so a copy parses no SMILES again. */
CvStatus store_upsert_molecules_fp(Store *s, int64_t run_id, const StoreMolecule *mols,
                                   const unsigned char *const *fps, size_t n, int64_t *ids,
                                   CvError *err);

/* cv_store_copy's one transaction of dst: begin (every write until store_copy_end is part of
 * it), and end it, committing when ok, else rolling everything back. */
CvStatus store_copy_begin(Store *s, CvError *err);
CvStatus store_copy_end(Store *s, int ok, CvError *err);
/* Inserts a runs row with every column given (kind, status, started_at, finished_at, config,
 * model_path, model_hash, seed, parent, pid, host); *id receives its new id. */
CvStatus store_copy_run(Store *s, const StoreValue row[11], int64_t *id, CvError *err);

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

/* ---- the PostgreSQL backend (pg.c) ----------------------------------------------------------
 * A `--db` that starts with postgresql:// or postgres:// is a libpq connection URI. Without
 * libpq in the build (make PG=0) store_pg_open says how to get it. */
int store_path_is_pg(const char *path);
/* Connects; a read-write open creates or migrates the schema (and the RDKit cartridge's
 * columns when the rdkit extension is available), a read-only one checks the version. */
CvStatus store_pg_open(Store *s, CvError *err);
void store_pg_close(Store *s);
/* BEGIN / COMMIT / ROLLBACK of a write transaction. */
CvStatus store_pg_tx(Store *s, const char *verb, const char *what, CvError *err);
int store_pg_run(Store *s, int which, const StoreValue *p, size_t n, int64_t *id, int *got_row);
/* The error of the last failed PostgreSQL call as "<path>: <what>: <server message>";
 * retryable (NULL-able) is set when it was a deadlock or serialization failure. */
CvStatus store_pg_error(Store *s, CvError *err, const char *what, int *retryable);
CvStatus store_pg_select_each(Store *s, const char *sql, const StoreValue *params, size_t nparams,
                              StoreRowFn fn, void *ctx, CvError *err);
/* sqltext.c: sql with every ?N outside quotes and comments turned into $N, and uri with
 * its passwords replaced by *** (both malloc'd; NULL when out of memory). */
char *store_sql_dollar_params(const char *sql);
char *store_uri_without_password(const char *uri);
/* Replaces in text (NUL-terminated, cap bytes) every occurrence of a password uri holds by
 * "***" (as far as cap allows). */
void store_text_hide_passwords(char *text, size_t cap, const char *uri);

/* A batch's molecules, read in one statement before it (PostgreSQL: a lookup per row would
 * cost a round trip each). store_pg_prefetch reads what the database has of the distinct
 * non-NULL smiles[0..n) (the strings must outlive the batch); store_pg_known then gives a
 * SMILES's STORE_PG_* bits (0: not part of the prefetch) and its id (0 when not in the
 * database before the batch); store_pg_mark_stored records a molecule the batch has written
 * (so a repeat in the batch is not upserted again); store_pg_forget ends the batch (and
 * store_pg_set_row's label). */
enum {
    STORE_PG_PREFETCHED = 1 << 0,
    STORE_PG_IN_DB = 1 << 1,
    STORE_PG_STORED_NOW = 1 << 2,
    STORE_PG_NO_FP = 1 << 3, /* then mw, logp, qed, sa, penalized_logp NULL: the next 5 bits */
};
int store_pg_prefetch(Store *s, const char *const *smiles, size_t n);
unsigned store_pg_known(Store *s, const char *smiles, int64_t *id);
void store_pg_mark_stored(Store *s, const char *smiles);
void store_pg_forget(Store *s);

/* Statements a write batch sends into libpq's pipeline are read later: store_pg_set_row
 * names the batch row (and where its label is) the next statements belong to;
 * store_pg_flush reads every result not yet read (0, or -1 with the failure kept);
 * store_pg_failed_row gives the row and label of the statement that failed, when known. */
void store_pg_set_row(Store *s, size_t row, const char *const *label);
int store_pg_flush(Store *s);
int store_pg_failed_row(const Store *s, size_t *row, const char **label);

/* 1 when the molecules table has the cartridge's mol and mfp columns. */
int store_pg_has_cartridge(const Store *s);
/* The SQL text that lists the schema (cv_store_list_schema) on PostgreSQL. */
extern const char STORE_PG_SCHEMA_SQL[];

#endif
