/* fuzz_chem.c — libFuzzer target for the chem boundary on arbitrary bytes: the input up to
 * the first newline is a SMILES, the rest a SMARTS. Invariants: nothing crashes or leaks;
 * a valid molecule has at least one atom, finite scores, QED in (0, 1], SA in [1, 10], a
 * canonical SMILES, penalized logP = logP - SA - ring penalty; a substructure answer is
 * -1, 0 or 1. Inputs are capped at 300 bytes: RDKit's stereo perception is superlinear in
 * chain length (chem.h, CHEM_MAX_SMILES) and long inputs only slow the search down. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int quiet;
    if (!quiet) {
        cv_chem_log_rdkit(0);
        quiet = 1;
    }
    if (size > 300) return 0;
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *smarts = strchr(buf, '\n');
    if (smarts) *smarts++ = '\0';
    ChemScores s;
    char *can = NULL;
    if (cv_chem_score_smiles(buf, &s, &can)) {
        int ring_penalty = s.largest_ring > 6 ? s.largest_ring - 6 : 0;
        if (!can || s.num_atoms < 1 || !isfinite(s.mw) || !isfinite(s.logp) ||
            !(s.qed > 0 && s.qed <= 1) || !(s.sa >= 1 && s.sa <= 10) ||
            fabs(s.penalized_logp - (s.logp - s.sa - ring_penalty)) > 1e-9)
            abort();
    } else if (can) {
        abort();
    }
    free(can);
    if (smarts) {
        int r = cv_chem_has_substruct(buf, smarts);
        if (r < -1 || r > 1) abort();
    }
    free(buf);
    return 0;
}
