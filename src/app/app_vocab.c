/* app_vocab.c — the vocabulary jobs (see app_vocab.h). A vocabulary is built by ingesting
 * the CSV into an in-memory dataset whose every row is train (the dataset builds its
 * vocabulary from the train split), so it holds exactly the tokens of the molecules a
 * dataset of that file would keep. */
#include "chemvae/app/app_vocab.h"

#include <stdlib.h>
#include <string.h>

#include "chemvae/data/ingest.h"

CvStatus cv_vocab_build_file(const char *csv, const CvVocabBuildConfig *cfg, const char *output,
                             CvVocabBuildResult *res, CvError *err) {
    if (cfg->max_len < 2 || cfg->max_len > 65535)
        return cv_error_set(err, CV_ERR_INVALID, "vocab: max length must be in 2..65535, got %zu",
                            cfg->max_len);
    IngestOptions o;
    cv_ingest_options_default(&o);
    o.props = "";
    o.compute = "";
    o.smiles_col = cfg->smiles_col;
    o.delim = cfg->delim;
    o.no_canonical = cfg->no_canonical;
    o.threads = cfg->threads;
    o.ds.T = cfg->max_len;
    o.ds.ratios[0] = 1;
    o.ds.ratios[1] = o.ds.ratios[2] = 0;
    CvDataset ds;
    IngestStats s;
    CvStatus st = cv_ingest_csv(csv, &o, &ds, &s, err);
    if (st) return st;
    if (!(st = cv_vocab_save(&ds.vocab, output, err)))
        *res = (CvVocabBuildResult){.tokens = ds.vocab.n,
                                    .molecules = ds.n,
                                    .rows = s.rows,
                                    .rejected = s.rejected,
                                    .duplicates = s.duplicates,
                                    .hash = ds.vocab_hash};
    cv_dataset_free(&ds);
    return st;
}

CvStatus cv_vocab_read(const char *path, CvVocab *v, CvError *err) {
    memset(v, 0, sizeof *v);
    size_t n = strlen(path);
    if (!(n > 5 && !strcmp(path + n - 5, ".cvds"))) return cv_vocab_load(v, path, err);
    CvDataset ds;
    CvStatus st = cv_dataset_load(&ds, path, err);
    if (st) return st;
    *v = ds.vocab; /* the dataset's vocabulary is owned apart from its file image */
    memset(&ds.vocab, 0, sizeof ds.vocab);
    cv_dataset_free(&ds);
    return CV_OK;
}

CvStatus cv_tokenize(const char *smiles, TokenSpan **spans, size_t *n, CvError *err) {
    size_t len = strlen(smiles);
    *spans = NULL;
    CvStatus st = cv_tokenizer_split(smiles, len, NULL, 0, n, err);
    if (st) return st;
    if (!(*spans = malloc((*n ? *n : 1) * sizeof **spans)))
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory tokenizing a SMILES");
    return cv_tokenizer_split(smiles, len, *spans, *n, n, err);
}
