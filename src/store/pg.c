/* pg.c — the PostgreSQL backend of the results store (libpq), the only file that includes
 * libpq-fe.h. A `--db` of the form postgresql://... (or postgres://...) is a libpq
 * connection URI; every public store.h function works on it as on an SQLite file, so no
 * command knows which backend it writes to.
 *
 * Schema: PG_MIGRATIONS mirror store.c's SQLite MIGRATIONS step by step (the same tables,
 * columns and checks in PostgreSQL's types; training_metrics gets an explicit `rowid`, the
 * insertion order SQLite keeps implicitly), with the version in chemvae_meta instead of
 * PRAGMA user_version. A read-write open takes a transaction-level advisory lock, re-reads
 * the version and applies the missing steps in that one transaction, so several processes
 * opening a new database at once do not race. When the RDKit cartridge (the `rdkit`
 * extension, Debian's postgresql-15-rdkit) is available, the same open adds molecules.mol
 * (mol) and molecules.mfp (bfp, the stored Morgan fingerprint bytes) with GiST indexes and a
 * trigger that fills both from smiles and fp, so substructure (@>) and similarity
 * (tanimoto_sml) searches run in the database.
 *
 * Statements: store.c's write statements are prepared once per connection (?N becomes $N,
 * and the inserts of STORE_STMT_NEW_ID get RETURNING id);
 * parameters go as text (numbers printed exactly, %.17g) or binary (bytea). Reads run in a
 * READ ONLY transaction that is always rolled back, with statement_timeout for the query
 * time limit, and, when the database has a role `chemvae_reader` the user belongs to, as
 * that role (SET LOCAL ROLE): `chemvae query` cannot write through it. Results come back as
 * text and are typed by column type (integers, floats, bytea, the rest text), so printing
 * them gives what the SQLite store prints. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_path_is_pg(const char *path) {
    return path && (!strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11));
}

const char STORE_PG_SCHEMA_SQL[] =
    "SELECT CASE WHEN c.relkind = 'i' THEN 'index' ELSE 'table' END AS type, c.relname AS name, "
    "CASE WHEN c.relkind = 'i' THEN pg_get_indexdef(c.oid) ELSE 'CREATE TABLE ' || c.relname || "
    "'(' || (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' "
    "ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT "
    "a.attisdropped) || ')' END AS sql FROM pg_class c WHERE c.relnamespace = "
    "current_schema()::regnamespace AND c.relkind IN ('r', 'i') ORDER BY type DESC, name";

#ifndef CHEMVAE_PG

CvStatus store_pg_open(Store *s, CvError *err) {
    return cv_error_set(err, CV_ERR_INVALID,
                        "%s: this chemvae was built without PostgreSQL support (install "
                        "libpq-dev and rebuild: make PG=1)",
                        s->path);
}
void store_pg_close(Store *s) {
    (void)s;
}
CvStatus store_pg_tx(Store *s, const char *verb, const char *what, CvError *err) {
    (void)verb;
    (void)what;
    return store_pg_open(s, err);
}
int store_pg_run(Store *s, int which, const StoreValue *p, size_t n, int64_t *id, int *got_row) {
    (void)s, (void)which, (void)p, (void)n, (void)id, (void)got_row;
    return -1;
}
CvStatus store_pg_error(Store *s, CvError *err, const char *what, int *retryable) {
    (void)what;
    if (retryable) *retryable = 0;
    return store_pg_open(s, err);
}
CvStatus store_pg_select_each(Store *s, const char *sql, const StoreValue *params, size_t nparams,
                              StoreRowFn fn, void *ctx, CvError *err) {
    (void)sql, (void)params, (void)nparams, (void)fn, (void)ctx;
    return store_pg_open(s, err);
}
int store_pg_has_cartridge(const Store *s) {
    (void)s;
    return 0;
}
int store_pg_prefetch(Store *s, const char *const *smiles, size_t n) {
    (void)s, (void)smiles, (void)n;
    return -1;
}
unsigned store_pg_known(Store *s, const char *smiles, int64_t *id) {
    (void)s, (void)smiles;
    *id = 0;
    return 0;
}
void store_pg_mark_stored(Store *s, const char *smiles) {
    (void)s, (void)smiles;
}
void store_pg_forget(Store *s) {
    (void)s;
}
void store_pg_set_row(Store *s, size_t row, const char *const *label) {
    (void)s, (void)row, (void)label;
}
int store_pg_failed_row(const Store *s, size_t *row, const char **label) {
    (void)s, (void)row, (void)label;
    return 0;
}
int store_pg_flush(Store *s) {
    (void)s;
    return 0;
}

#else

#include <libpq-fe.h>

/* Type OIDs of pg_type (stable across PostgreSQL versions). */
enum {
    OID_BOOL = 16,
    OID_BYTEA = 17,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_OID = 26,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_NUMERIC = 1700,
};

typedef struct {
    const char *smiles; /* the caller's string, valid during its batch */
    int64_t id;         /* 0: not in the database before the batch */
    unsigned state;     /* STORE_PG_* bits */
} StorePgKnown;

struct StorePg {
    PGconn *conn;
    int prepared[ST_COUNT];
    int in_tx;           /* a write transaction is open */
    int pipeline;        /* in libpq's pipeline mode (inside a write transaction) */
    StorePgKnown *known; /* the current batch's molecules (store_pg_prefetch), by SMILES */
    size_t nknown;
    /* the batch row each statement sent into the pipeline belongs to, and its label, so a
     * failure read later names its own row (store_pg_set_row) */
    size_t row, *sent_row, nsent, cap_sent;
    const char *const *row_label;
    const char **sent_label;
    size_t failed_row;
    const char *failed_label;
    int failed_known; /* failed_row / failed_label say which row failed */
    int cartridge;    /* molecules has mol and mfp */
    int reader_role;  /* reads SET LOCAL ROLE chemvae_reader */
    char sqlstate[6]; /* of the last failure */
    char message[512];
};

/* MIGRATIONS of store.c in PostgreSQL's dialect, step for step. Append, never edit. Text
 * columns collate "C" (byte order, as SQLite compares), so ORDER BY a text column gives
 * the same order on both whatever the database's locale. */
static const char *const PG_MIGRATIONS[STORE_SCHEMA_VERSION] = {
    /* 0 -> 1. json_valid and group_concat as SQLite has them, for CHECKs and reads. */
    "CREATE FUNCTION json_valid(t text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $f$ "
    "BEGIN PERFORM t::json; RETURN true; EXCEPTION WHEN others THEN RETURN false; END $f$;\n"
    "CREATE FUNCTION chemvae_concat(acc text, x text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$ "
    "SELECT CASE WHEN x IS NULL THEN acc WHEN acc IS NULL THEN x ELSE acc || ',' || x END $f$;\n"
    "CREATE AGGREGATE group_concat(text) (SFUNC = chemvae_concat, STYPE = text);\n"
    "CREATE TABLE runs(\n"
    "  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
    "  kind text COLLATE \"C\" NOT NULL,\n"
    "  status text COLLATE \"C\" NOT NULL DEFAULT 'running'\n"
    "    CHECK(status IN ('running','ok','failed','interrupted')),\n"
    "  started_at text COLLATE \"C\" NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
    "  finished_at text COLLATE \"C\",\n"
    "  config text COLLATE \"C\" CHECK(config IS NULL OR json_valid(config)),\n"
    "  model_path text COLLATE \"C\",\n"
    "  model_hash text COLLATE \"C\",\n"
    "  seed bigint,\n"
    "  parent bigint REFERENCES runs(id) ON DELETE SET NULL\n"
    ");\n"
    "CREATE TABLE molecules(\n"
    "  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
    "  smiles text COLLATE \"C\" NOT NULL UNIQUE,\n"
    "  mw float8, logp float8, qed float8, sa float8, penalized_logp float8,\n"
    "  first_run bigint REFERENCES runs(id) ON DELETE SET NULL\n"
    ");\n"
    "CREATE TABLE generations(\n"
    "  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
    "  run_id bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  method text COLLATE \"C\" NOT NULL,\n"
    "  step bigint NOT NULL DEFAULT 0,\n"
    "  source text COLLATE \"C\",\n"
    "  raw_smiles text COLLATE \"C\" NOT NULL,\n"
    "  valid integer NOT NULL CHECK(valid IN (0, 1)),\n"
    "  molecule_id bigint REFERENCES molecules(id),\n"
    "  z bytea,\n"
    "  predicted text COLLATE \"C\" CHECK(predicted IS NULL OR json_valid(predicted)),\n"
    "  similarity float8\n"
    ");\n"
    "CREATE INDEX generations_run ON generations(run_id, step);\n"
    "CREATE INDEX generations_molecule ON generations(molecule_id);\n"
    "CREATE INDEX molecules_first_run ON molecules(first_run);\n"
    "CREATE INDEX runs_parent ON runs(parent);\n"
    "CREATE TABLE training_metrics(\n"
    "  run_id bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  epoch bigint NOT NULL,\n"
    "  step bigint NOT NULL,\n"
    "  split text COLLATE \"C\" NOT NULL,\n"
    "  loss float8, recon float8, kl float8, prop float8, beta float8, lr float8, "
    "accuracy float8,\n"
    "  extra text COLLATE \"C\" CHECK(extra IS NULL OR json_valid(extra)),\n"
    "  rowid bigint GENERATED ALWAYS AS IDENTITY\n"
    ");\n"
    "CREATE INDEX training_metrics_run ON training_metrics(run_id, step);\n"
    "CREATE TABLE eval_metrics(\n"
    "  run_id bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  name text COLLATE \"C\" NOT NULL,\n"
    "  value float8,\n"
    "  PRIMARY KEY(run_id, name)\n"
    ");\n",
    /* 1 -> 2 */
    "ALTER TABLE generations ADD COLUMN failure text COLLATE \"C\" CHECK(failure IS NULL OR "
    "failure IN "
    "('syntax','ring','valence','aromaticity','length','other'));\n",
    /* 2 -> 3 */
    "ALTER TABLE runs ADD COLUMN pid bigint;\n"
    "ALTER TABLE runs ADD COLUMN host text COLLATE \"C\";\n",
    /* 3 -> 4: every molecule a PostgreSQL store holds was written with its fingerprint. */
    "ALTER TABLE molecules ADD COLUMN fp bytea CHECK(fp IS NULL OR length(fp) = 256);\n",
    /* 4 -> 5 */
    "CREATE TABLE scores(\n"
    "  run_id bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  molecule_id bigint NOT NULL REFERENCES molecules(id),\n"
    "  name text COLLATE \"C\" NOT NULL,\n"
    "  value float8,\n"
    "  PRIMARY KEY(run_id, name, molecule_id)\n"
    ");\n"
    "CREATE INDEX scores_molecule ON scores(molecule_id);\n",
};

/* The RDKit cartridge's columns, their indexes and the trigger that keeps them. */
static const char CARTRIDGE_SQL[] =
    "CREATE EXTENSION IF NOT EXISTS rdkit;\n"
    "ALTER TABLE molecules ADD COLUMN mol mol, ADD COLUMN mfp bfp;\n"
    "CREATE FUNCTION chemvae_molecule_cartridge() RETURNS trigger LANGUAGE plpgsql AS $f$ "
    "BEGIN NEW.mol := mol_from_smiles(NEW.smiles::cstring); "
    "NEW.mfp := bfp_from_binary_text(NEW.fp); RETURN NEW; END $f$;\n"
    "CREATE TRIGGER molecules_cartridge BEFORE INSERT OR UPDATE OF smiles, fp ON molecules "
    "FOR EACH ROW EXECUTE FUNCTION chemvae_molecule_cartridge();\n"
    "UPDATE molecules SET fp = fp;\n"
    "CREATE INDEX molecules_mol ON molecules USING gist(mol);\n"
    "CREATE INDEX molecules_mfp ON molecules USING gist(mfp);\n";

/* ---- errors and plain statements ----------------------------------------------------- */

static void keep_error(StorePg *pg, const PGresult *r) {
    const char *msg = r ? PQresultErrorMessage(r) : "";
    if (!*msg) msg = PQerrorMessage(pg->conn);
    if (!strncmp(msg, "ERROR:  ", 8)) msg += 8;
    snprintf(pg->message, sizeof pg->message, "%s", *msg ? msg : "unknown error");
    size_t n = strlen(pg->message);
    while (n && (pg->message[n - 1] == '\n' || pg->message[n - 1] == ' ')) pg->message[--n] = 0;
    for (char *c = pg->message; *c; c++)
        if (*c == '\n' || *c == '\t') *c = ' ';
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(pg->sqlstate, sizeof pg->sqlstate, "%s", state ? state : "");
}

CvStatus store_pg_error(Store *s, CvError *err, const char *what, int *retryable) {
    const StorePg *pg = s->pg;
    if (retryable) *retryable = !strcmp(pg->sqlstate, "40P01") || !strcmp(pg->sqlstate, "40001");
    if (!err) return CV_ERR_DB;
    return cv_error_set(err, CV_ERR_DB, "%s: %s: %s", s->path, what, pg->message);
}

/* Runs sql (no parameters); 0 or -1 with the error kept. */
static int exec_plain(StorePg *pg, const char *sql) {
    PGresult *r = PQexec(pg->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) keep_error(pg, r);
    PQclear(r);
    return ok ? 0 : -1;
}

/* The first column of the first row of sql as an integer (0 when NULL or no row). */
static int query_int(StorePg *pg, const char *sql, int64_t *out) {
    PGresult *r = PQexec(pg->conn, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        keep_error(pg, r);
        PQclear(r);
        return -1;
    }
    *out = PQntuples(r) && !PQgetisnull(r, 0, 0) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return 0;
}

/* Reads the results of every statement sent since the last drain (up to the pipeline's
 * sync). Returns 0, or -1 with the first failure kept (the statements after it come back
 * aborted); *last (NULL-able) receives the last statement's result, which the caller
 * clears. */
static int drain(StorePg *pg, PGresult **last) {
    if (PQpipelineSync(pg->conn) != 1) {
        keep_error(pg, NULL);
        return -1;
    }
    int rc = 0, nulls = 0;
    size_t k = 0; /* the statement whose results come next */
    for (;;) {
        PGresult *r = PQgetResult(pg->conn);
        if (!r) {
            /* one NULL ends each statement's results; two in a row: nothing more comes */
            if (PQstatus(pg->conn) != CONNECTION_OK || ++nulls > 1) {
                keep_error(pg, NULL);
                pg->nsent = 0;
                return -1;
            }
            k++;
            continue;
        }
        nulls = 0;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            pg->nsent = 0;
            return rc;
        }
        if ((st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) && last) {
            PQclear(*last);
            *last = r;
            continue;
        }
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && !rc) {
            keep_error(pg, r);
            rc = -1;
            if (k < pg->nsent) {
                pg->failed_known = 1;
                pg->failed_row = pg->sent_row[k];
                pg->failed_label = pg->sent_label[k];
            }
        }
        PQclear(r);
    }
}

void store_pg_set_row(Store *s, size_t row, const char *const *label) {
    if (!s->pg) return;
    s->pg->row = row;
    s->pg->row_label = label;
}

int store_pg_failed_row(const Store *s, size_t *row, const char **label) {
    const StorePg *pg = s->pg;
    if (!pg || !pg->failed_known) return 0;
    *row = pg->failed_row;
    *label = pg->failed_label;
    return 1;
}

/* Records which row the statement being sent belongs to; -1 when out of memory. */
static int note_sent(StorePg *pg) {
    if (pg->nsent == pg->cap_sent) {
        size_t cap = pg->cap_sent ? 2 * pg->cap_sent : 256;
        size_t *rows = realloc(pg->sent_row, cap * sizeof *rows);
        if (rows) pg->sent_row = rows;
        const char **labels = rows ? realloc(pg->sent_label, cap * sizeof *labels) : NULL;
        if (!labels) return -1;
        pg->sent_label = labels;
        pg->cap_sent = cap;
    }
    pg->sent_row[pg->nsent] = pg->row;
    pg->sent_label[pg->nsent++] = pg->row_label ? *pg->row_label : NULL;
    return 0;
}

/* Drains the pipeline and returns to plain mode (before COMMIT, ROLLBACK or a read). */
static int leave_pipeline(StorePg *pg) {
    if (!pg->pipeline) return 0;
    int rc = drain(pg, NULL);
    /* Still in pipeline mode when this fails (a lost connection): every later call tries
     * again and reports the connection's own error, not libpq's pipeline state. */
    if (PQexitPipelineMode(pg->conn) == 1) pg->pipeline = 0;
    else if (!rc) {
        keep_error(pg, NULL);
        rc = -1;
    }
    return rc;
}

int store_pg_flush(Store *s) {
    return s->pg ? leave_pipeline(s->pg) : 0;
}

CvStatus store_pg_tx(Store *s, const char *verb, const char *what, CvError *err) {
    StorePg *pg = s->pg;
    int failed = leave_pipeline(pg);
    if (!strcmp(verb, "ROLLBACK")) {
        pg->in_tx = 0;
        PQclear(PQexec(pg->conn, "ROLLBACK"));
        return CV_OK;
    }
    if (!strcmp(verb, "BEGIN")) {
        pg->failed_known = 0;
        pg->sqlstate[0] = 0;
        snprintf(pg->message, sizeof pg->message, "unknown error");
    }
    if (failed) return store_pg_error(s, err, what, NULL);
    PGresult *r = PQexec(pg->conn, verb);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK;
    if (!ok) keep_error(pg, r);
    else if (!strcmp(verb, "COMMIT") && !strcmp(PQcmdStatus(r), "ROLLBACK")) {
        ok = 0; /* the server had aborted the transaction: nothing of it was stored */
        snprintf(pg->message, sizeof pg->message, "the server rolled the transaction back");
    }
    PQclear(r);
    if (!ok) return store_pg_error(s, err, what, NULL);
    pg->in_tx = !strcmp(verb, "BEGIN");
    return CV_OK;
}

/* ---- SQL text and parameters ---------------------------------------------------------- */

/* libpq's parameter arrays for StoreValues: numbers printed into num, bytea binary. Up to
 * ARGS_INLINE parameters (every write statement has at most 12) live in the struct itself,
 * so a row written costs no allocation; more (a user's query) take one block. */
enum { ARGS_INLINE = 16 };
typedef struct {
    const char **val;
    int *len, *fmt;
    Oid *type;
    char (*num)[32];
    void *heap; /* the block for more than ARGS_INLINE, or NULL */
    const char *val_in[ARGS_INLINE];
    int len_in[ARGS_INLINE], fmt_in[ARGS_INLINE];
    Oid type_in[ARGS_INLINE];
    char num_in[ARGS_INLINE][32];
} PgArgs;

static void args_free(PgArgs *a) {
    free(a->heap);
}

/* Fills a (used in place: it points into itself) for p[0..n); -1 when out of memory. */
static int args_make(PgArgs *a, const StoreValue *p, size_t n) {
    a->heap = NULL;
    if (n <= ARGS_INLINE) {
        a->val = a->val_in, a->len = a->len_in, a->fmt = a->fmt_in, a->type = a->type_in;
        a->num = a->num_in;
    } else {
        size_t each = sizeof *a->val + 2 * sizeof *a->len + sizeof *a->type + sizeof *a->num;
        char *block = a->heap = malloc(n * each);
        if (!block) return -1;
        a->num = (char(*)[32])block; /* n * 32 bytes: the pointers after it stay aligned */
        a->val = (const char **)(block + n * sizeof *a->num);
        a->len = (int *)(block + n * (sizeof *a->num + sizeof *a->val));
        a->fmt = a->len + n;
        a->type = (Oid *)(a->fmt + n);
    }
    for (size_t i = 0; i < n; i++) a->val[i] = NULL, a->len[i] = a->fmt[i] = 0, a->type[i] = 0;
    for (size_t i = 0; i < n; i++) {
        switch (p[i].type) {
        case STORE_INT:
            snprintf(a->num[i], 32, "%lld", (long long)p[i].i);
            a->val[i] = a->num[i];
            a->type[i] = OID_INT8;
            break;
        case STORE_REAL:
            if (p[i].d != p[i].d) break; /* NaN: NULL */
            snprintf(a->num[i], 32, "%.17g", p[i].d);
            a->val[i] = a->num[i];
            a->type[i] = OID_FLOAT8;
            break;
        case STORE_TEXT:
            a->val[i] = p[i].s;
            break;
        case STORE_BLOB:
            a->val[i] = p[i].s;
            a->len[i] = (int)p[i].len;
            a->fmt[i] = 1;
            a->type[i] = OID_BYTEA;
            break;
        case STORE_NULL:
            break;
        }
    }
    return 0;
}

/* ---- writes ----------------------------------------------------------------------------- */

/* Prepares write statement `which` as "cv_st<which>" (on its first use, outside the
 * pipeline). */
static int prepare(StorePg *pg, int which, const char *name) {
    if (pg->prepared[which]) return 0;
    char sql_text[1024];
    snprintf(sql_text, sizeof sql_text, "%s%s", STORE_STMT_SQL[which],
             STORE_STMT_NEW_ID[which] ? " RETURNING id" : "");
    char *sql = store_sql_dollar_params(sql_text);
    PGresult *r = sql ? PQprepare(pg->conn, name, sql, 0, NULL) : NULL;
    free(sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) keep_error(pg, r);
    PQclear(r);
    pg->prepared[which] = ok;
    return ok ? 0 : -1;
}

/* Inside a write transaction statements go out in libpq's pipeline mode: one whose result
 * the caller does not need (id and got_row NULL) is only sent, and the next that needs one
 * (or the COMMIT) reads every result at once, so a batch of generations costs a round trip
 * per molecule lookup instead of one per statement. A failure of a statement sent earlier
 * is reported by the call that reads it (the batch as a whole fails either way). */
int store_pg_run(Store *s, int which, const StoreValue *p, size_t n, int64_t *id, int *got_row) {
    StorePg *pg = s->pg;
    char name[16];
    snprintf(name, sizeof name, "cv_st%d", which);
    if (!pg->prepared[which] && (leave_pipeline(pg) || prepare(pg, which, name))) return -1;
    PgArgs a;
    if (args_make(&a, p, n)) {
        snprintf(pg->message, sizeof pg->message, "out of memory");
        return -1;
    }
    int wait = id || got_row;
    PGresult *r = NULL;
    int rc = 0;
    if (pg->in_tx && !pg->pipeline && PQenterPipelineMode(pg->conn) == 1) pg->pipeline = 1;
    if (pg->pipeline) {
        if (note_sent(pg)) {
            snprintf(pg->message, sizeof pg->message, "out of memory");
            rc = -1;
        } else if (!PQsendQueryPrepared(pg->conn, name, (int)n, a.val, a.len, a.fmt, 0)) {
            keep_error(pg, NULL);
            rc = -1;
        } else if (wait) rc = drain(pg, &r);
    } else {
        r = PQexecPrepared(pg->conn, name, (int)n, a.val, a.len, a.fmt, 0);
        ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
            keep_error(pg, r);
            rc = -1;
        }
    }
    args_free(&a);
    int got = !rc && r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
    if (got_row) *got_row = got;
    if (id) *id = got && !PQgetisnull(r, 0, 0) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return rc;
}

/* ---- a batch's molecules, read at once --------------------------------------------- */

static int by_smiles(const void *a, const void *b) {
    return strcmp(((const StorePgKnown *)a)->smiles, ((const StorePgKnown *)b)->smiles);
}

void store_pg_forget(Store *s) {
    if (!s->pg) return;
    s->pg->row_label = NULL; /* the batch's label variable goes out of scope */
    free(s->pg->known);
    s->pg->known = NULL;
    s->pg->nknown = 0;
}

/* smiles as an element of a text[] literal: "..." with " and \ escaped (appended at *k). */
static void array_element(char *out, size_t *k, const char *smiles) {
    out[(*k)++] = '"';
    for (const char *c = smiles; *c; c++) {
        if (*c == '"' || *c == '\\') out[(*k)++] = '\\';
        out[(*k)++] = *c;
    }
    out[(*k)++] = '"';
}

/* The distinct SMILES of smiles[0..n) as a text[] literal (malloc'd) into pg->known. */
static char *known_entries(StorePg *pg, const char *const *smiles, size_t n) {
    size_t bytes = 3;
    pg->known = calloc(n + 1, sizeof *pg->known);
    for (size_t i = 0; pg->known && i < n; i++)
        if (smiles[i]) {
            pg->known[pg->nknown++].smiles = smiles[i];
            bytes += 2 * strlen(smiles[i]) + 3;
        }
    char *lit = pg->known ? malloc(bytes) : NULL;
    if (!lit) return NULL;
    qsort(pg->known, pg->nknown, sizeof *pg->known, by_smiles);
    size_t k = 0, m = 0;
    lit[k++] = '{';
    for (size_t i = 0; i < pg->nknown; i++) {
        if (m && !strcmp(pg->known[m - 1].smiles, pg->known[i].smiles)) continue;
        if (m) lit[k++] = ',';
        array_element(lit, &k, pg->known[i].smiles);
        pg->known[m++] = pg->known[i];
    }
    pg->nknown = m;
    lit[k++] = '}';
    lit[k] = 0;
    return lit;
}

int store_pg_prefetch(Store *s, const char *const *smiles, size_t n) {
    StorePg *pg = s->pg;
    store_pg_forget(s);
    char *lit = known_entries(pg, smiles, n);
    if (!lit) {
        store_pg_forget(s);
        snprintf(pg->message, sizeof pg->message, "out of memory");
        return -1;
    }
    if (leave_pipeline(pg)) {
        free(lit);
        return -1;
    }
    const char *vals[1] = {lit};
    PGresult *r = PQexecParams(pg->conn,
                               "SELECT smiles, id, fp IS NULL, mw IS NULL, logp IS NULL, qed IS "
                               "NULL, sa IS NULL, penalized_logp IS NULL FROM molecules WHERE "
                               "smiles = ANY($1::text[])",
                               1, NULL, vals, NULL, NULL, 0);
    free(lit);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        keep_error(pg, r);
        PQclear(r);
        return -1;
    }
    for (int row = 0; row < PQntuples(r); row++) {
        StorePgKnown key = {.smiles = PQgetvalue(r, row, 0)};
        StorePgKnown *e = bsearch(&key, pg->known, pg->nknown, sizeof key, by_smiles);
        if (!e) continue;
        e->id = strtoll(PQgetvalue(r, row, 1), NULL, 10);
        e->state = STORE_PG_IN_DB;
        for (int c = 0; c < 6; c++)
            if (PQgetvalue(r, row, 2 + c)[0] == 't') e->state |= STORE_PG_NO_FP << c;
    }
    PQclear(r);
    return 0;
}

unsigned store_pg_known(Store *s, const char *smiles, int64_t *id) {
    StorePg *pg = s->pg;
    StorePgKnown key = {.smiles = smiles};
    StorePgKnown *e =
        pg->known ? bsearch(&key, pg->known, pg->nknown, sizeof key, by_smiles) : NULL;
    *id = e ? e->id : 0;
    return e ? e->state | STORE_PG_PREFETCHED : 0;
}

void store_pg_mark_stored(Store *s, const char *smiles) {
    StorePg *pg = s->pg;
    StorePgKnown key = {.smiles = smiles};
    StorePgKnown *e =
        pg->known ? bsearch(&key, pg->known, pg->nknown, sizeof key, by_smiles) : NULL;
    if (e) e->state = STORE_PG_STORED_NOW;
}

/* ---- reads ------------------------------------------------------------------------------ */

static void cell_value(PGresult *r, int row, int c, StoreValue *v, unsigned char **owned) {
    memset(v, 0, sizeof *v);
    *owned = NULL;
    if (PQgetisnull(r, row, c)) return;
    const char *t = PQgetvalue(r, row, c);
    switch (PQftype(r, c)) {
    case OID_BOOL:
        v->type = STORE_INT;
        v->i = t[0] == 't';
        v->d = (double)v->i;
        return;
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID:
        v->type = STORE_INT;
        v->i = strtoll(t, NULL, 10);
        v->d = (double)v->i;
        return;
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_NUMERIC:
        v->type = STORE_REAL;
        v->d = strtod(t, NULL);
        return;
    case OID_BYTEA: {
        size_t len = 0;
        *owned = PQunescapeBytea((const unsigned char *)t, &len);
        v->type = STORE_BLOB;
        v->s = (const char *)*owned;
        v->len = *owned ? len : 0;
        return;
    }
    default:
        v->type = STORE_TEXT;
        v->s = t;
        v->len = (size_t)PQgetlength(r, row, c);
    }
}

/* Calls fn for each row of r (once with NULL values when there is none). */
static CvStatus deliver_rows(Store *s, PGresult *r, StoreRowFn fn, void *ctx, CvError *err) {
    size_t ncol = (size_t)PQnfields(r), nrow = (size_t)PQntuples(r);
    const char **names = calloc(ncol + 1, sizeof *names);
    StoreValue *vals = calloc(ncol + 1, sizeof *vals);
    unsigned char **owned = calloc(ncol + 1, sizeof *owned);
    if (!names || !vals || !owned) {
        free(names), free(vals), free(owned);
        return cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", s->path);
    }
    for (size_t c = 0; c < ncol; c++) names[c] = PQfname(r, (int)c);
    int stop = 0;
    for (size_t row = 0; row < nrow && !stop; row++) {
        for (size_t c = 0; c < ncol; c++) cell_value(r, (int)row, (int)c, &vals[c], &owned[c]);
        stop = fn(ctx, ncol, names, vals);
        for (size_t c = 0; c < ncol; c++) PQfreemem(owned[c]);
    }
    if (nrow == 0) fn(ctx, ncol, names, NULL);
    free(names), free(vals), free(owned);
    return CV_OK;
}

/* Opens the read-only transaction a read runs in: time limit, reader role, and a first
 * query, after which the transaction can no longer be made read-write. */
static int begin_read(Store *s) {
    StorePg *pg = s->pg;
    char sql[160];
    snprintf(sql, sizeof sql, "BEGIN READ ONLY; SET LOCAL statement_timeout = %lld",
             (long long)(s->query_timeout * 1000.0 + 0.5));
    if (exec_plain(pg, sql)) return -1;
    if (s->read_only && pg->reader_role && exec_plain(pg, "SET LOCAL ROLE chemvae_reader"))
        return -1;
    return exec_plain(pg, "SELECT 1");
}

CvStatus store_pg_select_each(Store *s, const char *sql, const StoreValue *params, size_t nparams,
                              StoreRowFn fn, void *ctx, CvError *err) {
    StorePg *pg = s->pg;
    int own = !pg->in_tx;
    if (leave_pipeline(pg)) return store_pg_error(s, err, "query", NULL);
    if (own && begin_read(s)) {
        CvStatus st = store_pg_error(s, err, "query", NULL);
        PQclear(PQexec(pg->conn, "ROLLBACK"));
        return st;
    }
    char *text = store_sql_dollar_params(sql);
    PgArgs a;
    CvStatus status = CV_OK;
    if (!text || args_make(&a, params, nparams)) {
        free(text);
        status = cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", s->path);
        goto done;
    }
    /* Prepared and described first: a statement that returns no rows (COPY, DO, CALL, SET,
     * ...) is refused before it runs, not after. */
    PGresult *r = PQprepare(pg->conn, "", text, (int)nparams, a.type);
    free(text);
    int rows = -1; /* columns of the statement's rows; -1: did not prepare */
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        PQclear(r);
        r = PQdescribePrepared(pg->conn, "");
        rows = PQresultStatus(r) == PGRES_COMMAND_OK ? PQnfields(r) : -1;
        if (rows > 0) {
            PQclear(r);
            r = PQexecPrepared(pg->conn, "", (int)nparams, a.val, a.len, a.fmt, 0 /* text */);
        }
    }
    args_free(&a);
    ExecStatusType st = PQresultStatus(r);
    if (rows > 0 && st == PGRES_TUPLES_OK) status = deliver_rows(s, r, fn, ctx, err);
    else if (rows == 0 || st == PGRES_EMPTY_QUERY)
        status = sql[strspn(sql, " \t\r\n;")]
                     ? cv_error_set(err, CV_ERR_INVALID,
                                    "%s: refused: not a query, it returns no rows (queries are "
                                    "read-only): '%.80s'",
                                    s->path, sql)
                     : cv_error_set(err, CV_ERR_INVALID, "%s: empty query", s->path);
    else {
        keep_error(pg, r);
        if (!strcmp(pg->sqlstate, "57014") && s->query_timeout > 0)
            status = cv_error_set(err, CV_ERR_DB,
                                  "%s: query stopped after %g s (the time limit; --timeout "
                                  "changes it)",
                                  s->path, s->query_timeout);
        else if (!strcmp(pg->sqlstate, "25006"))
            status = cv_error_set(err, CV_ERR_INVALID, "%s: refused: %s (queries are read-only)",
                                  s->path, pg->message);
        else status = store_pg_error(s, err, "query", NULL);
    }
    PQclear(r);
done:
    if (own) PQclear(PQexec(pg->conn, "ROLLBACK"));
    return status;
}

int store_pg_has_cartridge(const Store *s) {
    return s->pg && s->pg->cartridge;
}

/* ---- open, schema ------------------------------------------------------------------------ */

static void ignore_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

/* The schema version (0: an empty database); -1 with the error kept, -2: not chemvae's. */
static int64_t schema_version(StorePg *pg) {
    int64_t has_meta = 0, tables = 0, version = 0;
    if (query_int(pg, "SELECT (to_regclass('chemvae_meta') IS NOT NULL)::int", &has_meta))
        return -1;
    if (!has_meta) {
        if (query_int(pg,
                      "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
                      "AND tablename IN ('runs', 'molecules', 'generations')",
                      &tables))
            return -1;
        return tables ? -2 : 0;
    }
    if (query_int(pg, "SELECT value::bigint FROM chemvae_meta WHERE key = 'schema_version'",
                  &version))
        return -1;
    return version;
}

static CvStatus version_error(Store *s, int64_t version, CvError *err) {
    if (version == -1) return store_pg_error(s, err, "reading the schema version", NULL);
    if (version == -2)
        return cv_error_set(err, CV_ERR_FORMAT,
                            "%s: not a chemvae results database (it has chemvae's table names "
                            "but no chemvae_meta table)",
                            s->path);
    return cv_error_set(err, CV_ERR_FORMAT,
                        "%s: schema version %lld is newer than this chemvae supports (%d); use a "
                        "newer chemvae or another --db",
                        s->path, (long long)version, STORE_SCHEMA_VERSION);
}

/* 1 (as a count) when molecules has the cartridge's columns. */
static const char HAS_CARTRIDGE_SQL[] =
    "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND "
    "table_name = 'molecules' AND column_name = 'mfp'";

/* Adds the cartridge's columns when the rdkit extension can be had; a database user that
 * may not create it keeps a store without them (searches then say so). */
static int add_cartridge(StorePg *pg) {
    int64_t have = 0, available = 0;
    if (query_int(pg, HAS_CARTRIDGE_SQL, &have) ||
        query_int(pg, "SELECT count(*) FROM pg_available_extensions WHERE name = 'rdkit'",
                  &available))
        return -1;
    if (have || !available) return 0;
    if (exec_plain(pg, "SAVEPOINT cartridge")) return -1;
    if (exec_plain(pg, CARTRIDGE_SQL)) return exec_plain(pg, "ROLLBACK TO SAVEPOINT cartridge");
    return exec_plain(pg, "RELEASE SAVEPOINT cartridge");
}

static CvStatus migrate(Store *s, CvError *err) {
    StorePg *pg = s->pg;
    char sql[160];
    snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%d)", STORE_APPLICATION_ID);
    if (exec_plain(pg, sql)) return store_pg_error(s, err, "upgrading the schema", NULL);
    int64_t version = schema_version(pg);
    CvStatus status = CV_OK;
    if (version < 0 || version > STORE_SCHEMA_VERSION) {
        status = version_error(s, version, err);
        goto fail;
    }
    if (version == 0 &&
        exec_plain(pg, "CREATE TABLE chemvae_meta(key text PRIMARY KEY, value text NOT NULL); "
                       "INSERT INTO chemvae_meta VALUES('schema_version', '0')"))
        goto db_fail;
    for (int64_t v = version; v < STORE_SCHEMA_VERSION; v++)
        if (exec_plain(pg, PG_MIGRATIONS[v])) goto db_fail;
    snprintf(sql, sizeof sql, "UPDATE chemvae_meta SET value = '%d' WHERE key = 'schema_version'",
             STORE_SCHEMA_VERSION);
    if (exec_plain(pg, sql) || add_cartridge(pg) || exec_plain(pg, "COMMIT")) goto db_fail;
    return CV_OK;
db_fail:
    status = store_pg_error(s, err, "upgrading the schema", NULL);
fail:
    PQclear(PQexec(pg->conn, "ROLLBACK"));
    return status;
}

CvStatus store_pg_open(Store *s, CvError *err) {
    StorePg *pg = s->pg = calloc(1, sizeof *pg);
    if (!pg) return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    pg->conn = PQconnectdb(s->path);
    char *shown = store_uri_without_password(s->path);
    if (!shown) return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
        keep_error(pg, NULL);
        store_text_hide_passwords(pg->message, sizeof pg->message, s->path);
    }
    free(s->path);
    s->path = shown;
    if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK)
        return cv_error_set(err, CV_ERR_DB, "%s: cannot connect: %s", s->path, pg->message);
    PQsetNoticeProcessor(pg->conn, ignore_notice, NULL);
    CvStatus status = CV_OK;
    if (!s->read_only) status = migrate(s, err);
    else {
        int64_t version = schema_version(pg);
        if (version < 0 || version > STORE_SCHEMA_VERSION) return version_error(s, version, err);
        if (version < STORE_SCHEMA_VERSION)
            return cv_error_set(err, CV_ERR_FORMAT,
                                "%s: schema version %lld is older than this chemvae's (%d) or "
                                "the database is empty; a command that writes results upgrades "
                                "it",
                                s->path, (long long)version, STORE_SCHEMA_VERSION);
    }
    int64_t cartridge = 0, reader = 0;
    if (!status && (query_int(pg, HAS_CARTRIDGE_SQL, &cartridge) ||
                    query_int(pg,
                              "SELECT (CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                              "'chemvae_reader') THEN pg_has_role(current_user, "
                              "'chemvae_reader', 'MEMBER') ELSE false END)::int",
                              &reader)))
        status = store_pg_error(s, err, "opening", NULL);
    pg->cartridge = cartridge > 0;
    pg->reader_role = reader > 0;
    return status;
}

void store_pg_close(Store *s) {
    if (!s->pg) return;
    store_pg_forget(s);
    free(s->pg->sent_row);
    free(s->pg->sent_label);
    PQfinish(s->pg->conn);
    free(s->pg);
    s->pg = NULL;
}

#endif
