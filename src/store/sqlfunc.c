/* sqlfunc.c — chemistry as SQL functions, so the results DB can be queried by chemistry:
 *
 *   mol_valid(s)            1 if RDKit parses s into a molecule with >= 1 atom, else 0
 *   canonical(s)            canonical SMILES, NULL if invalid
 *   mw(s) logp(s) qed(s) sa(s) penalized_logp(s)   RDKit values (see chem.h), NULL if invalid
 *   morgan_fp(s)            the Morgan fingerprint (chem.h CHEM_FP_BYTES bytes, the format
 *                           of molecules.fp) as a BLOB, NULL if invalid
 *   tanimoto(a, b)          Morgan r=2 2048-bit Tanimoto, NULL if either is invalid; a and b
 *                           are SMILES or fingerprint BLOBs (molecules.fp, morgan_fp())
 *   has_substruct(s, smarts)  1 / 0, NULL if s or the SMARTS is invalid
 *
 * Every function returns NULL when an argument is NULL. They are thin wrappers over
 * include/chemvae/chem/chem.h (no chemistry here) and are registered DETERMINISTIC and
 * INNOCUOUS (no side effects), so they may appear in WHERE, ORDER BY, indexes and views.
 * The five score functions share one implementation; the field is chosen by user data.
 *
 * A constant argument is parsed once per statement, not once per row (sqlite3_set_auxdata):
 * the SMARTS of has_substruct and a SMILES given to tanimoto, so `tanimoto(fp, 'CCO')` over
 * the molecules table fingerprints CCO once and compares stored fingerprints only. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"
#include "store_internal.h"

static const char *arg_text(sqlite3_value *v) {
    return sqlite3_value_type(v) == SQLITE_NULL ? NULL : (const char *)sqlite3_value_text(v);
}

static void fn_mol_valid(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    const char *s = arg_text(argv[0]);
    if (s) sqlite3_result_int(ctx, cv_chem_is_valid(s));
    else sqlite3_result_null(ctx);
}

static void fn_canonical(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    const char *s = arg_text(argv[0]);
    char *c = s ? cv_chem_canonical(s) : NULL;
    if (c) sqlite3_result_text(ctx, c, -1, free);
    else sqlite3_result_null(ctx);
}

/* user data: offsetof(ChemScores, field) of a double field. */
static void fn_score(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    const char *s = arg_text(argv[0]);
    ChemScores sc;
    if (s && cv_chem_score_smiles(s, &sc, NULL) == 1) {
        size_t off = (size_t)(uintptr_t)sqlite3_user_data(ctx);
        double v;
        memcpy(&v, (const char *)&sc + off, sizeof v);
        sqlite3_result_double(ctx, v);
    } else {
        sqlite3_result_null(ctx);
    }
}

static void fn_morgan_fp(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    const char *s = arg_text(argv[0]);
    unsigned char fp[CHEM_FP_BYTES];
    if (s && cv_chem_smiles_fp(s, fp))
        sqlite3_result_blob(ctx, fp, CHEM_FP_BYTES, SQLITE_TRANSIENT);
    else sqlite3_result_null(ctx);
}

/* A tanimoto() argument given as SMILES, fingerprinted: what sqlite3_set_auxdata keeps. */
typedef struct {
    int valid;
    unsigned char fp[CHEM_FP_BYTES];
} FpArg;

/* Argument i of tanimoto() as a fingerprint: a BLOB of CHEM_FP_BYTES bytes is one already
 * (molecules.fp, morgan_fp()); anything else is read as a SMILES, fingerprinted once per
 * statement when it is a constant (SQLite keeps auxdata only for constants). Returns the
 * fingerprint, or NULL when the argument is NULL or an invalid SMILES. *fresh receives a
 * malloc'd FpArg to hand to sqlite3_set_auxdata at the end of the call (which may free it
 * at once), or NULL. */
static const unsigned char *arg_fp(sqlite3_context *ctx, sqlite3_value *v, int i, FpArg **fresh) {
    *fresh = NULL;
    if (sqlite3_value_type(v) == SQLITE_NULL) return NULL;
    if (sqlite3_value_type(v) == SQLITE_BLOB && sqlite3_value_bytes(v) == CHEM_FP_BYTES)
        return sqlite3_value_blob(v);
    const FpArg *kept = sqlite3_get_auxdata(ctx, i);
    if (kept) return kept->valid ? kept->fp : NULL;
    const char *s = (const char *)sqlite3_value_text(v);
    FpArg *f = malloc(sizeof *f);
    if (!s || !f) {
        free(f);
        return NULL;
    }
    f->valid = cv_chem_smiles_fp(s, f->fp);
    *fresh = f;
    return f->valid ? f->fp : NULL;
}

/* Values identical to cv_chem_tanimoto_smiles for two SMILES (tests/test_store.c). */
static void fn_tanimoto(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    FpArg *fresh[2];
    const unsigned char *a = arg_fp(ctx, argv[0], 0, &fresh[0]);
    const unsigned char *b = a ? arg_fp(ctx, argv[1], 1, &fresh[1]) : NULL;
    if (!a) fresh[1] = NULL;
    if (a && b) sqlite3_result_double(ctx, cv_chem_fp_tanimoto(a, b));
    else sqlite3_result_null(ctx);
    /* Last: set_auxdata may free what it is given before it returns. */
    for (int i = 0; i < 2; i++)
        if (fresh[i]) sqlite3_set_auxdata(ctx, i, fresh[i], free);
}

static void free_query(void *q) {
    cv_chem_query_free(q);
}

/* The parsed SMARTS is kept with sqlite3_set_auxdata, so a constant SMARTS (the usual
 * `WHERE has_substruct(smiles, '...')`) is parsed once per statement, not once per row. */
static void fn_has_substruct(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    const char *s = arg_text(argv[0]), *q = arg_text(argv[1]);
    if (!s || !q) {
        sqlite3_result_null(ctx);
        return;
    }
    ChemQuery *query = sqlite3_get_auxdata(ctx, 1);
    int r = -1;
    if (query) {
        r = cv_chem_query_match(query, s);
    } else if ((query = cv_chem_query_new(q))) {
        r = cv_chem_query_match(query, s);
        sqlite3_set_auxdata(ctx, 1, query, free_query); /* SQLite owns it now (may free it) */
    }
    if (r >= 0) sqlite3_result_int(ctx, r);
    else sqlite3_result_null(ctx);
}

int cv_store_sql_register_chem(sqlite3 *db) {
    static const struct {
        const char *name;
        int nargs;
        void (*fn)(sqlite3_context *, int, sqlite3_value **);
        size_t field;
    } FUNCS[] = {
        {"mol_valid", 1, fn_mol_valid, 0},
        {"canonical", 1, fn_canonical, 0},
        {"mw", 1, fn_score, offsetof(ChemScores, mw)},
        {"logp", 1, fn_score, offsetof(ChemScores, logp)},
        {"qed", 1, fn_score, offsetof(ChemScores, qed)},
        {"sa", 1, fn_score, offsetof(ChemScores, sa)},
        {"penalized_logp", 1, fn_score, offsetof(ChemScores, penalized_logp)},
        {"morgan_fp", 1, fn_morgan_fp, 0},
        {"tanimoto", 2, fn_tanimoto, 0},
        {"has_substruct", 2, fn_has_substruct, 0},
    };
    for (size_t i = 0; i < sizeof FUNCS / sizeof *FUNCS; i++) {
        int rc = sqlite3_create_function_v2(db, FUNCS[i].name, FUNCS[i].nargs,
                                            SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                            (void *)(uintptr_t)FUNCS[i].field, FUNCS[i].fn, NULL,
                                            NULL, NULL);
        if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
}

CvStatus cv_store_register_chem_functions(Store *s, CvError *err) {
    int rc = cv_store_sql_register_chem(s->db);
    return rc == SQLITE_OK ? CV_OK : cv_store_db_error(s, err, rc, "registering SQL functions");
}
