/* fuzz_pipestate.c — libFuzzer target for the pipeline runner's state file
 * (cv_pipestate_parse) against a fixed two-stage pipeline. Arbitrary text is either a state
 * (records only for the pipeline's stages, keys of 16 characters, statuses in range) or
 * refused with every record reset; a parsed state saved and parsed again gives the same
 * records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/core/fileio.h"
#include "chemvae/pipeline/pipestate.h"
#include "fuzz_tmpfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static PipeFile g_pf;
static int g_ready;

static int same(const PipeState *a, const PipeState *b) {
    for (size_t i = 0; i < g_pf.nstages; i++) {
        if (a->rec[i].status != b->rec[i].status || a->rec[i].run != b->rec[i].run ||
            strcmp(a->rec[i].key, b->rec[i].key))
            return 0;
        for (size_t k = 0; k < g_pf.stages[i].outputs.n; k++)
            if (strcmp(a->rec[i].owned[k], b->rec[i].owned[k])) return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    CvError err;
    if (!g_ready) {
        if (cv_pipefile_parse(&g_pf, "fuzz.pipe",
                              "stage one score\n  out a.csv b.csv\n"
                              "stage two train\n  out m.cvae\n",
                              NULL, 0, &err))
            abort();
        g_ready = 1;
    }
    if (size > 65536 || memchr(data, 0, size)) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    PipeState s, back;
    if (cv_pipestate_init(&s, &g_pf, "/tmp", &err) || cv_pipestate_init(&back, &g_pf, "/tmp", &err))
        abort();
    if (cv_pipestate_parse(&s, &g_pf, text, &err) == CV_OK) {
        for (size_t i = 0; i < g_pf.nstages; i++)
            if ((unsigned)s.rec[i].status > PIPE_PREBUILT ||
                (s.rec[i].key[0] && strlen(s.rec[i].key) != 16))
                abort();
        /* save → parse gives the same records (written where fuzz_tmpfile puts its file) */
        const char *path = fuzz_tmp_write("pipestate", (const uint8_t *)"", 0);
        if (path) {
            snprintf(s.file, sizeof s.file, "%s", path);
            char *saved = NULL;
            size_t n;
            if (cv_pipestate_save(&s, &g_pf, 7, &err) == CV_OK &&
                cv_read_file(path, &saved, &n, &err) == CV_OK) {
                if (cv_pipestate_parse(&back, &g_pf, saved, &err) != CV_OK || !same(&s, &back))
                    abort();
            }
            free(saved);
        }
    }
    cv_pipestate_free(&s, &g_pf);
    cv_pipestate_free(&back, &g_pf);
    free(text);
    return 0;
}
