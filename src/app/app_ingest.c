/* app_ingest.c — the ingest job (see app_ingest.h): output paths, cv_ingest_csv, saving. */
#include "chemvae/app/app_ingest.h"

#include <stdlib.h>
#include <string.h>

#include "chemvae/core/fileio.h"

/* "x.csv" / "x.csv.gz" / "x" → "x<suffix>" (malloc'd, NULL when out of memory) */
static char *replace_ext(const char *path, const char *suffix) {
    size_t n = strlen(path);
    const char *exts[] = {".csv.gz", ".tsv", ".csv", ".smi", ".txt", ".cvds"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t k = strlen(exts[i]);
        if (n > k && strcmp(path + n - k, exts[i]) == 0) {
            n -= k;
            break;
        }
    }
    char *out = malloc(n + strlen(suffix) + 1);
    if (!out) return NULL;
    memcpy(out, path, n);
    strcpy(out + n, suffix);
    return out;
}

/* Works out the output paths and checks that every output can be written. */
static CvStatus prepare_outputs(const CvIngestConfig *c, CvIngestResult *res, CvError *err) {
    res->output = c->output ? strdup(c->output) : replace_ext(c->input, ".cvds");
    if (res->output)
        res->rejects = c->rejects ? strdup(c->rejects) : replace_ext(res->output, ".rejects.csv");
    if (!res->output || !res->rejects) return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    CvStatus st = cv_output_check(res->output, err);
    if (!st) st = cv_output_check(res->rejects, err);
    if (!st && c->vocab_out) st = cv_output_check(c->vocab_out, err);
    return st;
}

static CvStatus save(const CvIngestConfig *c, const CvDataset *ds, CvIngestResult *res,
                     CvError *err) {
    CvStatus st = cv_mkdir_parents(res->output, err);
    if (!st) st = cv_dataset_save(ds, res->output, err);
    if (!st && c->vocab_out) st = cv_vocab_save(&ds->vocab, c->vocab_out, err);
    if (st) return st;
    res->n = ds->n;
    memcpy(res->count, ds->count, sizeof res->count);
    res->T = ds->T;
    res->V = ds->V;
    res->P = ds->P;
    res->unk_rows = ds->unk_rows;
    return CV_OK;
}

CvStatus cv_ingest(const CvIngestConfig *c, CvIngestResult *res, CvError *err) {
    memset(res, 0, sizeof *res);
    if (!c->output && !strcmp(c->input, "-"))
        return cv_error_set(err, CV_ERR_INVALID, "ingest: reading stdin needs an output path");
    if (c->ingest.unk_ok && !c->vocab)
        return cv_error_set(err, CV_ERR_INVALID,
                            "ingest: unknown tokens as <unk> need a vocabulary");
    CvVocab vocab = {0};
    CvDataset ds = {0};
    IngestOptions o = c->ingest;
    CvStatus st = prepare_outputs(c, res, err);
    if (!st && c->vocab) st = cv_vocab_load(&vocab, c->vocab, err);
    if (!st) {
        o.vocab = c->vocab ? &vocab : NULL;
        o.reject_path = res->rejects;
        st = cv_ingest_csv(c->input, &o, &ds, &res->stats, err);
        res->counted = st == CV_ERR_EMPTY;
    }
    if (!st) st = save(c, &ds, res, err);
    if (!st) res->counted = 1;
    cv_dataset_free(&ds);
    cv_vocab_free(&vocab);
    return st;
}

void cv_ingest_result_free(CvIngestResult *res) {
    free(res->output);
    free(res->rejects);
    memset(res, 0, sizeof *res);
}
