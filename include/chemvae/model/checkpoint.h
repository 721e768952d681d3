/* checkpoint.h — the .cvae checkpoint file (src/model/README.md "Checkpoints"): model config,
 * vocabulary, property normalization, training position, float32 parameters, batchnorm
 * statistics, optional Adam state, CRC-32. Written to a temp file, fsync'd, renamed into place.
 *
 * Layout (little-endian):
 *   "CVAECKPT" | u32 version | u32 flags (1 = Adam state) | u32 meta_len | meta text
 *   | u64 n_params | u64 n_stats | f32 params[n_params] | f32 stats[n_stats]
 *   | (flags & 1: f32 m[n_params] | f32 v[n_params]) | u32 crc32(all previous bytes)
 * meta is "key value" lines (config sizes, "vocab <token>" lines in id order,
 * "prop <name> <mean> <std>" lines, epoch/step/seed, the training options, the writing
 * chemvae's version and commit).
 * A file that is truncated, has a bad magic, a newer version, a CRC mismatch or sizes
 * that disagree with its config is refused with a message naming the file and the fault. */
#ifndef CHEMVAE_CHECKPOINT_H
#define CHEMVAE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/core/error.h"
#include "chemvae/model/vae.h"
#include "chemvae/data/vocab.h"

#define CKPT_VERSION 1
#define CKPT_MAX_PROPS 8
#define CKPT_NAME_MAX 32

typedef struct {
    VaeConfig cfg;
    int n_vocab;
    char **vocab; /* (n_vocab) owned token strings */
    int P;
    char prop_names[CKPT_MAX_PROPS][CKPT_NAME_MAX];
    double prop_mean[CKPT_MAX_PROPS], prop_std[CKPT_MAX_PROPS];
    long epoch; /* epochs completed */
    long step;  /* optimizer steps taken (Adam t) */
    uint64_t seed;
    double best_val;          /* best validation loss so far */
    double best_exact;        /* best validation teacher-forced exact-string accuracy so far */
    double lr_scale;          /* plateau decay: the learning rate's scale (0 in old files = 1) */
    double plateau_best;      /* plateau decay: best validation CE so far */
    long plateau_wait;        /* plateau decay: epochs since it improved */
    char train_options[2048]; /* the trainer's options, one line, for exact resume */
    char dataset_hash[17];    /* hash of the dataset file trained on ("" if unknown) */
    char written_by[96];      /* "chemvae VERSION COMMIT" of the build that wrote the file
                                 ("" in files from before it was recorded); cv_ckpt_save
                                 writes its own, whatever this holds */
} CkptMeta;

/* Saves `vae` (parameters, BN statistics, and Adam moments when with_optimizer) and
 * `meta` to `path` atomically. CV_ERR_IO names the path on any write failure (the
 * previous file at `path` is kept). */
CvStatus cv_ckpt_save(const char *path, const Vae *vae, const CkptMeta *meta, int with_optimizer,
                      CvError *err);

/* Reads `path`: fills *meta (caller frees with cv_ckpt_meta_free) and builds *vae for batches
 * up to max_B with the stored parameters. load_optimizer: a training model (cv_vae_init) with
 * the Adam moments when the file has them; 0: an inference-only model (cv_vae_init_inference).
 * *has_optimizer (may be NULL) says whether Adam state was loaded. */
CvStatus cv_ckpt_load(const char *path, Vae *vae, CkptMeta *meta, size_t max_B, int load_optimizer,
                      int *has_optimizer, CvError *err);

/* Reads only the metadata (no model built); on failure *meta is left freed. */
CvStatus cv_ckpt_read_meta(const char *path, CkptMeta *meta, CvError *err);

/* Sets the vocabulary (copies `tokens`). */
CvStatus cv_ckpt_meta_set_vocab(CkptMeta *meta, const char *const *tokens, int n, CvError *err);
void cv_ckpt_meta_free(CkptMeta *meta);

/* Property p's value in real units from the head's output y for it: prop_mean[p] +
 * prop_std[p] * y (the head is trained on (value - mean) / std over the training split).
 * p < meta->P. */
double cv_ckpt_prop_denormalize(const CkptMeta *meta, size_t p, float y);

/* CV_OK when `vocab` (from `source`, e.g. a dataset path) has exactly the checkpoint's
 * tokens in the same order; otherwise CV_ERR_MISMATCH naming both files, the first
 * differing id and tokens (a model cannot read ids of another vocabulary). */
CvStatus cv_ckpt_meta_check_vocab(const CkptMeta *meta, const CvVocab *vocab, const char *ckpt_path,
                                  const char *source, CvError *err);

#endif
