/* latent_cli.c — helpers shared by the latent-space commands (see latent_cli.h).
 * Generations are stored one decode batch per transaction (store_insert_generations), so a
 * killed command keeps every batch it committed and the run's counts stay consistent with
 * the rows present. */
#include "latent_cli.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chemvae/csvin.h"
#include "cli.h"

size_t cli_predicted_stride(const CliModel *m) {
    /* per property: ", " + the name escaped (at most 6 bytes a byte) in quotes + ": " + a
     * %.6g number (at most 13 bytes); then the objective, braces and the NUL */
    size_t n = 64;
    for (size_t p = 0; p < (size_t)m->vae.cfg.P; p++) n += 6 * strlen(m->meta.prop_names[p]) + 24;
    return n;
}

/* A value printed as %.6g, as the stored predictions always were (null if not finite). */
static void kv_g6(CvJson *j, const char *key, double y) {
    char num[32];
    snprintf(num, sizeof num, "%.6g", y);
    cv_json_key(j, key);
    if (isfinite(y)) cv_json_raw(j, num);
    else cv_json_null(j);
}

void cli_predicted_json(CliModel *m, const float *z, size_t N, const double *head, char *json) {
    Vae *v = &m->vae;
    size_t Z = (size_t)v->cfg.Z, P = (size_t)v->cfg.P, Bmax = v->max_B;
    size_t stride = cli_predicted_stride(m);
    CvJson j = {0};
    for (size_t s = 0; s < N; s += Bmax) {
        size_t B = N - s < Bmax ? N - s : Bmax;
        if (P) vae_prop_forward(v, z + s * Z, B, NULL);
        for (size_t b = 0; b < B; b++) {
            cv_json_reset(&j);
            cv_json_begin_object(&j);
            for (size_t p = 0; p < P; p++)
                kv_g6(&j, m->meta.prop_names[p],
                      m->meta.prop_mean[p] +
                          m->meta.prop_std[p] * (double)v->prop_act[v->cfg.n_prop][b * P + p]);
            if (head && isfinite(head[s + b])) kv_g6(&j, "objective", head[s + b]);
            cv_json_end_object(&j);
            const char *text = cv_json_text(&j, NULL);
            char *out = json + (s + b) * stride;
            /* the stride bounds every object this model can produce; out of memory: {} */
            snprintf(out, stride, "%s", text && strlen(text) < stride ? text : "{}");
        }
    }
    cv_json_free(&j);
}

void cli_count_failures(const LatentMol *mols, size_t n, size_t *counts) {
    for (size_t i = 0; i < n; i++)
        if (!mols[i].valid && (unsigned)mols[i].failure < SMILES_FAIL_COUNT)
            counts[mols[i].failure]++;
}

void cli_print_failures(FILE *fp, const size_t *counts) {
    const char *sep = ", failures:";
    for (int f = 1; f < SMILES_FAIL_COUNT; f++) {
        if (!counts[f]) continue;
        fprintf(fp, "%s %s %zu", sep, smiles_failure_name((SmilesFailure)f), counts[f]);
        sep = ",";
    }
}

CvStatus cli_store_generations(Store *db, int64_t run_id, const CliGenBatch *b,
                               const LatentMol *mols, CvError *err) {
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
        g->failure = mols[r].valid ? NULL : smiles_failure_name(mols[r].failure);
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
    CvStatus st = store_insert_generations(db, run_id, rows, n, NULL, err);
    free(rows);
    free(ms);
    return st;
}

static volatile sig_atomic_t g_interrupted; /* the signal that asked us to stop, or 0 */

static void on_interrupt(int sig) {
    g_interrupted = sig;
}

void cli_catch_interrupts(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_interrupted(void) {
    return (int)g_interrupted;
}

CvStatus cli_finish_run(Store *db, int64_t run_id, const CliMetric *mt, size_t n, CvError *err) {
    for (size_t i = 0; i < n; i++) {
        if (isnan(mt[i].v)) continue;
        CvStatus st = store_insert_eval_metric(db, run_id, mt[i].name, mt[i].v, err);
        if (st) return st;
    }
    return store_run_finish(db, run_id, STORE_RUN_OK, err);
}

typedef struct {
    const char *path;
    size_t max, n, cap;
    long col; /* -1 until the header is read */
    char **s;
    CvError *err;
    CvStatus st;
} SmilesReader;

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
            if (!strcasecmp(rec->fields[k], "smiles")) {
                r->col = (long)k;
                return 0;
            }
        /* no header naming a smiles column: the first column, and this row is data */
    }
    if ((size_t)r->col >= rec->nfields) return 0;
    const char *f = rec->fields[r->col];
    size_t len = rec->lens[r->col];
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

CvStatus cli_read_smiles_csv(const char *path, size_t max, char ***out, size_t *n, CvError *err) {
    SmilesReader r = {path, max, 0, 0, -1, NULL, err, CV_OK};
    CvStatus st = csvin_read_file(path, NULL, smiles_record, &r, err);
    if (st == CV_ERR_INTERRUPTED && !r.st) { /* stopped at max rows */
        st = CV_OK;
        cv_error_clear(err);
    }
    if (r.st) st = r.st;
    if (!st && !r.n) st = cv_error_set(err, CV_ERR_PARSE, "%s: no SMILES rows", path);
    if (st) {
        cli_free_strings(r.s, r.n);
        *out = NULL;
        *n = 0;
        return st;
    }
    *out = r.s;
    *n = r.n;
    return CV_OK;
}

void cli_free_strings(char **s, size_t n) {
    if (!s) return;
    for (size_t i = 0; i < n; i++) free(s[i]);
    free(s);
}

void cli_print_scores(FILE *fp, const ChemScores *s, int json) {
    if (json)
        fprintf(
            fp,
            ", \"mw\": %.4f, \"logp\": %.4f, \"qed\": %.4f, \"sa\": %.4f, \"penalized_logp\": %.4f",
            s->mw, s->logp, s->qed, s->sa, s->penalized_logp);
    else fprintf(fp, ",%.4f,%.4f,%.4f,%.4f,%.4f", s->mw, s->logp, s->qed, s->sa, s->penalized_logp);
}

void cli_print_json_string(FILE *fp, const char *s) {
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(fp, "\\%c", *p);
        else if (*p < 0x20) fprintf(fp, "\\u%04x", *p);
        else fputc(*p, fp);
    }
    fputc('"', fp);
}
