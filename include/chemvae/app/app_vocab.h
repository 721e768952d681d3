/* app_vocab.h — the vocabulary jobs as library calls: build a token vocabulary from a CSV
 * through the same ingest path as a dataset (so it sees the canonical SMILES a dataset
 * would hold), read the vocabulary of a .vocab or a .cvds file, and split a SMILES into
 * its tokens (and print them, as `chemvae vocab tokenize` does). `chemvae vocab` prints what
 * these return. */
#ifndef CHEMVAE_APP_VOCAB_H
#define CHEMVAE_APP_VOCAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chemvae/app/app_params.h"
#include "chemvae/data/dataset.h"
#include "chemvae/core/error.h"
#include "chemvae/data/tokenizer.h"
#include "chemvae/data/vocab.h"

typedef struct {
    const char *smiles_col; /* SMILES column (case-insensitive); NULL: first named smiles */
    char delim;             /* field delimiter; 0 = auto (',' or tab) */
    size_t max_len;         /* molecules of more than max_len - 1 tokens are skipped (2..65535) */
    int no_canonical;       /* use the SMILES as written (still validated by RDKit) */
    int threads;            /* RDKit worker threads; 0 = every CPU */
} CvVocabBuildConfig;

#define CV_VOCAB_BUILD_DEFAULTS                                                                    \
    { .max_len = DATASET_DEFAULT_T }
/* The build's parameters (app_params.h): smiles-col, delimiter (one character or 'tab'),
 * max-len (2..65535), no-canonical, threads. */
extern const CvParamTable cv_vocab_build_params;

typedef struct {
    size_t tokens;                     /* vocabulary size, specials included */
    size_t molecules;                  /* distinct molecules it was built from */
    size_t rows, rejected, duplicates; /* of the CSV */
    uint64_t hash;                     /* cv_vocab_hash */
} CvVocabBuildResult;

/* Ingests `csv` ("-" = stdin) as `chemvae ingest` would (every accepted molecule, no
 * properties), and writes the vocabulary of all of them (specials first, then the tokens
 * sorted) atomically to `output`. Errors: those of cv_ingest_csv (CV_ERR_IO, CV_ERR_PARSE,
 * CV_ERR_EMPTY when no row is accepted) and cv_vocab_save; CV_ERR_INVALID for max_len out of
 * range. *res is filled on success. */
CvStatus cv_vocab_build_file(const char *csv, const CvVocabBuildConfig *cfg, const char *output,
                             CvVocabBuildResult *res, CvError *err);

/* Loads the vocabulary of `path` into *v (overwritten; cv_vocab_free it): the one embedded in
 * a dataset when the name ends in ".cvds", else a vocabulary file. Errors of cv_dataset_load
 * or cv_vocab_load. */
CvStatus cv_vocab_read(const char *path, CvVocab *v, CvError *err);

/* Splits `smiles` into its tokens: *spans (malloc'd, *n of them; free it) index into
 * smiles. CV_ERR_PARSE (cv_tokenizer_split's message) for a SMILES that does not tokenize,
 * CV_ERR_NOMEM; *spans is then NULL. */
CvStatus cv_tokenize(const char *smiles, TokenSpan **spans, size_t *n, CvError *err);

/* Writes the tokens of `smiles` to fp as one line, separated by single spaces; with v
 * (NULL-able) each token is followed by "=ID", its id in v (-1: not in it). Errors of
 * cv_tokenize, and then nothing is written. */
CvStatus cv_vocab_tokens_write(FILE *fp, const char *smiles, const CvVocab *v, CvError *err);

#endif
