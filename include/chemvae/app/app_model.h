/* app_model.h — a trained model ready for inference: the VAE, its checkpoint metadata,
 * its vocabulary and its decoding constraint, loaded together from one checkpoint. Every
 * application job (eval, encode, decode, sample, optimize, interpolate, predict) takes a
 * CvModel. */
#ifndef CHEMVAE_APP_MODEL_H
#define CHEMVAE_APP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/app/app_params.h"
#include "chemvae/model/checkpoint.h"
#include "chemvae/data/smiles_grammar.h"
#include "chemvae/model/vae.h"
#include "chemvae/data/vocab.h"

typedef struct {
    Vae vae;
    CkptMeta meta;
    CvVocab vocab;
    char path[4096];       /* the file loaded */
    char hash[17];         /* cv_hash_file of the checkpoint */
    SmilesGrammar grammar; /* the vocabulary's decoding constraint */
    int constrain;         /* SMILES_NONE / SYNTAX / VALENCE, in force on vae */
} CvModel;

/* The decoding constraint a loaded model uses until cv_model_set_constrain says otherwise
 * (models longer than the grammar's state machine handles decode without it). */
#define CV_DEFAULT_CONSTRAIN SMILES_VALENCE

/* How wide the beam is that decodes again a greedy decode that is not a molecule (sample,
 * interpolate, optimize; 1 = no second decode). The greedy decode stays when it is valid,
 * so the rescue costs time only for the failures. */
#define CV_DEFAULT_RESCUE 20
#define CV_MAX_RESCUE 10000
/* The help text of the rescue parameter of the jobs that default to CV_DEFAULT_RESCUE. */
#define CV_RESCUE_HELP                                                                             \
    "a greedy decode that is not a molecule is decoded again by a\nbeam of K, kept when valid "    \
    "(default 20; 1 = off)"

/* The shipped model's file name, and where an installed chemvae keeps it:
 * PREFIX/share/chemvae/models/ beside PREFIX/bin/chemvae. */
#define CV_SHIPPED_MODEL_NAME "zinc24k-small.cvae"

/* How an inference job loads its model: the parameters every inference command shares. */
typedef struct {
    const char *path; /* the checkpoint */
    size_t batch;     /* the largest batch it encodes / decodes at once (bounds a beam) */
    int constrain;    /* decoding constraint: SMILES_NONE / SYNTAX / VALENCE */
} CvModelOptions;
#define CV_MODEL_OPTIONS_DEFAULTS                                                                  \
    { .path = NULL, .batch = 256, .constrain = CV_DEFAULT_CONSTRAIN }
/* model (not recorded: the run records the file and its hash), batch, constrain */
extern const CvParamTable cv_model_params;

/* The largest batch a model is loaded for: the layers' buffers grow with batch × T × H, and
 * the limit keeps those sizes far from overflowing size_t (a huge --batch used to crash). */
#define CV_MAX_BATCH 65536

/* cv_model_load(o->path, o->batch), then the constraint o->constrain. CV_ERR_INVALID for a
 * batch outside 1..CV_MAX_BATCH. *m is safe to cv_model_free on every return. */
CvStatus cv_model_load_with(CvModel *m, const CvModelOptions *o, CvError *err);

/* Loads the checkpoint at `path` for batches up to max_B (no optimizer state).
 * When `path` does not exist and its file name is CV_SHIPPED_MODEL_NAME, the installed copy
 * (PREFIX/share/chemvae/models/, found from the running executable) is loaded instead;
 * m->path names the file loaded. On error *m is safe to cv_model_free. */
CvStatus cv_model_load(CvModel *m, const char *path, size_t max_B, CvError *err);
void cv_model_free(CvModel *m);

/* Switches the decoding constraint to `mode` (SMILES_NONE / SYNTAX / VALENCE). */
CvStatus cv_model_set_constrain(CvModel *m, int mode, CvError *err);

/* Canonicalizes `smiles` with RDKit and encodes it as a model row (T ids, *len incl. <end>).
 * CV_ERR_INVALID names the SMILES when RDKit rejects it, or the token outside the model's
 * vocabulary, or the length. */
CvStatus cv_model_encode_smiles(const CvModel *m, const char *smiles, int32_t *row, size_t *len,
                                CvError *err);

/* Bytes per predicted-JSON string of this model: enough for every property name escaped,
 * its value and an "objective" (the stride of cv_model_predicted_json's output). */
size_t cv_model_predicted_stride(const CvModel *m);

/* For each of z (N, Z): the property head's predictions in real units as a JSON object
 * {"<prop name>": value, ...} (plus "objective": head[i] when head is non-NULL) into
 * json + i·stride, stride = cv_model_predicted_stride(m); json holds N·stride bytes. */
void cv_model_predicted_json(CvModel *m, const float *z, size_t N, const double *head, char *json);

/* ---- a CvModel behind a pointer, for callers that cannot hold the struct (the Python
 * package, through ctypes) -------------------------------------------------------------- */

/* What such a caller needs to know of a loaded model. */
typedef struct {
    size_t Z;         /* latent size */
    size_t T;         /* tokens per SMILES row, <end> included */
    size_t max_B;     /* the batch it was loaded for (bounds a decoding beam) */
    int constrain;    /* SMILES_NONE / SYNTAX / VALENCE in force */
    const char *path; /* the file loaded (borrowed from the model) */
    const char *hash; /* its cv_hash_file (borrowed) */
} CvModelInfo;

/* cv_model_load into a malloc'd CvModel: the model, or NULL with err set. */
CvModel *cv_model_open(const char *path, size_t max_B, CvError *err);
/* cv_model_free, then frees m itself; NULL-safe. */
void cv_model_close(CvModel *m);
/* Fills *info from m (its strings live as long as m). */
void cv_model_info(const CvModel *m, CvModelInfo *info);

#endif
