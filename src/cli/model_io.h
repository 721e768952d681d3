/* model_io.h — loading a checkpoint for the inference commands (eval, encode, decode,
 * sample, optimize, interpolate): the model, its metadata and its vocabulary together. */
#ifndef CHEMVAE_CLI_MODEL_IO_H
#define CHEMVAE_CLI_MODEL_IO_H

#include "chemvae/checkpoint.h"
#include "chemvae/vae.h"
#include "chemvae/vocab.h"

typedef struct {
    Vae vae;
    CkptMeta meta;
    CvVocab vocab;
    char path[4096];
    char hash[17]; /* cv_hash_file of the checkpoint */
} CliModel;

/* Loads `path` for batches up to max_B (no optimizer state). */
CvStatus cli_model_load(CliModel *m, const char *path, size_t max_B, CvError *err);
void cli_model_free(CliModel *m);

/* Canonicalizes `smiles` with RDKit and encodes it as a model row (T ids, *len incl. <end>).
 * CV_ERR_INVALID names the SMILES when RDKit rejects it, or the token outside the model's
 * vocabulary, or the length. */
CvStatus cli_model_encode_smiles(const CliModel *m, const char *smiles, int32_t *row, size_t *len,
                                 CvError *err);

#endif
