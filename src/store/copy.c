/* copy.c — cv_store_copy: everything one results database holds, into another (SQLite or
 * PostgreSQL, either way), as `chemvae db copy` does to merge a sweep's SQLite files into one
 * team database.
 *
 * The source is read with cv_store_select and written with the store's own writers inside
 * one transaction of the destination (store_copy_begin), so a failure leaves the destination
 * as it was. Runs are copied first, in id order, each with every column as stored (times,
 * status, process) and a new id; a parent link is remapped (a parent has a smaller id, so it
 * is copied before its children). Molecules then go through the usual upsert by canonical
 * SMILES, grouped by their first run, which gives the source-to-destination id map the
 * generations need. Then, run by run: generations (molecule ids remapped, z kept), training
 * metrics in insertion order, eval metrics and scores. */
#include "store_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"

/* Sorted pairs source id -> destination id. */
typedef struct {
    int64_t *from, *to;
    size_t n;
} IdMap;

static int64_t map_id(const IdMap *m, int64_t id) {
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->from[mid] < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < m->n && m->from[lo] == id ? m->to[lo] : 0;
}

static void map_free(IdMap *m) {
    free(m->from);
    free(m->to);
}

static const StoreValue *cell(const StoreTable *t, size_t r, size_t c) {
    return &t->cells[r * t->ncol + c];
}
static double real_of(const StoreValue *v) {
    return v->type == STORE_REAL || v->type == STORE_INT ? v->d : NAN;
}
static const char *text_of(const StoreValue *v) {
    return v->type == STORE_TEXT ? v->s : NULL;
}

static CvStatus nomem(CvError *err) {
    return cv_error_set(err, CV_ERR_NOMEM, "copying results: out of memory");
}

/* Every run of src into dst; runs (sorted by source id) maps the ids. */
static CvStatus copy_runs(Store *src, Store *dst, IdMap *runs, CvError *err) {
    StoreTable t = {0};
    CvStatus st = cv_store_select(src,
                                  "SELECT id, kind, status, started_at, finished_at, config, "
                                  "model_path, model_hash, seed, parent, pid, host FROM runs "
                                  "ORDER BY id",
                                  NULL, 0, &t, err);
    if (st) return st;
    runs->from = malloc((t.nrow + 1) * sizeof *runs->from);
    runs->to = malloc((t.nrow + 1) * sizeof *runs->to);
    if (!runs->from || !runs->to) st = nomem(err);
    for (size_t r = 0; !st && r < t.nrow; r++) {
        StoreValue row[11];
        memcpy(row, cell(&t, r, 1), sizeof row);
        int64_t parent = row[8].type == STORE_INT ? map_id(runs, row[8].i) : 0;
        row[8] = parent > 0 ? (StoreValue){.type = STORE_INT, .i = parent} : (StoreValue){0};
        runs->from[r] = cell(&t, r, 0)->i;
        if (!(st = store_copy_run(dst, row, &runs->to[r], err))) runs->n = r + 1;
    }
    cv_store_table_free(&t);
    return st;
}

/* Every molecule of src into dst (upserted by SMILES, a batch per first run); mols maps ids. */
static CvStatus copy_molecules(Store *src, Store *dst, const IdMap *runs, IdMap *mols,
                               CvError *err) {
    StoreTable t = {0};
    CvStatus st =
        cv_store_select(src,
                        "SELECT id, smiles, mw, logp, qed, sa, penalized_logp, first_run, "
                        "fp FROM molecules ORDER BY id",
                        NULL, 0, &t, err);
    if (st) return st;
    size_t n = t.nrow;
    StoreMolecule *m = malloc((n + 1) * sizeof *m);
    const unsigned char **fps = malloc((n + 1) * sizeof *fps);
    int64_t *first = malloc((n + 1) * sizeof *first);
    mols->from = malloc((n + 1) * sizeof *mols->from);
    mols->to = malloc((n + 1) * sizeof *mols->to);
    if (!m || !fps || !first || !mols->from || !mols->to) st = nomem(err);
    for (size_t r = 0; !st && r < n; r++) {
        m[r] = (StoreMolecule){text_of(cell(&t, r, 1)), real_of(cell(&t, r, 2)),
                               real_of(cell(&t, r, 3)), real_of(cell(&t, r, 4)),
                               real_of(cell(&t, r, 5)), real_of(cell(&t, r, 6))};
        const StoreValue *fp = cell(&t, r, 8); /* the source's: no SMILES parsed again */
        fps[r] = fp->type == STORE_BLOB && fp->len == CHEM_FP_BYTES ? (const unsigned char *)fp->s
                                                                    : NULL;
        const StoreValue *f = cell(&t, r, 7);
        first[r] = f->type == STORE_INT ? map_id(runs, f->i) : 0;
        mols->from[r] = cell(&t, r, 0)->i;
    }
    /* rows sharing a first run (in id order, so the map stays sorted), up to 1,024 at once */
    for (size_t a = 0, b; !st && a < n; a = b) {
        for (b = a + 1; b < n && b - a < 1024 && first[b] == first[a];) b++;
        st = store_upsert_molecules_fp(dst, first[a], m + a, fps + a, b - a, mols->to + a, err);
    }
    if (!st) mols->n = n;
    free(m);
    free(fps);
    free(first);
    cv_store_table_free(&t);
    return st;
}

/* Run `from`'s rows that sql (one parameter: the run) selects, into *t, and an array for
 * them of elem bytes a row (at least one) into *rows. */
static CvStatus read_run_rows(Store *src, const char *sql, int64_t from, StoreTable *t, size_t elem,
                              void **rows, CvError *err) {
    *rows = NULL;
    CvStatus st = store_select_by_id(src, sql, from, t, err);
    if (!st && !(*rows = malloc((t->nrow + 1) * elem))) st = nomem(err);
    return st;
}

/* Run `from`'s generations as run `to` of dst. */
static CvStatus copy_generations(Store *src, Store *dst, int64_t from, int64_t to,
                                 const IdMap *mols, int64_t *count, CvError *err) {
    StoreTable t = {0};
    StoreGeneration *g;
    CvStatus st = read_run_rows(src,
                                "SELECT method, step, source, raw_smiles, valid, molecule_id, z, "
                                "predicted, similarity, failure FROM generations WHERE run_id = "
                                "?1 ORDER BY id",
                                from, &t, sizeof *g, (void **)&g, err);
    for (size_t r = 0; !st && r < t.nrow; r++) {
        const StoreValue *z = cell(&t, r, 6), *mol = cell(&t, r, 5);
        g[r] = (StoreGeneration){
            .method = text_of(cell(&t, r, 0)),
            .step = cell(&t, r, 1)->i,
            .source = text_of(cell(&t, r, 2)),
            .raw_smiles = text_of(cell(&t, r, 3)) ? text_of(cell(&t, r, 3)) : "",
            .valid = (int)cell(&t, r, 4)->i,
            .failure = text_of(cell(&t, r, 9)),
            .molecule_id = mol->type == STORE_INT ? map_id(mols, mol->i) : 0,
            .z = z->type == STORE_BLOB && z->len >= sizeof(float) ? (const float *)z->s : NULL,
            .z_dim = z->type == STORE_BLOB ? z->len / sizeof(float) : 0,
            .predicted = text_of(cell(&t, r, 7)),
            .similarity = real_of(cell(&t, r, 8))};
    }
    for (size_t a = 0; !st && a < t.nrow; a += 1024)
        st = cv_store_insert_generations(dst, to, g + a, t.nrow - a < 1024 ? t.nrow - a : 1024,
                                         NULL, err);
    if (!st) *count += (int64_t)t.nrow;
    free(g);
    cv_store_table_free(&t);
    return st;
}

/* Run `from`'s training metrics (in insertion order) as run `to` of dst. */
static CvStatus copy_training(Store *src, Store *dst, int64_t from, int64_t to, int64_t *count,
                              CvError *err) {
    StoreTable t = {0};
    StoreTrainingMetric *m;
    CvStatus st = read_run_rows(src,
                                "SELECT epoch, step, split, loss, recon, kl, prop, beta, lr, "
                                "accuracy, extra FROM training_metrics WHERE run_id = ?1 ORDER "
                                "BY rowid",
                                from, &t, sizeof *m, (void **)&m, err);
    for (size_t r = 0; !st && r < t.nrow; r++) {
        double v[7];
        for (int k = 0; k < 7; k++) v[k] = real_of(cell(&t, r, 3 + (size_t)k));
        m[r] = (StoreTrainingMetric){cell(&t, r, 0)->i,
                                     cell(&t, r, 1)->i,
                                     text_of(cell(&t, r, 2)),
                                     v[0],
                                     v[1],
                                     v[2],
                                     v[3],
                                     v[4],
                                     v[5],
                                     v[6],
                                     text_of(cell(&t, r, 10))};
    }
    if (!st && t.nrow) st = cv_store_insert_training_metrics(dst, to, m, t.nrow, err);
    if (!st) *count += (int64_t)t.nrow;
    free(m);
    cv_store_table_free(&t);
    return st;
}

/* Run `from`'s eval metrics and scores as run `to` of dst. */
static CvStatus copy_named_values(Store *src, Store *dst, int64_t from, int64_t to,
                                  StoreCopyStats *stats, CvError *err) {
    StoreTable t = {0};
    CvStatus st = store_select_by_id(
        src, "SELECT name, value FROM eval_metrics WHERE run_id = ?1 ORDER BY name", from, &t, err);
    for (size_t r = 0; !st && r < t.nrow; r++)
        st = cv_store_insert_eval_metric(dst, to, text_of(cell(&t, r, 0)), real_of(cell(&t, r, 1)),
                                         err);
    if (!st) stats->eval_metrics += (int64_t)t.nrow;
    cv_store_table_free(&t);
    if (st) return st;
    StoreScore *sc;
    st = read_run_rows(src,
                       "SELECT s.name, m.smiles, s.value FROM scores s JOIN molecules m ON m.id = "
                       "s.molecule_id WHERE s.run_id = ?1 ORDER BY m.id, s.name",
                       from, &t, sizeof *sc, (void **)&sc, err);
    for (size_t r = 0; !st && r < t.nrow; r++)
        sc[r] = (StoreScore){text_of(cell(&t, r, 0)),
                             {text_of(cell(&t, r, 1)), NAN, NAN, NAN, NAN, NAN},
                             real_of(cell(&t, r, 2))};
    if (!st && t.nrow) st = cv_store_insert_scores(dst, to, sc, t.nrow, err);
    if (!st) stats->scores += (int64_t)t.nrow;
    free(sc);
    cv_store_table_free(&t);
    return st;
}

static CvStatus count_molecules(Store *s, int64_t *n, CvError *err) {
    StoreTable t = {0};
    CvStatus st = cv_store_select(s, "SELECT count(*) FROM molecules", NULL, 0, &t, err);
    if (!st) *n = t.nrow ? t.cells[0].i : 0;
    cv_store_table_free(&t);
    return st;
}

CvStatus cv_store_copy(Store *src, Store *dst, StoreCopyStats *stats, CvError *err) {
    StoreCopyStats local = {0};
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!strcmp(src->path, dst->path))
        return cv_error_set(err, CV_ERR_INVALID, "%s: cannot copy a database into itself",
                            src->path);
    IdMap runs = {0}, mols = {0};
    int64_t before = 0, after = 0;
    CvStatus st = count_molecules(dst, &before, err);
    if (!st) st = store_copy_begin(dst, err);
    if (st) return st;
    st = copy_runs(src, dst, &runs, err);
    if (!st) st = copy_molecules(src, dst, &runs, &mols, err);
    for (size_t r = 0; !st && r < runs.n; r++) {
        st = copy_generations(src, dst, runs.from[r], runs.to[r], &mols, &stats->generations, err);
        if (!st) st = copy_training(src, dst, runs.from[r], runs.to[r], &stats->training_rows, err);
        if (!st) st = copy_named_values(src, dst, runs.from[r], runs.to[r], stats, err);
    }
    stats->runs = (int64_t)runs.n;
    stats->molecules = (int64_t)mols.n;
    map_free(&runs);
    map_free(&mols);
    CvStatus end = store_copy_end(dst, st == CV_OK, st ? NULL : err);
    if (st || (st = end)) return st;
    st = count_molecules(dst, &after, err);
    stats->new_molecules = after - before;
    return st;
}
