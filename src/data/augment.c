/* augment.c — randomized-SMILES training inputs (contract in include/chemvae/data/augment.h).
 * RDKit writes the random spelling (cv_chem_random_smiles); the vocabulary tokenizes it. */
#include "chemvae/data/augment.h"

#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"
#include "chemvae/data/vocab.h"

size_t cv_augment_fill_ids(const CvDataset *ds, const uint32_t *rows, size_t B, uint64_t seed,
                           int32_t *ids) {
    return cv_augment_fill_ids_from(ds, rows, B, 0, seed, ids);
}

size_t cv_augment_fill_ids_from(const CvDataset *ds, const uint32_t *rows, size_t B, size_t first,
                                uint64_t seed, int32_t *ids) {
    size_t T = ds->T, kept = 0;
    for (size_t i = 0; i < B; i++) {
        uint64_t row_seed = seed ^ ((uint64_t)(first + i + 1) * 0x9e3779b97f4a7c15ULL);
        char *smi = cv_chem_random_smiles(dataset_smiles(ds, rows[i]), row_seed);
        int32_t *row = ids + i * T;
        size_t len = 0;
        CvError err = {0};
        if (!smi || cv_vocab_encode(&ds->vocab, smi, T, 0, row, &len, &err) != CV_OK) {
            cv_dataset_fill_ids(ds, rows + i, 1, row); /* canonical ids, as before */
            kept++;
        }
        free(smi);
    }
    return kept;
}
