/* app_vocab.c — the vocabulary jobs (see app_vocab.h). A vocabulary is built by ingesting
 * the CSV into an in-memory dataset whose every row is train (the dataset builds its
 * vocabulary from the train split), so it holds exactly the tokens of the molecules a
 * dataset of that file would keep. */
#include "chemvae/app/app_vocab.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/data/ingest.h"

/* delimiter: one character, or 'tab' / '\t' */
/* max-len: a token count in 2..65535 (a size_t) */
static CvStatus parse_max_len(const char *name, const char *text, void *field, CvError *err) {
    long v;
    CvStatus st = cv_param_read_long(name, text, LONG_MAX, &v, err);
    if (!st && (v < 2 || v > 65535))
        return cv_error_set(err, CV_ERR_INVALID, "%s must be in 2..65535", name);
    if (!st) *(size_t *)field = (size_t)v;
    return st;
}
static void max_len_json(CvJson *j, const void *field) {
    cv_json_int(j, (int64_t) * (const size_t *)field);
}
static const CvParamType MAX_LEN = {1, "N", parse_max_len, max_len_json};

#define STR_(x) #x
#define STR(x) STR_(x)
#define F(field) offsetof(CvVocabBuildConfig, field)
static const CvParam BUILD_PARAMS[] = {
    CV_PARAM("smiles-col", 0, CV_PARAM_STRING, F(smiles_col), "NAME",
             "SMILES column (default: first named smiles)"),
    CV_PARAM_OLD(NULL, 'd', "--delimiter"),
    CV_PARAM("delimiter", 0, CV_PARAM_DELIMITER, F(delim), "C",
             "field delimiter or 'tab' (default: auto)"),
    CV_PARAM("max-len", 'T', MAX_LEN, F(max_len), "N",
             "skip molecules longer than N-1 tokens (default " STR(DATASET_DEFAULT_T) ")"),
    CV_PARAM("no-canonical", 0, CV_PARAM_SWITCH, F(no_canonical), NULL, "use SMILES as written"),
    CV_PARAM("threads", 'j', CV_PARAM_INT, F(threads), "N",
             "RDKit worker threads (default: all CPUs)"),
};
#undef F
const CvParamTable cv_vocab_build_params = CV_PARAM_TABLE(BUILD_PARAMS);

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

CvStatus cv_vocab_tokens_write(FILE *fp, const char *smiles, const CvVocab *v, CvError *err) {
    TokenSpan *sp;
    size_t n;
    CvStatus st = cv_tokenize(smiles, &sp, &n, err);
    if (st) return st;
    for (size_t i = 0; i < n; i++) {
        fprintf(fp, "%s%.*s", i ? " " : "", (int)sp[i].len, smiles + sp[i].off);
        if (v) fprintf(fp, "=%d", cv_vocab_lookup(v, smiles + sp[i].off, sp[i].len));
    }
    fputc('\n', fp);
    free(sp);
    return CV_OK;
}
