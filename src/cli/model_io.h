/* model_io.h — loading a checkpoint for the inference commands (eval, encode, decode,
 * sample, optimize, interpolate): the model, its metadata and its vocabulary together. */
#ifndef CHEMVAE_CLI_MODEL_IO_H
#define CHEMVAE_CLI_MODEL_IO_H

#include "chemvae/checkpoint.h"
#include "chemvae/smiles_grammar.h"
#include "chemvae/vae.h"
#include "chemvae/vocab.h"

typedef struct {
    Vae vae;
    CkptMeta meta;
    CvVocab vocab;
    char path[4096];
    char hash[17];         /* cv_hash_file of the checkpoint */
    SmilesGrammar grammar; /* the vocabulary's decoding constraint */
    int constrain;         /* SMILES_NONE / SYNTAX / VALENCE, in force on vae */
} CliModel;

/* The decoding constraint every command uses unless --constrain says otherwise. */
#define CLI_DEFAULT_CONSTRAIN SMILES_VALENCE

/* Loads `path` for batches up to max_B (no optimizer state); decoding is constrained
 * with CLI_DEFAULT_CONSTRAIN. The shipped model's path (CLI_SHIPPED_MODEL), when it is not
 * there (outside a checkout), loads the installed copy from PREFIX/share/chemvae/models/
 * beside the running PREFIX/bin/chemvae; m->path names the file loaded. */
CvStatus cli_model_load(CliModel *m, const char *path, size_t max_B, CvError *err);
void cli_model_free(CliModel *m);

/* Parses a --constrain value ("none", "syntax", "valence") into *mode; prints a usage
 * error naming `cmd` and returns CLI_USAGE for anything else, 0 when it parsed. */
int cli_parse_constrain(const char *cmd, const char *arg, int *mode);

/* The help line of --constrain, shared by the decoding commands. */
#define CLI_CONSTRAIN_HELP                                                                         \
    "  --constrain MODE      none | syntax | valence (default): mask tokens that cannot\n"         \
    "                        complete a molecule before each decoding step\n"

/* How wide the beam is that decodes again a greedy decode that is not a molecule (sample,
 * interpolate, optimize; 1 = no second decode). The greedy decode stays when it is valid,
 * so the rescue costs time only for the failures (README "Decoding"). */
#define CLI_DEFAULT_RESCUE 20
#define CLI_MAX_RESCUE 10000
/* Parses a --rescue width (1..CLI_MAX_RESCUE) into *k; prints a usage error naming `cmd`
 * and returns CLI_USAGE otherwise, 0 when it parsed. */
int cli_parse_rescue(const char *cmd, const char *arg, long *k);
#define CLI_RESCUE_HELP                                                                            \
    "  --rescue K            a greedy decode that is not a molecule is decoded again by a\n"       \
    "                        beam of K, kept when valid (default 20; 1 = off)\n"

/* Switches the decoding constraint to `mode` (SMILES_NONE / SYNTAX / VALENCE). */
CvStatus cli_model_set_constrain(CliModel *m, int mode, CvError *err);

/* Canonicalizes `smiles` with RDKit and encodes it as a model row (T ids, *len incl. <end>).
 * CV_ERR_INVALID names the SMILES when RDKit rejects it, or the token outside the model's
 * vocabulary, or the length. */
CvStatus cli_model_encode_smiles(const CliModel *m, const char *smiles, int32_t *row, size_t *len,
                                 CvError *err);

#endif
