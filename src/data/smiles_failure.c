/* smiles_failure.c — why a decoded string is not a molecule (contract in
 * include/chemvae/data/smiles_grammar.h): the decoder's own record (no <end>), the grammar's
 * first broken rule, then RDKit's reason. */
#include "chemvae/chem/chem.h"
#include "chemvae/data/smiles_grammar.h"
#include "chemvae/data/vocab.h"

SmilesFailure cv_smiles_failure_classify(const SmilesGrammar *g, const int32_t *ids, size_t T,
                                         const char *raw) {
    size_t t = 0;
    while (t < T && ids[t] != VOCAB_END) t++;
    if (t == T) return SMILES_FAIL_LENGTH;
    if (g) {
        SmilesFailure f = cv_smiles_grammar_classify(g, ids, t + 1);
        if (f != SMILES_OK) return f;
    }
    switch (cv_chem_failure(raw)) {
    case CHEM_FAIL_PARSE:
        return SMILES_FAIL_SYNTAX;
    case CHEM_FAIL_VALENCE:
        return SMILES_FAIL_VALENCE;
    case CHEM_FAIL_KEKULIZE:
        return SMILES_FAIL_AROMATICITY;
    default:
        return SMILES_FAIL_OTHER;
    }
}
