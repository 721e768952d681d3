/* app_codec.h — the model's two directions as library calls on arrays: SMILES -> latent
 * vectors (cv_encode) and latent vectors -> SMILES (cv_decode). `chemvae encode` and
 * `chemvae decode` print what these return; the Python package hands the arrays to NumPy.
 *
 * A SMILES the model cannot encode (RDKit rejects it, a token outside the vocabulary, too
 * long) is an error of its row, reported in that row's CvEncodeRow, not a failure of the
 * call; likewise a decode that is not a molecule is data (LatentMol.valid = 0). Neither
 * call records anything in a results DB.
 *
 * cv_encode_list / cv_encode_lines / cv_encode_records / cv_decode_lines run the same calls
 * over an input of any length a batch at a time and hand each row to a callback as its batch is
 * done, so a caller can write results while the input is still being read (a pipe, a large file).
 */
#ifndef CHEMVAE_APP_CODEC_H
#define CHEMVAE_APP_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/app/app_model.h"
#include "chemvae/core/fileio.h"
#include "chemvae/data/molin.h"
#include "chemvae/latent/latent.h"

/* What became of one input SMILES. Exactly one of the two is set. */
typedef struct {
    char *canonical; /* the canonical SMILES that was encoded (owned), or NULL */
    char *error;     /* why the row was not encoded (owned), e.g. "invalid SMILES 'C1CC'" */
} CvEncodeRow;

/* Encodes smiles[0..n) with model m's eval-mode encoder, one row per encoder pass (so a
 * row's vector never depends on the other rows of the call): each SMILES is canonicalized
 * by RDKit and tokenized with the model's vocabulary (cv_model_encode_smiles), then mu
 * (n, Z) receives the encoder's mean and logvar (n, Z; NULL: not wanted) its log-variance.
 * A row that cannot be encoded gets NaN in every column of mu and logvar and its reason in
 * rows[i].error. rows (n; NULL-able) is overwritten; free its strings with
 * cv_encode_rows_free. *n_failed (NULL-able) receives how many rows were not encoded.
 * Errors (the whole call): CV_ERR_INVALID for a NULL SMILES pointer, CV_ERR_NOMEM; rows
 * then hold nothing to free. */
CvStatus cv_encode(CvModel *m, const char *const *smiles, size_t n, float *mu, float *logvar,
                   CvEncodeRow *rows, size_t *n_failed, CvError *err);
/* Frees the strings of rows[0..n) and zeroes them; NULL-safe. */
void cv_encode_rows_free(CvEncodeRow *rows, size_t n);

/* How cv_decode turns each latent vector into a string. */
typedef struct {
    double temperature; /* 0 = greedy argmax; > 0 samples softmax(logits / temperature) */
    uint64_t seed;      /* of temperature sampling (each row gets its own stream) */
    uint64_t first_row; /* the index of z's first row when a larger set is decoded in pieces:
                           row i samples from the stream of row first_row + i, so the pieces
                           decode as one call on the whole set would */
    int beam;           /* > 1: a greedy decode as a beam search of this width
                           (1..m->vae.max_B) */
    int rescue;         /* > 1: a greedy decode that is not a molecule is decoded again by a beam
                           of this width and replaced when that is valid (1 = off) */
} CvDecodeConfig;

/* The decode as `chemvae decode` prints it: greedy, no beam, no rescue. */
#define CV_DECODE_DEFAULTS                                                                         \
    { .temperature = 0.0, .seed = 1, .first_row = 0, .beam = 1, .rescue = 1 }
/* cv_decode's parameters (app_params.h): temperature, seed, beam, rescue. */
extern const CvParamTable cv_decode_params;

/* Decodes z (n, Z) with model m under its decoding constraint (cv_model_set_constrain)
 * into out[0..n) (overwritten; free with cv_latent_mols_free(out, n)): the decoded string,
 * whether RDKit accepts it, its canonical SMILES, scores and failure class. Rows go
 * through cv_latent_decode in batches of m->vae.max_B; with temperature > 0 row i samples
 * from its own stream, seeded by draw first_row + i of a generator seeded with cfg->seed.
 * Errors: CV_ERR_INVALID for a config out of range or a non-finite value in z (naming its
 * row and column), CV_ERR_NOMEM; out then holds nothing to free. */
CvStatus cv_decode(CvModel *m, const float *z, size_t n, const CvDecodeConfig *cfg, LatentMol *out,
                   CvError *err);

/* ---- inputs streamed a batch at a time -------------------------------------------------- */

/* One input SMILES of cv_encode_list / cv_encode_lines, once its batch is encoded. */
typedef struct {
    const char *smiles; /* as given (a line without its end and trailing spaces) */
    long where;         /* 1-based: its position in the list, or its line number */
    const float *mu;    /* (Z) the encoder's mean; NULL when it was not encoded */
    size_t Z;           /* the latent size */
    const char *error;  /* why it was not encoded (CvEncodeRow.error); NULL when it was */
} CvEncodedSmiles;
typedef void (*CvEncodedFn)(void *user, const CvEncodedSmiles *r);

/* Encodes smiles[0..n) with cv_encode, `batch` (>= 1) at a time, calling row(user, r) for
 * each in order once its batch is encoded. *n_failed (NULL-able) receives how many were not
 * encoded. Errors (the whole call): CV_ERR_INVALID for batch 0 or a NULL SMILES,
 * CV_ERR_NOMEM; the rows of the batches before were handed over. */
CvStatus cv_encode_list(CvModel *m, const char *const *smiles, size_t n, size_t batch,
                        CvEncodedFn row, void *user, size_t *n_failed, CvError *err);
/* cv_encode_list on the lines of `in`, one SMILES a line: the line end and trailing spaces
 * are cut and empty lines skipped; `where` is the line number. */
CvStatus cv_encode_lines(CvModel *m, CvLines *in, size_t batch, CvEncodedFn row, void *user,
                         size_t *n_failed, CvError *err);
/* cv_encode_list on the records of a SMILES file or an SDF (molin.h) at `path` (NULL or "-"
 * = stdin) in `format` (MOLIN_SMI or MOLIN_SDF): each record's molecule is read by RDKit
 * (an SDF's molblock as Chem.MolFromMolBlock reads it) and its canonical SMILES, the row's
 * `smiles`, is encoded, so a SMILES file and an SDF of the same molecules give the same
 * rows. `where` is the record's line; a record that is not one or that RDKit cannot read
 * is a row with an error naming its number and name ("record 26 (broken): RDKit cannot
 * read the molecule"), and the file goes on. Errors: cv_encode_list's, CV_ERR_INVALID for
 * another format, CV_ERR_IO for an unreadable file. */
CvStatus cv_encode_records(CvModel *m, const char *path, MolinFormat format, size_t batch,
                           CvEncodedFn row, void *user, size_t *n_failed, CvError *err);

/* One line of a cv_decode_lines input that holds a vector, once its batch is decoded, or
 * that is not a vector, at once. */
typedef struct {
    long lineno;          /* its 1-based line number */
    uint64_t index;       /* the vector's 0-based index among the vectors of the input */
    const LatentMol *mol; /* what it decoded to; NULL: the line is not a vector */
} CvDecodedLine;
typedef void (*CvDecodedFn)(void *user, const CvDecodedLine *r);

/* Decodes the latent vectors of `in`, one a line as cv_latent_parse_z reads them (Z
 * comma-separated numbers, after an optional non-numeric first field such as the smiles
 * column of `chemvae encode`), with cv_decode under cfg, `batch` (>= 1) at a time: the
 * batches decode as one call on all the vectors would (vector i is row cfg->first_row + i).
 * Blank lines and header lines (starting with "smiles" or 'z') are skipped; row(user, r) gets
 * every other line in order, a vector once its batch is decoded, a line that is not a vector
 * (mol NULL) as it is read; *n_bad (NULL-able) counts those. Errors: cv_decode's (the config
 * is checked before the input is read), CV_ERR_INVALID for batch 0, CV_ERR_NOMEM. */
CvStatus cv_decode_lines(CvModel *m, CvLines *in, const CvDecodeConfig *cfg, size_t batch,
                         CvDecodedFn row, void *user, size_t *n_bad, CvError *err);

#endif
