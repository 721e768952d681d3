/* fuzz_pipefile.c — libFuzzer target for the pipeline-file parser. Arbitrary text (the
 * first line may carry --set overrides) through cv_pipefile_parse: refused with a message, or
 * parsed into stages whose names are unique and at most PIPEFILE_MAX_STAGE_NAME bytes, each
 * with a command; every variable lookup and ${RUN} substitution works on what it holds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/pipeline/pipefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 65536) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *overrides[] = {"OUT=fuzz-out", "EPOCHS=2"};
    PipeFile pf;
    CvError err;
    if (cv_pipefile_parse(&pf, "fuzz.pipeline", text, overrides, 2, &err) == CV_OK) {
        for (size_t i = 0; i < pf.nstages; i++) {
            const PipeStage *s = &pf.stages[i];
            if (!s->name || !s->command || strlen(s->name) > PIPEFILE_MAX_STAGE_NAME) abort();
            if (cv_pipefile_find_stage(&pf, s->name) != (int)i) abort();
            for (size_t k = 0; k < s->args.n; k++) free(cv_pipefile_subst_run(s->args.v[k], "42"));
        }
        (void)cv_pipefile_var(&pf, "OUT");
        cv_pipefile_free(&pf);
    }
    free(text);
    return 0;
}
