/* dataset.h — the tokenized, split training set (.cvds) and the batch helpers training
 * reads it through.
 *
 * Contents of a dataset of N molecules, max length T, vocabulary V, P properties:
 *   ids      (N, T) token ids, uint8 when V <= 256 else uint16, row-major; row i is
 *            [tok_1 .. tok_L, <end>, <pad> ...] — T counts the <end> token.
 *   lengths  (N) uint32, L + 1 (tokens including <end>).
 *   props    (N, P) float32 in raw units (e.g. logP, qed, SAS as in the CSV).
 *   prop_mean, prop_std (P) float32 over the TRAIN split (population std; 1 when the std
 *            is 0 or there is no train row) — training targets are (props - mean) / std.
 *   split    (N) uint8 CV_SPLIT_TRAIN / VALID / TEST from a seeded shuffle: the first
 *            round(r_train N) of a cv_rng_shuffle_u32 permutation of 0..N-1 are train, the
 *            next round(r_valid N) valid, the rest test. Same (input, seed, ratios) → same
 *            labels on every machine.
 *   smiles   N NUL-terminated canonical SMILES (smiles + smiles_off[i]).
 *   vocab    the V tokens themselves and their cv_vocab_hash, so a dataset is self-contained.
 *
 * File layout (.cvds, little-endian, every section padded to 8 bytes): a 192-byte header
 * (magic "CVDSET\0\0", format version, N, T, V, P, id_bytes, per-split counts, seed,
 * ratios, vocab hash, section sizes), then vocab tokens (NUL-separated), property names
 * (NUL-separated), prop_mean, prop_std, ids, lengths, props, split, smiles_off (N+1 uint64),
 * smiles, and a trailing FNV-1a 64 checksum (cv_fnv1a64) of everything before it. cv_dataset_load
 * reads the file in one read and points the arrays into that buffer (no per-row work except a
 * bounds check of the ids); a truncated, corrupted, foreign or newer-version file is refused by
 * name.
 *
 * One-hot batches are never stored: cv_dataset_fill_onehot expands ids on the fly.
 * Ownership: a CvDataset owns one buffer (blob) holding every array plus its vocab and
 * prop_names; cv_dataset_free releases all and is safe on a zeroed or half-built dataset.
 * The dataset is read-only after build/load, so the fill helpers are thread-safe. */
#ifndef CHEMVAE_DATASET_H
#define CHEMVAE_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/core/error.h"
#include "chemvae/data/vocab.h"

enum { CV_SPLIT_TRAIN = 0, CV_SPLIT_VALID = 1, CV_SPLIT_TEST = 2, CV_NSPLITS = 3 };

#define DATASET_VERSION 1
#define DATASET_DEFAULT_T 120

typedef struct {
    size_t n;                   /* N molecules */
    size_t T;                   /* row length, counts <end> */
    size_t V;                   /* vocabulary size (== vocab.n) */
    size_t P;                   /* properties */
    size_t id_bytes;            /* 1 (V <= 256) or 2 */
    const void *ids;            /* (N, T) uint8_t or uint16_t: use dataset_id() */
    const uint32_t *lengths;    /* (N) tokens including <end> */
    const float *props;         /* (N, P) raw units */
    const float *prop_mean;     /* (P) over the train split */
    const float *prop_std;      /* (P) over the train split, > 0 */
    const char **prop_names;    /* (P) NUL-terminated, point into blob */
    const uint8_t *split;       /* (N) CV_SPLIT_* */
    const uint64_t *smiles_off; /* (N + 1) offsets into smiles */
    const char *smiles;         /* canonical SMILES, NUL-terminated each */
    size_t count[CV_NSPLITS];   /* rows per split */
    uint64_t seed;              /* split seed */
    double ratios[CV_NSPLITS];  /* split ratios as given */
    size_t unk_rows;            /* rows holding at least one <unk> */
    uint64_t vocab_hash;        /* cv_vocab_hash(&vocab) */
    CvVocab vocab;              /* embedded vocabulary, owned */
    void *blob;                 /* owns every array above (file image) */
    size_t blob_size;
} CvDataset;

typedef struct {
    size_t T;                  /* max row length incl. <end>; default 120 */
    double ratios[CV_NSPLITS]; /* train/valid/test, >= 0, sum > 0; default .8/.1/.1 */
    uint64_t seed;             /* split seed; default 42 */
    int unk_ok;                /* with a given vocab: unknown token → <unk> (else error) */
    const uint8_t *split;      /* (n) CV_SPLIT_* labels to use as they are (e.g. MOSES's
                                  own split); NULL = seeded shuffle with ratios/seed.
                                  When given, the stored ratios are the realized shares. */
    size_t n_shuffled;         /* without split: only rows [0, n_shuffled) go through the
                                  seeded shuffle, rows from n_shuffled on are train (extra
                                  training data that must not move the valid/test split);
                                  0 = every row is shuffled */
} CvDatasetOptions;

/* Fills *o with the defaults above. */
void cv_dataset_options_default(CvDatasetOptions *o);

/* Builds a dataset in memory (overwrites *ds) from n SMILES (stored as given: ingest passes
 * canonical ones), props (n, P) row-major raw values (NULL when P == 0) and P names.
 * vocab == NULL: the vocabulary is built from the TRAIN split (cv_vocab_build); a valid/test
 * molecule with a token unseen in train gets <unk> (counted in unk_rows). vocab given: it is
 * copied; an unknown token is an error naming it unless opt->unk_ok.
 * A SMILES with more than T-1 tokens or that does not tokenize is an error naming it
 * (ingest filters those rows first). n == 0 is CV_ERR_EMPTY. opt NULL = defaults. */
CvStatus cv_dataset_build(CvDataset *ds, const char *const *smiles, size_t n, const float *props,
                          size_t P, const char *const *prop_names, const CvVocab *vocab,
                          const CvDatasetOptions *opt, CvError *err);

/* Writes the file image atomically (temp + fsync + rename). */
CvStatus cv_dataset_save(const CvDataset *ds, const char *path, CvError *err);
/* Loads a .cvds file (overwrites *ds); see the file layout above. */
CvStatus cv_dataset_load(CvDataset *ds, const char *path, CvError *err);
void cv_dataset_free(CvDataset *ds);

/* Token id at row i, position t (0 <= t < T). */
static inline uint32_t dataset_id(const CvDataset *ds, size_t i, size_t t) {
    size_t k = i * ds->T + t;
    return ds->id_bytes == 1 ? ((const uint8_t *)ds->ids)[k] : ((const uint16_t *)ds->ids)[k];
}

/* Canonical SMILES of row i. */
static inline const char *dataset_smiles(const CvDataset *ds, size_t i) {
    return ds->smiles + ds->smiles_off[i];
}

/* Indices of the rows of `split` (CV_SPLIT_*), ascending, into a malloc'd array *idx
 * (caller frees; NULL when *n == 0). */
CvStatus cv_dataset_split_indices(const CvDataset *ds, int split, uint32_t **idx, size_t *n,
                                  CvError *err);

/* Batch helpers for rows[0..B) (row indices < N):
 *   fill_ids:    ids (B, T) int32, overwritten.
 *   fill_onehot: x (B, T, V) float, overwritten (1 at each token id, 0 elsewhere; pad
 *                positions are one-hot <pad>).
 *   fill_props:  y (B, P) float, overwritten with (props - prop_mean) / prop_std. */
void cv_dataset_fill_ids(const CvDataset *ds, const uint32_t *rows, size_t B, int32_t *ids);
void cv_dataset_fill_onehot(const CvDataset *ds, const uint32_t *rows, size_t B, float *x);
void cv_dataset_fill_props(const CvDataset *ds, const uint32_t *rows, size_t B, float *y);

#endif
