/* app.c — the run recording, hooks and input helpers every application job shares (see
 * app.h). Generations are stored one decode batch per transaction
 * (cv_store_insert_generations), so a killed job keeps every batch it committed and the run's
 * counts stay consistent with the rows present. */
#include "chemvae/app/app.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chemvae/data/csvin.h"
#include "chemvae/data/molin.h"
#include "chemvae/core/version.h"

CvStatus cv_run_begin(const char *db_path, const char *kind, CvJson *cfg, const char *model_path,
                      const char *model_hash, int64_t seed, int64_t parent, Store **db,
                      int64_t *run_id, CvError *err) {
    /* every run's config also names the chemvae that made it */
    const char *text = cv_json_text(cfg, err);
    CvJson full = {0};
    cv_json_begin_object(&full);
    cv_json_kv_string(&full, "chemvae_version", cv_version());
    cv_json_kv_string(&full, "chemvae_commit", cv_git_commit());
    if (text) cv_json_raw_members(&full, text);
    cv_json_end_object(&full);
    const char *merged = text ? cv_json_text(&full, err) : NULL;
    CvStatus st = !merged ? CV_ERR_NOMEM : *db ? CV_OK : cv_store_open(db_path, 0, db, err);
    if (!st)
        st = cv_store_run_begin(*db, kind, merged, model_path, model_hash, seed, parent, run_id,
                                err);
    cv_json_free(&full);
    cv_json_free(cfg);
    return st;
}

CvStatus cv_run_finish(const CvHooks *h, const CvMetric *mt, size_t n, int interrupted,
                       CvError *err) {
    if (!h || !h->db) return CV_OK;
    for (size_t i = 0; i < n; i++) {
        if (isnan(mt[i].v)) continue;
        CvStatus st = cv_store_insert_eval_metric(h->db, h->run_id, mt[i].name, mt[i].v, err);
        if (st) return st;
    }
    return cv_store_run_finish(h->db, h->run_id, interrupted ? STORE_RUN_INTERRUPTED : STORE_RUN_OK,
                               err);
}

void cv_run_fail(const CvHooks *h) {
    if (h && h->db && h->run_id) cv_store_run_finish(h->db, h->run_id, STORE_RUN_FAILED, NULL);
}

void cv_hooks_progress(const CvHooks *h, size_t done, size_t total, const char *status) {
    if (h && h->progress) h->progress(h->user, done, total, status);
}

int cv_hooks_interrupted(const CvHooks *h) {
    return h && h->interrupted ? h->interrupted(h->user) : 0;
}

CvStatus cv_hooks_rows(const CvHooks *h, const CvGenBatch *b, const LatentMol *mols, CvError *err) {
    if (!h) return CV_OK;
    CvStatus st = h->rows ? h->rows(h->user, b, mols, err) : CV_OK;
    if (!st && h->db) st = cv_store_generations(h->db, h->run_id, b, mols, err);
    return st;
}

void cv_count_failures(const LatentMol *mols, size_t n, size_t *counts) {
    for (size_t i = 0; i < n; i++)
        if (!mols[i].valid && (unsigned)mols[i].failure < SMILES_FAIL_COUNT)
            counts[mols[i].failure]++;
}

size_t cv_failure_metrics(const size_t *counts, CvMetric *mt) {
    static const char *const names[SMILES_FAIL_COUNT] = {
        [SMILES_FAIL_SYNTAX] = "fail_syntax",   [SMILES_FAIL_RING] = "fail_ring",
        [SMILES_FAIL_VALENCE] = "fail_valence", [SMILES_FAIL_AROMATICITY] = "fail_aromaticity",
        [SMILES_FAIL_LENGTH] = "fail_length",   [SMILES_FAIL_OTHER] = "fail_other"};
    size_t n = 0;
    for (int f = 1; f < SMILES_FAIL_COUNT; f++) mt[n++] = (CvMetric){names[f], (double)counts[f]};
    return n;
}

void cv_failures_write(FILE *fp, const size_t *counts) {
    const char *sep = ", failures:";
    for (int f = 1; f < SMILES_FAIL_COUNT; f++) {
        if (!counts[f]) continue;
        fprintf(fp, "%s %s %zu", sep, cv_smiles_failure_name((SmilesFailure)f), counts[f]);
        sep = ",";
    }
}

CvStatus cv_store_generations(Store *db, int64_t run_id, const CvGenBatch *b, const LatentMol *mols,
                              CvError *err) {
    size_t n = b->N * b->K;
    if (!n) return CV_OK;
    StoreGeneration *rows = calloc(n, sizeof *rows);
    StoreMolecule *ms = calloc(n, sizeof *ms);
    if (!rows || !ms) {
        free(rows);
        free(ms);
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory storing %zu generations", n);
    }
    for (size_t r = 0; r < n; r++) {
        size_t i = r / b->K;
        StoreGeneration *g = &rows[r];
        g->method = b->method;
        g->step = b->step ? b->step[i] : b->step0 + (int64_t)i;
        g->source = b->sources ? b->sources[i] : b->source;
        g->raw_smiles = mols[r].raw ? mols[r].raw : "";
        g->valid = mols[r].valid;
        g->failure = mols[r].valid ? NULL : cv_smiles_failure_name(mols[r].failure);
        if (mols[r].valid) {
            const ChemScores *s = &mols[r].scores;
            ms[r] = (StoreMolecule){mols[r].canonical, s->mw, s->logp, s->qed, s->sa,
                                    s->penalized_logp};
            g->molecule = &ms[r];
        }
        g->z = b->z + i * b->Z;
        g->z_dim = b->Z;
        g->predicted = b->predicted ? b->predicted + i * b->pred_stride : NULL;
        g->similarity = b->sim ? b->sim[r] : NAN;
    }
    CvStatus st = cv_store_insert_generations(db, run_id, rows, n, NULL, err);
    free(rows);
    free(ms);
    return st;
}

typedef struct {
    const char *path;
    const char *column; /* the header of the SMILES column, or NULL: "smiles", else the first */
    size_t max, n, cap;
    long col; /* -1 until the header is read */
    char **s;
    CvError *err;
    CvStatus st;
} SmilesReader;

/* Appends the field [f, f+len) trimmed of blanks and line ends; 1 to stop (max or error). */
static int smiles_append(SmilesReader *r, const char *f, size_t len) {
    while (len && (f[len - 1] == '\n' || f[len - 1] == '\r' || f[len - 1] == ' ')) len--;
    while (len && *f == ' ') f++, len--;
    if (!len) return 0;
    if (r->n == r->cap) {
        size_t ncap = r->cap ? 2 * r->cap : 64;
        char **ns = realloc(r->s, ncap * sizeof *ns);
        if (!ns) goto nomem;
        r->s = ns;
        r->cap = ncap;
    }
    if (!(r->s[r->n] = strndup(f, len))) goto nomem;
    r->n++;
    return r->max && r->n >= r->max;
nomem:
    r->st = cv_error_set(r->err, CV_ERR_NOMEM, "%s: out of memory", r->path);
    return 1;
}

static int smiles_record(const CsvinRecord *rec, void *user) {
    SmilesReader *r = user;
    if (rec->error) {
        r->st =
            cv_error_set(r->err, CV_ERR_PARSE, "%s line %zu: %s", r->path, rec->line, rec->error);
        return 1;
    }
    if (r->col < 0) {
        r->col = 0;
        for (size_t k = 0; k < rec->nfields; k++)
            if (r->column ? !strcmp(rec->fields[k], r->column)
                          : !strcasecmp(rec->fields[k], "smiles")) {
                r->col = (long)k;
                return 0;
            }
        if (r->column) {
            r->st = cv_error_set(r->err, CV_ERR_PARSE, "%s: no column '%s' in the header", r->path,
                                 r->column);
            return 1;
        }
        /* no header naming a smiles column: the first column, and this row is data */
    }
    if ((size_t)r->col >= rec->nfields) return 0;
    return smiles_append(r, rec->fields[r->col], rec->lens[r->col]);
}

/* A molecule-file record: its SMILES, a molblock's canonical SMILES, or (RDKit cannot read
 * it) its name, which the caller's parse then reports as not a molecule. */
static int molin_record(const MolinRecord *rec, void *user) {
    SmilesReader *r = user;
    if (rec->error || !rec->molblock)
        return smiles_append(r, rec->error ? rec->name : rec->mol,
                             strlen(rec->error ? rec->name : rec->mol));
    ChemMol *mol = cv_chem_mol_from_text(rec->mol, rec->molblock);
    char *canon = mol ? cv_chem_mol_canonical(mol) : NULL;
    const char *text = canon ? canon : *rec->name ? rec->name : "(unreadable record)";
    int stop = smiles_append(r, text, strlen(text));
    free(canon);
    cv_chem_mol_free(mol);
    return stop;
}

CvStatus cv_read_smiles_csv(const char *path, size_t max, char ***out, size_t *n, CvError *err) {
    return cv_read_smiles_column(path, NULL, max, out, n, err);
}

CvStatus cv_read_smiles_column(const char *path, const char *column, size_t max, char ***out,
                               size_t *n, CvError *err) {
    SmilesReader r = {path, column, max, 0, 0, -1, NULL, err, CV_OK};
    MolinFormat f = cv_molin_format_of(path, MOLIN_AUTO);
    MolinOptions mo = {.format = f};
    CvStatus st = f == MOLIN_SMI || f == MOLIN_SDF
                      ? cv_molin_read_file(path, &mo, molin_record, &r, err)
                      : cv_csvin_read_file(path, NULL, smiles_record, &r, err);
    if (st == CV_ERR_INTERRUPTED && !r.st) { /* stopped at max rows */
        st = CV_OK;
        cv_error_clear(err);
    }
    if (r.st) st = r.st;
    if (!st && !r.n) st = cv_error_set(err, CV_ERR_PARSE, "%s: no SMILES rows", path);
    if (st) {
        cv_free_strings(r.s, r.n);
        *out = NULL;
        *n = 0;
        return st;
    }
    *out = r.s;
    *n = r.n;
    return CV_OK;
}

void cv_free_strings(char **s, size_t n) {
    if (!s) return;
    for (size_t i = 0; i < n; i++) free(s[i]);
    free(s);
}
