/* fuzz_dataset.c — libFuzzer target for the dataset reader (.cvds). Arbitrary bytes as a
 * dataset file: cv_dataset_load refuses (bad magic, sizes, counts, token ids, checksum) or
 * loads a dataset whose every row is within its declared bounds, which is then walked:
 * token ids < V, lengths in 1..T, SMILES strings terminated inside the file. */
#include <stdint.h>
#include <string.h>

#include "chemvae/data/dataset.h"
#include "fuzz_tmpfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_tmp_write("cvds", data, size);
    if (!path) return 0;
    CvDataset ds;
    CvError err;
    if (cv_dataset_load(&ds, path, &err) != CV_OK) return 0;
    size_t sum = 0;
    for (size_t i = 0; i < ds.n; i++) {
        if (ds.lengths[i] < 1 || (size_t)ds.lengths[i] > ds.T) abort();
        for (size_t t = 0; t < ds.T; t++)
            if (dataset_id(&ds, i, t) >= ds.V) abort();
        sum += strlen(dataset_smiles(&ds, i));
    }
    (void)sum;
    cv_dataset_free(&ds);
    return 0;
}
