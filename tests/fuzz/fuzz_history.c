/* fuzz_history.c — libFuzzer target for a model's training history file
 * (cv_report_history_read, report.h: `<model>.training.csv`, outside input the report
 * reads). Arbitrary bytes are either read or refused with an empty history; a history read
 * has only train/valid rows, each with a finite epoch, and no more rows than the input has
 * line ends (every row is a record after the header). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/data/dataset.h"
#include "chemvae/report/report.h"
#include "fuzz_tmpfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 65536) return 0;
    const char *path = fuzz_tmp_write("history", data, size);
    if (!path) return 0;
    size_t lines = 0;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n' || data[i] == '\r';
    CvTrainingHistory h;
    CvError err;
    if (cv_report_history_read(path, &h, &err) == CV_OK) {
        if (h.n > lines) abort();
        for (size_t r = 0; r < h.n; r++) {
            if (h.split[r] != CV_SPLIT_TRAIN && h.split[r] != CV_SPLIT_VALID) abort();
            if (!isfinite(h.v[r * CV_HISTORY_COLS])) abort();
        }
    } else if (h.n || h.split || h.v) {
        abort();
    }
    cv_report_history_free(&h);
    return 0;
}
