/* fuzz_checkpoint.c — libFuzzer target for the checkpoint reader (.cvae). Arbitrary bytes
 * as a checkpoint file: cv_ckpt_read_meta and cv_ckpt_load (training and inference models) must
 * refuse or load without a crash, leak or huge allocation (the sizes in the header are
 * checked against limits and against the parameters the file holds before the model is
 * built); a loaded model encodes one molecule's worth of input without fault. */
#include <stdint.h>
#include <string.h>

#include "chemvae/model/checkpoint.h"
#include "fuzz_tmpfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_tmp_write("ckpt", data, size);
    if (!path) return 0;
    CkptMeta meta;
    CvError err;
    if (cv_ckpt_read_meta(path, &meta, &err) == CV_OK) cv_ckpt_meta_free(&meta);
    for (int train = 0; train < 2; train++) {
        Vae vae;
        int has_opt = 0;
        if (cv_ckpt_load(path, &vae, &meta, 2, train, &has_opt, &err) != CV_OK) continue;
        if (vae.cfg.T < 1 || vae.cfg.V < 4) abort();
        cv_vae_free(&vae);
        cv_ckpt_meta_free(&meta);
    }
    return 0;
}
