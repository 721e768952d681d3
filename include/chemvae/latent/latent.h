/* latent.h — decoding strategies on top of cv_vae_decode (README "Sampling", "Optimizing"): batched
 * greedy and temperature decoding of many latent vectors, several attempts per vector, every
 * decoded string validated and scored by RDKit (chem module), duplicates folded with counts; latent
 * vectors from the prior N(0, I) or around an encoded molecule; linear and spherical paths between
 * two latent vectors.
 *
 * Dimension letters: N latent vectors, Z latent size, K attempts per vector.
 * Ownership: a LatentMol owns its strings (cv_latent_mols_free); a LatentUniq owns its
 * entries' strings (cv_latent_uniq_free). Nothing here keeps a pointer to caller memory.
 * A model (Vae) is used by one thread at a time; these functions are not reentrant on
 * the same Vae. */
#ifndef CHEMVAE_LATENT_H
#define CHEMVAE_LATENT_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/chem/chem.h"
#include "chemvae/core/error.h"
#include "chemvae/core/rng.h"
#include "chemvae/model/vae.h"
#include "chemvae/data/vocab.h"

/* One decoded string and what RDKit says about it. */
typedef struct {
    char *raw;             /* the decoded string exactly as produced (owned; "" for an empty row) */
    char *canonical;       /* canonical SMILES when valid (owned), else NULL */
    int valid;             /* 1 when RDKit parses raw into a molecule with >= 1 atom */
    ChemScores scores;     /* true RDKit scores when valid, else zeroed */
    SmilesFailure failure; /* why an invalid string failed (cv_smiles_failure_classify),
                              SMILES_OK if valid */
} LatentMol;

/* Frees the strings of mols[0..n) and zeroes them (the array itself is the caller's).
 * NULL-safe, safe on zeroed entries. */
void cv_latent_mols_free(LatentMol *mols, size_t n);

/* How each latent vector is decoded: K = attempts decodes per vector; the first at
 * `temperature` (<= 0: greedy argmax), the others at `retry_temperature` (<= 0: greedy,
 * which only repeats the first). */
typedef struct {
    size_t attempts;         /* K >= 1 */
    float temperature;       /* first attempt */
    float retry_temperature; /* attempts 2..K */
    int beam;                /* > 1: the first attempt, when greedy, is a beam search of this
                                width (cv_vae_decode_beam); 0 or 1: plain greedy */
    int rescue;              /* > 1: a greedy first attempt that is not a molecule is decoded
                                again by a beam of this width (at most vae->max_B), which
                                replaces it when valid */
} LatentDecodeOpts;

/* Decodes z (N, Z) with opts (NULL: one greedy attempt each) into out (N·K), attempt a of
 * vector i at out[i·K + a] (overwritten; free with cv_latent_mols_free(out, N·K)). Decoding
 * runs in batches of vae->max_B through cv_vae_decode (rows of the same temperature are
 * batched together, across vectors and attempts); rng drives temperature sampling (may be
 * NULL when every temperature is <= 0). Strings come from `vocab` (the model's), and each
 * one is validated, canonicalized and scored (cv_chem_score_smiles) — an invalid string is
 * data (valid = 0), not an error. Errors: CV_ERR_NOMEM (out is then freed and zeroed). */
CvStatus cv_latent_decode(Vae *vae, const CvVocab *vocab, const float *z, size_t N,
                          const LatentDecodeOpts *opts, CvRng *rng, LatentMol *out, CvError *err);

/* ---- duplicates folded with counts ----------------------------------------------------- */

typedef struct {
    char *smiles;      /* canonical SMILES (owned) */
    ChemScores scores; /* its scores (from the first occurrence) */
    size_t count;      /* how many decodes gave it */
    size_t first;      /* caller's index of the first decode that gave it */
} LatentUniqEntry;

/* Distinct canonical SMILES in order of first appearance, with counts. Zero-initialize. */
typedef struct {
    LatentUniqEntry *items; /* (n) in order of first appearance */
    size_t n, cap;
    uint32_t *slots; /* (nslots) open addressing: item index + 1, 0 = empty */
    size_t nslots;
} LatentUniq;

/* Counts one occurrence of `canonical` (copied on first sight) seen at caller index
 * `index`. *entry (may be NULL) receives the entry's position in items, *is_new (may be
 * NULL) 1 on first sight. CV_ERR_NOMEM leaves u unchanged. */
CvStatus cv_latent_uniq_add(LatentUniq *u, const char *canonical, const ChemScores *scores,
                            size_t index, size_t *entry, int *is_new, CvError *err);
/* Position of `canonical` in items, or -1. */
long cv_latent_uniq_find(const LatentUniq *u, const char *canonical);
/* Adds every valid mols[i] (index = first_index + i). */
CvStatus cv_latent_uniq_add_mols(LatentUniq *u, const LatentMol *mols, size_t n, size_t first_index,
                                 CvError *err);
/* Frees every entry; safe on a zeroed LatentUniq. */
void cv_latent_uniq_free(LatentUniq *u);

/* ---- where latent vectors come from ------------------------------------------------------ */

/* z (N, Z) overwritten with N(0, I) draws. */
void cv_latent_sample_prior(CvRng *rng, float *z, size_t N, size_t Z);
/* z (N, Z) overwritten with center (Z) + radius · N(0, I). */
void cv_latent_sample_around(CvRng *rng, const float *center, float radius, float *z, size_t N,
                             size_t Z);

/* Encodes `smiles` (canonicalized by RDKit, tokenized with `vocab`) into mu (Z) with the
 * eval-mode encoder. CV_ERR_INVALID names a SMILES RDKit rejects, a token outside the
 * vocabulary or a SMILES longer than the model's T. canonical (may be NULL) receives the
 * canonical SMILES (malloc'd, caller frees) on success. */
CvStatus cv_latent_encode_smiles(Vae *vae, const CvVocab *vocab, const char *smiles, float *mu,
                                 char **canonical, CvError *err);

/* ---- similarity (Morgan r = 2, LATENT_FP_BITS bits, as in the JT-VAE protocol) ----------------
 */

#define LATENT_FP_BITS 2048
#define LATENT_FP_WORDS (LATENT_FP_BITS / 64)

/* fp (LATENT_FP_WORDS) = fingerprint of `smiles`. CV_ERR_INVALID names an invalid SMILES. */
CvStatus cv_latent_fingerprint(const char *smiles, uint64_t *fp, CvError *err);
/* Tanimoto similarity of `smiles` to the fingerprint ref; NaN when smiles is invalid. */
double cv_latent_similarity(const char *smiles, const uint64_t *ref);

/* ---- paths between two latent vectors ----------------------------------------------------- */

/* out (Z) = (1 − t)·a + t·b. */
void cv_latent_lerp(const float *a, const float *b, size_t Z, double t, float *out);
/* Spherical interpolation: out (Z) = sin((1−t)ω)/sin ω · a + sin(tω)/sin ω · b with ω the
 * angle between a and b; falls back to lerp when ω < 1e-6 or either vector is zero.
 * Endpoints are exact (t = 0 gives a, t = 1 gives b); when |a| = |b| every point has that
 * norm. */
void cv_latent_slerp(const float *a, const float *b, size_t Z, double t, float *out);
/* Euclidean distance |a − b|. */
double cv_latent_distance(const float *a, const float *b, size_t Z);

/* Parses one line of a latent-vector CSV (what `chemvae encode` prints): Z comma-separated
 * finite numbers, optionally after one leading non-numeric field (the SMILES column), a
 * line end allowed. Fills z (Z); returns 0, or -1 when the line is anything else (too few or
 * too many values, a NaN/Inf, a stray character). */
int cv_latent_parse_z(const char *line, float *z, size_t Z);

#endif
