/* evaluate.h — model quality on a dataset split (definitions in README "Evaluating"):
 *   reconstruction: share of split molecules whose greedy decode of mu is the same
 *                   canonical SMILES (RDKit canonicalization of the decoded string);
 *   validity:       share of N greedy decodes of z ~ N(0, I) that RDKit parses (>= 1 atom);
 *   uniqueness:     distinct canonical SMILES among the valid decodes / valid decodes;
 *   novelty:        distinct valid decodes not in the TRAIN split / distinct valid decodes;
 *   int_div:        1 − mean pairwise Tanimoto (Morgan r2, 1024 bits) of the distinct valid
 *                   decodes (MOSES IntDiv1, pairs i < j);
 *   prop_mae:       property head on mu vs the true values of the split, real units. */
#ifndef CHEMVAE_EVALUATE_H
#define CHEMVAE_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/model/checkpoint.h"
#include "chemvae/data/smiles_grammar.h"
#include "chemvae/data/dataset.h"
#include "chemvae/core/error.h"
#include "chemvae/model/vae.h"

typedef struct {
    size_t n_recon, recon_hits;
    double reconstruction;
    double recon_tanimoto; /* mean Tanimoto (Morgan r2, 1024 bits) input vs greedy decode,
                              0 for an invalid decode */
    size_t n_stoch;        /* molecules in the stochastic protocol (0 = not run) */
    double stoch_recon;    /* JT-VAE's protocol: share of 10 encodings (z ~ q(z|x)) x 10
                              decodes (sampled at temperature 1) equal to the input */
    size_t n_prior, n_valid, n_unique, n_novel;
    double validity, uniqueness, novelty, int_div;
    size_t fail[SMILES_FAIL_COUNT]; /* prior decodes by failure class */
    size_t P;
    double prop_mae[CKPT_MAX_PROPS];
} EvalReport;

/* Evaluates `vae` (batches up to vae->max_B) on split `split` of `ds` (at most n_recon
 * molecules, 0 = all) and on n_prior prior samples drawn with `seed`. The vocabulary is
 * the dataset's (the caller checked it matches the checkpoint). Reconstruction is decoded
 * by a beam of width `beam` (cv_vae_decode_beam; 1 = greedy); prior samples stay greedy.
 * prior_smiles (NULL-able, n_prior entries) receives the string of each prior decode, valid
 * or not, in sample order (malloc'd, the caller frees them; NULL for a decode that gave no
 * string): what MOSES's metrics take as the generated set (app_metrics.h). */
CvStatus cv_eval_run_beam(Vae *vae, const CvDataset *ds, int split, size_t n_recon, size_t n_prior,
                          uint64_t seed, int beam, char **prior_smiles, EvalReport *out,
                          CvError *err);

/* JT-VAE's stochastic reconstruction on the first n molecules of split `split`: each is
 * encoded 10 times (z = mu + sigma * eps) and each encoding decoded 10 times by sampling
 * at temperature 1; fills out->n_stoch and out->stoch_recon (the share of the 100 n
 * decodes whose canonical SMILES equals the input). Seeded by `seed`. */
CvStatus cv_eval_stochastic(Vae *vae, const CvDataset *ds, int split, size_t n, uint64_t seed,
                            EvalReport *out, CvError *err);

/* A set of 64-bit keys (hashes of canonical SMILES): open addressing, grows as needed. */
typedef struct {
    uint64_t *keys; /* 0 = empty slot (key 0 is remapped to 1) */
    size_t cap, n;
} HashSet64;

/* Adds k; returns 1 when it was new, 0 when present, -1 on out of memory. */
int cv_hashset64_add(HashSet64 *s, uint64_t k);
int cv_hashset64_has(const HashSet64 *s, uint64_t k);
void cv_hashset64_free(HashSet64 *s);
/* FNV-1a of a NUL-terminated string (the key of a SMILES). */
uint64_t cv_hashset64_key(const char *s);

#endif
