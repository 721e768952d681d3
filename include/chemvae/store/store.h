/* store.h — the results database: an SQLite file, or a PostgreSQL database when the path is
 * a postgresql:// (or postgres://) URI (src/store/README.md "PostgreSQL"). src/store/ is the
 * only code that includes sqlite3.h or libpq-fe.h; everything else records and reads results
 * through this API, the same for both.
 *
 * Schema (src/store/README.md "Schema", version STORE_SCHEMA_VERSION in PRAGMA user_version,
 * application_id STORE_APPLICATION_ID): runs(id, kind, status, started_at, finished_at, config,
 * model_path, model_hash, seed, parent, pid, host)   -- pid/host: the process that runs it; a
 * read-write open marks 'running' runs of this host whose process is gone 'interrupted'
 *   molecules(id, smiles UNIQUE canonical, mw, logp, qed, sa, penalized_logp, first_run, fp)
 *     -- fp: the Morgan fingerprint (chem.h CHEM_FP_BYTES), written with the molecule; NULL
 *        only for a SMILES RDKit cannot parse
 *   generations(id, run_id, method, step, source, raw_smiles, valid, molecule_id, z,
 *               predicted, similarity, failure)
 *   training_metrics(run_id, epoch, step, split, loss, recon, kl, prop, beta, lr,
 *                    accuracy, extra)
 *   eval_metrics(run_id, name, value)   -- one value per (run, name); re-inserting replaces
 *   scores(run_id, molecule_id, name, value)   -- an external scorer's value of a molecule
 *     in a run (name: the scorer's command), one per (run, name, molecule); re-inserting
 *     replaces
 * Timestamps are ISO-8601 UTC text ("2026-11-22T01:02:03Z"). JSON columns (config,
 * predicted, extra) are checked with json_valid(). z is a little-endian float32 array
 * (Z * 4 bytes). A NaN double is stored as NULL.
 *
 * Durability: WAL journal, synchronous=NORMAL (a killed process never loses a committed
 * row; only an OS crash/power loss may drop the last commits), foreign keys on, a busy
 * timeout (STORE_BUSY_TIMEOUT_MS) when another process writes. Every write API call is ONE
 * transaction: it commits completely or, on any failure (disk full, locked DB, constraint),
 * rolls back completely and reports why; rows committed before are never touched.
 *
 * Ownership: a Store is used by one thread at a time. Strings passed in are copied by
 * SQLite; strings in a StoreTable are owned by the table.
 *
 * Chemistry SQL functions are registered on every connection: mol_valid(s), canonical(s),
 * mw(s), logp(s), qed(s), sa(s), penalized_logp(s), morgan_fp(s), tanimoto(a, b) (a and b
 * SMILES or fingerprint BLOBs), has_substruct(s, smarts). They return NULL for an invalid
 * SMILES/SMARTS or a NULL argument. */
#ifndef CHEMVAE_STORE_H
#define CHEMVAE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chemvae/core/buf.h"
#include "chemvae/core/error.h"

#define STORE_SCHEMA_VERSION 5
#define STORE_APPLICATION_ID 0x63766165 /* "cvae" */
/* a loaded 2-core machine can hold a write lock for seconds */
#define STORE_BUSY_TIMEOUT_MS 30000

typedef struct Store Store;

/* Registers the chemistry SQL functions (mol_valid, canonical, mw, logp, qed, sa,
 * penalized_logp, morgan_fp, tanimoto, has_substruct; src/store/sqlfunc.c) on any SQLite
 * connection:
 * every Store has them; the loadable extension chemvae_sqlite.so registers them on the
 * connection that loads it. Returns an SQLite result code (SQLITE_OK == 0). */
struct sqlite3;
int cv_store_sql_register_chem(struct sqlite3 *db);

/* cv_store_open flags. */
enum {
    STORE_READ_ONLY = 1, /* open an existing DB read-only; every statement must be read-only
                            and ATTACH, DETACH and setting pragmas are refused */
};

/* Opens (read-write: creating it and its parent directories when missing) the results DB
 * at `path`. A read-write open creates or migrates the schema to STORE_SCHEMA_VERSION;
 * a DB whose version is newer than this program's, or that is not a chemvae DB, is refused
 * with a message naming the file and both versions. A read-only open requires an existing
 * DB at exactly STORE_SCHEMA_VERSION (an older one must be opened read-write once to be
 * migrated). On success *out owns the connection (free with cv_store_close); on failure
 * *out is NULL. */
CvStatus cv_store_open(const char *path, unsigned flags, Store **out, CvError *err);

/* Closes the connection. NULL-safe. */
void cv_store_close(Store *db);

/* Milliseconds a statement waits for another process's write lock before failing with
 * "database is locked" (default STORE_BUSY_TIMEOUT_MS). */
void cv_store_set_busy_timeout(Store *db, int ms);

/* Seconds a cv_store_select / cv_store_select_each statement may run before it is stopped with
 * CV_ERR_DB ("stopped after S s"); 0 = no limit (the default). Checked through SQLite's
 * progress handler, so a runaway query (a recursive CTE without end) cannot hang. */
void cv_store_set_query_timeout(Store *db, double seconds);

/* 1 when a read-only open found the DB on read-only media (a directory where SQLite cannot
 * create its WAL side files) and reads it as immutable: correct as long as nothing writes
 * it meanwhile, which that medium rules out. */
int cv_store_is_immutable(const Store *db);

/* The path the store was opened with (for messages). */
const char *cv_store_path(const Store *db);

/* ---- runs ------------------------------------------------------------------------------ */

typedef enum {
    STORE_RUN_RUNNING = 0,
    STORE_RUN_OK,
    STORE_RUN_FAILED,
    STORE_RUN_INTERRUPTED,
} StoreRunStatus;

/* Inserts a runs row with status 'running' and started_at = now.
 * kind: "train", "eval", "sample", "optimize", "interpolate", "pipeline", ... (non-NULL).
 * config_json: the full configuration as a JSON object text, or NULL.
 * model_path, model_hash: the checkpoint used (cv_hash_file), or NULL.
 * seed: the RNG seed, or a negative value for none. parent_run: the enclosing run (e.g. the
 * pipeline run), or 0 for none. Writes the new id to *run_id. */
CvStatus cv_store_run_begin(Store *db, const char *kind, const char *config_json,
                            const char *model_path, const char *model_hash, int64_t seed,
                            int64_t parent_run, int64_t *run_id, CvError *err);

/* Sets the run's status and finished_at = now (STORE_RUN_RUNNING clears finished_at).
 * Fails with CV_ERR_INVALID when no such run exists. */
CvStatus cv_store_run_finish(Store *db, int64_t run_id, StoreRunStatus status, CvError *err);
/* Finishes with `status` the run `root` and every run below it (runs.parent, recursively)
 * that is still 'running' — what a killed process left behind. */
CvStatus cv_store_runs_finish_running(Store *db, int64_t root, StoreRunStatus status, CvError *err);

/* Lower-case name of a status as stored in runs.status ("running", "ok", ...). */
const char *cv_store_run_status_name(StoreRunStatus status);

/* ---- molecules and generations ---------------------------------------------------------- */

typedef struct {
    const char *smiles; /* canonical SMILES (cv_chem_canonical / cv_chem_score_smiles); non-NULL */
    double mw, logp, qed, sa, penalized_logp; /* true RDKit values; NaN stores NULL */
} StoreMolecule;

/* Inserts the molecules not yet present (by canonical SMILES) with first_run = run_id
 * (0: NULL) and their fingerprint (molecules.fp, computed from the SMILES), in one
 * transaction. For a molecule already present, scores and fingerprint stored as NULL are
 * filled in; stored values and first_run are kept. ids (NULL-able, n entries) receives
 * each molecule's id in input order. Generations upsert their molecules the same way. */
CvStatus cv_store_upsert_molecules(Store *db, int64_t run_id, const StoreMolecule *mols, size_t n,
                                   int64_t *ids, CvError *err);

typedef struct {
    const char *method;     /* "sample", "optimize", "interpolate", "reconstruct", ...; non-NULL */
    int64_t step;           /* optimization step / path index / sample index */
    const char *source;     /* what the z came from: a start SMILES, "prior", ...; NULL-able */
    const char *raw_smiles; /* the decoded string exactly as produced; non-NULL (may be "") */
    int valid;              /* 1 when RDKit parses raw_smiles, else 0 */
    const char *failure;    /* why an invalid string failed ("syntax", "ring", "valence",
                               "aromaticity", "length", "other"); NULL when valid/unknown */
    /* The molecule, when valid: either `molecule` (upserted in the same transaction, with
     * first_run = this run) or an id from cv_store_upsert_molecules (> 0); else NULL / 0. */
    const StoreMolecule *molecule;
    int64_t molecule_id;
    const float *z; /* (z_dim) latent vector, NULL-able */
    size_t z_dim;
    const char *predicted; /* JSON object of property-head predictions, NULL-able */
    double similarity;     /* Tanimoto to the source molecule; NaN stores NULL */
} StoreGeneration;

/* Inserts n generations of run `run_id` (and their molecules) in ONE transaction.
 * ids (NULL-able) receives the generation ids. On failure nothing of the batch is stored. */
CvStatus cv_store_insert_generations(Store *db, int64_t run_id, const StoreGeneration *rows,
                                     size_t n, int64_t *ids, CvError *err);

/* An external scorer's value of a molecule (sample / optimize --scorer). */
typedef struct {
    const char *name;       /* the scorer (its command); non-NULL, not empty */
    StoreMolecule molecule; /* upserted as cv_store_upsert_molecules does */
    double value;           /* NaN stores NULL (the scorer gave no value) */
} StoreScore;

/* Stores n scores of run `run_id` (and their molecules) in ONE transaction; a score of the
 * same (run, name, molecule) is replaced. */
CvStatus cv_store_insert_scores(Store *db, int64_t run_id, const StoreScore *rows, size_t n,
                                CvError *err);

/* ---- metrics ----------------------------------------------------------------------------- */

typedef struct {
    int64_t epoch, step;
    const char *split;                                /* "train", "valid", "test"; non-NULL */
    double loss, recon, kl, prop, beta, lr, accuracy; /* NaN stores NULL */
    const char *extra; /* JSON object of further named values, NULL-able */
} StoreTrainingMetric;

/* Appends n training-metric rows of `run_id` in one transaction. */
CvStatus cv_store_insert_training_metrics(Store *db, int64_t run_id,
                                          const StoreTrainingMetric *rows, size_t n, CvError *err);

/* Sets eval metric `name` of `run_id` to `value` (replacing an earlier value). */
CvStatus cv_store_insert_eval_metric(Store *db, int64_t run_id, const char *name, double value,
                                     CvError *err);

/* ---- copying ------------------------------------------------------------------------------ */

typedef struct {
    int64_t runs, generations, training_rows, eval_metrics, scores;
    int64_t molecules;     /* molecules of the source */
    int64_t new_molecules; /* of those, the ones the destination did not have */
} StoreCopyStats;

/* Copies everything src holds into dst (either backend to either) in ONE transaction of
 * dst: every run gets a new id (parent links follow), molecules are matched by canonical
 * SMILES (one dst already has keeps its id, first run and values, filling only what it
 * stored as NULL), and generations, training and eval metrics and scores follow their runs
 * and molecules. On any failure nothing of the copy is stored. stats (NULL-able) receives
 * the counts. src and dst must be different databases. */
CvStatus cv_store_copy(Store *src, Store *dst, StoreCopyStats *stats, CvError *err);

/* ---- reading ------------------------------------------------------------------------------ */

typedef enum { STORE_NULL = 0, STORE_INT, STORE_REAL, STORE_TEXT, STORE_BLOB } StoreType;

/* One SQL value. For TEXT, s is NUL-terminated and len excludes the NUL; for BLOB, s points
 * at len bytes. Used both for query parameters and for result cells. */
typedef struct {
    StoreType type;
    int64_t i;
    double d;
    const char *s;
    size_t len;
} StoreValue;

/* A fully materialized result: ncol column names and nrow * ncol cells, row-major.
 * Owns every string. Zero-initialize before use; cv_store_table_free is safe on a zeroed or
 * half-built table. */
typedef struct {
    size_t ncol, nrow, cap;
    char **names;      /* (ncol) */
    StoreValue *cells; /* (nrow, ncol) */
} StoreTable;

void cv_store_table_free(StoreTable *t);

/* Column index of `name` in t, or -1. */
int cv_store_table_col(const StoreTable *t, const char *name);

/* The cell (row, col) as a double: REAL and INT converted, anything else NaN. */
double cv_store_table_real(const StoreTable *t, size_t row, size_t col);

/* Called once per result row with the column names and the row's values (valid only
 * during the call). Return 0 to continue, non-zero to stop early (not an error). */
typedef int (*StoreRowFn)(void *ctx, size_t ncol, const char *const *names, const StoreValue *vals);

/* Runs ONE read-only SQL statement with `nparams` positional parameters (?1, ?2, ...),
 * calling fn for each row. A statement that would write (sqlite3_stmt_readonly), more
 * than one statement, or an empty one is refused with CV_ERR_INVALID. When the statement
 * returns no rows, fn is called once with vals == NULL so callers learn the column names. */
CvStatus cv_store_select_each(Store *db, const char *sql, const StoreValue *params, size_t nparams,
                              StoreRowFn fn, void *ctx, CvError *err);

/* Same, collecting every row into *out (zeroed first; free with cv_store_table_free). */
CvStatus cv_store_select(Store *db, const char *sql, const StoreValue *params, size_t nparams,
                         StoreTable *out, CvError *err);

/* The reads of one run (src/store/run_read.c), for the query command's run view and the
 * report, each a table like cv_store_select's by cv_store_run_read; the STORE_READ_SCOPE_*
 * ones read a scope: that run and the runs under it (runs.parent, recursively), or the
 * whole DB for 0. */
typedef enum {
    /* The runs row of the run (0 rows if absent). */
    STORE_READ_RUN,
    /* One row (generations, valid, distinct_molecules, new_molecules, training_rows,
     * eval_metrics). */
    STORE_READ_COUNTS,
    /* Every training_metrics row of the run ordered by step, split. */
    STORE_READ_TRAINING_METRICS,
    /* Per split, the row count, number of epochs and the last row. */
    STORE_READ_TRAINING_SUMMARY,
    /* (name, value) of the run ordered by name. */
    STORE_READ_EVAL_METRICS,
    /* The training curves of a train run joined with the earlier train runs it resumed
     * (same model_path, back to the last run whose config has no true "resume"); for each
     * (split, epoch) the newest run's row. Columns: split, epoch, loss, recon, kl, beta,
     * accuracy, tf_exact, active_units (the last two from `extra`, NULL when absent);
     * ordered by split, epoch, step. */
    STORE_READ_TRAINING_CURVES,
    /* The valid decodes of an interpolation run per (source, step, molecule): source ('' for
     * NULL), step, smiles, n (decodes of that molecule there), tries (decodes at that
     * step); paths in the order they were stored, steps ascending, the most frequent
     * molecule of a step first. */
    STORE_READ_INTERPOLATION,
    /* The objective of the run from its JSON config: one row (objective text or NULL,
     * minimize as 0/1), or no row when the run has no valid config. */
    STORE_READ_OBJECTIVE,
    /* The runs in scope, newest first, with their generation and valid counts. */
    STORE_READ_SCOPE_RUNS,
    /* Per run in scope with generations (newest first): run, kind, its constrain mode,
     * decodes, valid ones, invalid ones by failure class (syntax, ring, valence,
     * aromaticity, length, other) and unclassified (invalid with failure NULL: decoded
     * before the classes were stored). */
    STORE_READ_SCOPE_FAILURES,
    /* The scores of the run (an external scorer's values): smiles, value, name,
     * molecule_id; highest value first (NULLs last), then by SMILES. */
    STORE_READ_SCORES,
    /* The invalid decodes in scope per failure class: failure ('' for NULL), decodes, and
     * examples, the raw strings of the class's first three decodes (by generation id)
     * separated by newlines; the most frequent class first. */
    STORE_READ_SCOPE_FAILURE_CLASSES,
    /* raw_smiles of the first 5,000 invalid decodes in scope (by generation id) that have
     * no failure class. */
    STORE_READ_SCOPE_UNCLASSIFIED,
    /* logp, qed, sa, mw of every valid decode of the run (a molecule decoded twice counts
     * twice), by generation id. */
    STORE_READ_GENERATED_PROPS,
} StoreRunRead;

/* Reads `which` of run run_id (of scope run_id for STORE_READ_SCOPE_*) into *out (zeroed
 * first; free with cv_store_table_free). CV_ERR_INVALID for a `which` not in StoreRunRead. */
CvStatus cv_store_run_read(Store *db, StoreRunRead which, int64_t run_id, StoreTable *out,
                           CvError *err);

/* Other canned reads (each fills *out like cv_store_select):
 *   cv_store_list_runs: every run with its generation, valid and new-molecule counts, newest
 *     first.
 *   cv_store_top_molecules: the n molecules with the highest (lowest when ascending) `column`
 *     (one of mw, logp, qed, sa, penalized_logp; NULLs last), with first_run; run_id > 0
 *     keeps only molecules that run generated (or first stored).
 *   cv_store_find_molecule: the molecules row of a canonical SMILES (0 or 1 rows).
 *   cv_store_molecule_origins: for a molecule id, one row per (run, method) that produced it:
 *     run_id, kind, method, n, first_step, last_step, sources, best_similarity.
 *   cv_store_list_schema: (type, name, sql) of every table, index, view and trigger but
 *     SQLite's own, tables first, by name. */
CvStatus cv_store_list_runs(Store *db, StoreTable *out, CvError *err);
CvStatus cv_store_top_molecules(Store *db, const char *column, size_t n, int ascending,
                                int64_t run_id, StoreTable *out, CvError *err);
CvStatus cv_store_find_molecule(Store *db, const char *canonical_smiles, StoreTable *out,
                                CvError *err);
CvStatus cv_store_molecule_origins(Store *db, int64_t molecule_id, StoreTable *out, CvError *err);
CvStatus cv_store_list_schema(Store *db, StoreTable *out, CvError *err);

/* Chemistry searches of the stored molecules (src/store/similar.c), filling *out like
 * cv_store_select. Columns: id, smiles, [similarity,] mw, logp, qed, sa, penalized_logp,
 * first_run.
 *   cv_store_similar: the k molecules (k = 0: no limit) whose stored fingerprint
 *     (molecules.fp) is most similar to `smiles`'s (Tanimoto, chem.h CHEM_FP_BITS Morgan
 *     bits) among those with similarity >= min_similarity, ordered by similarity
 *     descending, then id. CV_ERR_INVALID naming the SMILES when RDKit cannot parse it.
 *   cv_store_substruct: the first n molecules by id that contain the SMARTS pattern
 *     (has_substruct). CV_ERR_INVALID naming the SMARTS when RDKit cannot parse it. */
CvStatus cv_store_similar(Store *db, const char *smiles, size_t k, double min_similarity,
                          StoreTable *out, CvError *err);
CvStatus cv_store_substruct(Store *db, const char *smarts, size_t n, StoreTable *out, CvError *err);

/* ---- reads for the report (src/store/report_select.c) ------------------------------------
 * What the HTML report (include/chemvae/report/report.h) shows, each section one call. `scope` is
 * a run id: that run and the runs under it (runs.parent, recursively), or 0: the whole DB.
 * `column` names a molecules score column: qed, penalized_logp, logp, sa or mw (anything
 * else is CV_ERR_INVALID); `ascending` puts the lowest first. Each fills *out like
 * cv_store_select (zeroed first; free with cv_store_table_free). The report's tables of one
 * run or scope are read with cv_store_run_read (above). */

/* Which runs cv_store_report_latest_run looks for. */
typedef enum {
    STORE_REPORT_PIPELINE,   /* kind 'pipeline' */
    STORE_REPORT_TRAINING,   /* kind 'train' with training_metrics rows */
    STORE_REPORT_EVAL,       /* kind 'eval' with eval_metrics rows */
    STORE_REPORT_GENERATING, /* any kind with generations of `method` */
} StoreReportRuns;

/* The id of the newest run in scope of the kind `which` says, runs that finished 'ok'
 * first; 0 when there is none. `method` ("sample", "optimize", "interpolate") is needed by
 * STORE_REPORT_GENERATING only. */
CvStatus cv_store_report_latest_run(Store *db, int64_t scope, StoreReportRuns which,
                                    const char *method, int64_t *run_id, CvError *err);

/* The n best distinct valid molecules generated by run_a or run_b (0: none) by `column`
 * (NULL scores left out), ties by molecule id. Columns: smiles, qed, logp, sa,
 * penalized_logp, methods (the distinct generation methods that made it, comma-separated). */
CvStatus cv_store_report_top_generated(Store *db, int64_t run_a, int64_t run_b, const char *column,
                                       int ascending, size_t n, StoreTable *out, CvError *err);

/* The optimization trajectories of run run_id: per (source, step) the best (min when
 * ascending, else max) `column` of the valid decodes and the best similarity. Columns:
 * source ('' for NULL), step, score, similarity; starts in the order they were stored. */
CvStatus cv_store_report_trajectories(Store *db, int64_t run_id, const char *column, int ascending,
                                      StoreTable *out, CvError *err);

/* Per start molecule of optimization run run_id (the first n, in the order they were
 * stored) its best valid decode by `column`, ties by generation id. Columns: src ('' for
 * NULL), smiles, score, similarity, step. */
CvStatus cv_store_report_best_per_start(Store *db, int64_t run_id, const char *column,
                                        int ascending, size_t n, StoreTable *out, CvError *err);

/* The latent vectors of run run_id's generations of `method` ("sample", "optimize"), one
 * per (source, step): its first generation's (by id; the other attempts of a vector share
 * it), the first n in the order they were stored. Columns: source ('' for NULL), step, z
 * (BLOB, little-endian float32), smiles (the molecule of that generation, NULL when it is
 * invalid). Generations stored without z are left out. */
CvStatus cv_store_report_latent_points(Store *db, int64_t run_id, const char *method, size_t n,
                                       StoreTable *out, CvError *err);

/* ---- printing results ---------------------------------------------------------------- */

typedef enum {
    STORE_FORMAT_TABLE = 0, /* aligned columns, header + rule; NULL shown as "NULL", reals to 6
                               significant digits (CSV and JSON: every digit a double needs) */
    STORE_FORMAT_CSV,       /* RFC 4180: header line, fields quoted when needed, NULL empty */
    STORE_FORMAT_JSON,      /* array of objects; NULL and non-finite reals as null */
    STORE_FORMAT_SDF,       /* one SDF record a row: the molecule of its SMILES column (the
                               column "smiles", else the first whose name ends in "smiles") with
                               2D coordinates, titled by its "name" or "id" column (else
                               "row-N"), every other non-NULL column a data item */
    STORE_FORMAT_SMI,       /* "SMILES NAME" a row, no header (the same columns) */
} StoreFormat;

/* Parses "table" / "csv" / "json" / "sdf" / "smi"; returns 0 on success, -1 otherwise. */
int cv_store_format_parse(const char *s, StoreFormat *out);

/* Writes t to fp in format fmt. In table format, cells longer than `max_width` display
 * characters (0: no limit) are cut with "...". BLOBs print as x'hex' in CSV/table and as a
 * hex string in JSON. Returns CV_ERR_IO when writing fails. */
CvStatus cv_store_print_table(FILE *fp, const StoreTable *t, StoreFormat fmt, size_t max_width,
                              CvError *err);

/* Streaming CSV / JSON / SDF / SMILES-file printer whose row function fits StoreRowFn, so a large
 * result never has to fit in memory: init, pass cv_store_printer_row + the printer to
 * cv_store_select_each, then cv_store_printer_end. (Table format needs all rows for widths: use
 * cv_store_print_table.) */
typedef struct {
    FILE *fp;
    StoreFormat fmt; /* CSV, JSON, SDF or SMI */
    size_t nrow;
    int header_done;
    long mol_col, name_col; /* SDF, SMI: the SMILES and the name column, -1: none */
    CvBuf items;            /* SDF: the row's data items */
} StorePrinter;

void cv_store_printer_init(StorePrinter *p, FILE *fp, StoreFormat fmt);
int cv_store_printer_row(void *printer, size_t ncol, const char *const *names,
                         const StoreValue *vals);
/* Finishes the output; returns CV_ERR_IO when any write to fp failed. */
CvStatus cv_store_printer_end(StorePrinter *p, CvError *err);

/* The JSON columns (config, predicted, extra) are built with the JSON writer of
 * include/chemvae/core/json.h. */

/* ---- views: results of several named tables (select.c reads, print.c writes) ---------- */

/* The name of a format ("table", "csv", "json"). */
const char *cv_store_format_name(StoreFormat fmt);

/* 1 when `column` is a score column of molecules (mw, logp, qed, sa, penalized_logp), the
 * columns cv_store_top_molecules sorts by; else 0. */
int cv_store_is_score_column(const char *column);

enum { STORE_VIEW_MAX_PARTS = 4 };
/* A result made of tables in order, each with a heading (table and CSV output) and a key
 * (JSON output); a view of one part without names prints as that table alone. Owns its
 * tables; zero-initialize before use. */
typedef struct {
    size_t n;
    const char *heading[STORE_VIEW_MAX_PARTS]; /* static strings */
    const char *key[STORE_VIEW_MAX_PARTS];
    StoreTable part[STORE_VIEW_MAX_PARTS];
} StoreView;
void cv_store_view_free(StoreView *v);

/* One run: "run" (its runs row), "counts" (STORE_READ_COUNTS), "training (rows, epochs
 * and last row per split)" (key "training": STORE_READ_TRAINING_SUMMARY), "eval_metrics".
 * CV_ERR_INVALID "<path>: no run with id N" when there is none. */
CvStatus cv_store_run_view(Store *db, int64_t run_id, StoreView *out, CvError *err);

/* One molecule, found by its canonical SMILES: "molecule" (its molecules row) and
 * "origins (run, method)" (cv_store_molecule_origins). CV_ERR_INVALID for SMILES RDKit
 * cannot parse, CV_ERR_EMPTY naming both spellings when it is not in the DB. */
CvStatus cv_store_molecule_view(Store *db, const char *smiles, StoreView *out, CvError *err);

/* Writes v to fp: each part under a "== heading" line (table) or a "# heading" line (CSV),
 * parts separated by a blank line; in JSON one object whose members are the parts by key.
 * A one-part view without heading: cv_store_print_table. CV_ERR_IO when writing fails. */
CvStatus cv_store_print_view(FILE *fp, const StoreView *v, StoreFormat fmt, size_t max_width,
                             CvError *err);

/* Runs one read-only statement (cv_store_select_each) and writes its rows to fp: CSV and
 * JSON stream row by row; a table is collected first for its widths. */
CvStatus cv_store_print_select(FILE *fp, Store *db, const char *sql, const StoreValue *params,
                               size_t nparams, StoreFormat fmt, size_t max_width, CvError *err);
/* ---- end of views ---- */

#endif
