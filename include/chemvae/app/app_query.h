/* app_query.h — the query job: read-only access to a results DB, as one SQL statement or
 * as a named view (store.h reads): "top" (best molecules by a score), "runs", "run N",
 * "molecule SMILES", "similar SMILES", "substruct SMARTS", "scores N" (the values an external
 * scorer gave run N's molecules), "schema". The views' settings
 * are parameters (cv_query_params); a front end opens the DB read-only, reads and prints
 * (cv_store_print_view / cv_store_print_select). */
#ifndef CHEMVAE_APP_QUERY_H
#define CHEMVAE_APP_QUERY_H

#include <stddef.h>

#include "chemvae/app/app_params.h"
#include "chemvae/store/store.h"

typedef struct {
    const char *by;   /* top: a score column of molecules (default "qed") */
    long n;           /* top, substruct: how many molecules (default 20) */
    int asc;          /* top: lowest first */
    long run;         /* top: only the molecules run `run` generated (0: all) */
    long k;           /* similar: how many molecules (default 10; 0 = all) */
    double min_sim;   /* similar: the lowest similarity kept (0..1) */
    double timeout;   /* seconds a statement may run (0 = no limit; default 60) */
    CvStrings params; /* SQL: the values of ?1, ?2, ... as text */
} CvQueryConfig;

#define CV_QUERY_DEFAULTS                                                                          \
    { .by = "qed", .n = 20, .k = 10, .timeout = 60 }

/* by, n (-n), asc, run, k (-k), min, timeout, param (-p, repeatable); checked as read. */
extern const CvParamTable cv_query_params;

/* A StoreFormat field: --format table|csv|json, and --csv / --json, switches named after
 * their format. */
extern const CvParamType CV_PARAM_STORE_FORMAT, CV_PARAM_STORE_FORMAT_SWITCH;

/* The views' names and their one argument ("N", "SMILES", "SMARTS"; NULL: none), for
 * messages and help: "top, runs, run N, molecule SMILES, ...". */
const char *cv_query_views_text(void);

/* 1 when `name` is a view; then *arg_name is what its argument is called (NULL when it takes
 * none). 0 for anything else (an SQL statement). */
int cv_query_is_view(const char *name, const char **arg_name);

/* Reads view `name` (cv_query_is_view) with its argument `arg` (NULL-able when it takes
 * none) into *v, whose part[0] must be free (v->n = 1) unless the view fills several.
 * CV_ERR_INVALID names a bad argument ("run N: N is a run id ..."); the store's errors. */
CvStatus cv_query_read_view(Store *db, const CvQueryConfig *c, const char *name, const char *arg,
                            StoreView *v, CvError *err);

/* Runs one read-only SQL statement, c->params bound as text, printed to fp as `format`
 * (cells cut to max_width characters in a table; 0 = never). */
CvStatus cv_query_print_sql(FILE *fp, Store *db, const CvQueryConfig *c, const char *sql,
                            StoreFormat format, size_t max_width, CvError *err);

#endif
