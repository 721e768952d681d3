/* fuzz_smiles_grammar.c — libFuzzer target for the decoding constraint's state machine
 * (smiles_grammar.h) over the bundled ZINC vocabulary.
 * Input bytes drive two walks:
 *   - masked: each byte picks one of the tokens cv_smiles_state_allowed() allows (valence
 *     mode, the first byte sets the length limit); whenever <end> is picked, the string
 *     must be one the state machine accepts whole (nothing open), and it must never pass
 *     the length limit;
 *   - raw: the bytes as token ids pushed without a mask, then classified: arbitrary
 *     sequences (unbalanced branches, ring digits out of order, 200+ atoms) must not break
 *     the state's bounds (ASan/UBSan watch). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/data/smiles_grammar.h"
#include "chemvae/data/vocab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SmilesGrammar g_grammar; /* built once from the vocabulary file: read-only after */
static int g_ready;

static const SmilesGrammar *grammar(void) {
    if (!g_ready) {
        CvVocab v;
        CvError err = {0};
        if (cv_vocab_load(&v, "vocab/zinc.vocab", &err) != CV_OK) abort();
        if (cv_smiles_grammar_init(&g_grammar, (const char *const *)v.tokens, (int)v.n, &err) !=
            CV_OK)
            abort();
        cv_vocab_free(&v);
        g_ready = 1;
    }
    return &g_grammar;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const SmilesGrammar *g = grammar();
    if (size == 0 || size > 4096) return 0;
    SmilesState s;
    uint8_t allowed[256];
    int32_t ids[256];
    int T = 4 + data[0] % 120, t = 0;
    cv_smiles_state_reset(&s);
    for (size_t i = 1; i < size && t < T; i++, t++) {
        int n = cv_smiles_state_allowed(g, &s, SMILES_VALENCE, T - t, allowed);
        if (n == 0) break; /* a dead end: the decoder falls back to the syntax mask */
        int pick = data[i] % n, k = 0;
        for (;; k++)
            if (allowed[k] && pick-- == 0) break;
        ids[t] = k;
        if (k == g->end_id) {
            if (cv_smiles_grammar_classify(g, ids, (size_t)t + 1) != SMILES_OK) abort();
            break;
        }
        cv_smiles_state_push(g, &s, k);
    }
    if (t >= T) abort(); /* the length rule must have ended the walk */

    cv_smiles_state_reset(&s);
    int32_t raw[4096];
    for (size_t i = 0; i < size; i++) {
        raw[i] = data[i] % (g->V + 2) - 1; /* includes ids outside 0..V-1 */
        (void)cv_smiles_state_check(g, &s, raw[i]);
        cv_smiles_state_push(g, &s, raw[i]);
    }
    (void)cv_smiles_grammar_classify(g, raw, size);
    return 0;
}
