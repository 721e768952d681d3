/* augment.h — randomized-SMILES augmentation of training batches (Arus-Pous et al. 2019;
 * CDDD: random SMILES in, canonical SMILES out).
 *
 * The encoder sees a random-atom-order SMILES of each molecule, redrawn every step, while
 * the decoder keeps the canonical target: the latent code has to describe the molecule,
 * not one spelling of it. Draws depend only on the seed given, so a resumed run repeats
 * them exactly. */
#ifndef CHEMVAE_AUGMENT_H
#define CHEMVAE_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/data/dataset.h"

/* Fills ids (B, T) with a randomized SMILES of each of rows[0..B), tokenized with the
 * dataset's vocabulary and padded like cv_dataset_fill_ids. Row i's spelling is fixed by
 * (seed, i). A row whose random spelling is longer than T - 1 tokens or needs a token the
 * vocabulary lacks (e.g. a ring-closure digit never used canonically) keeps its canonical
 * ids. Returns the number of such rows. */
size_t cv_augment_fill_ids(const CvDataset *ds, const uint32_t *rows, size_t B, uint64_t seed,
                           int32_t *ids);
/* cv_augment_fill_ids of the part rows[0..B) of a batch that starts at its row `first`
 * (one process's share in data-parallel training): row i's spelling is fixed by
 * (seed, first + i), the spelling it gets in the whole batch. */
size_t cv_augment_fill_ids_from(const CvDataset *ds, const uint32_t *rows, size_t B, size_t first,
                                uint64_t seed, int32_t *ids);

#endif
