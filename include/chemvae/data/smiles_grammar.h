/* smiles_grammar.h — which tokens can follow a SMILES prefix: the decoding constraint.
 *
 * A character decoder knows from the prefix alone much of what can still complete it to
 * a molecule: whether a branch is open, which ring-closure digits are open (on which atom,
 * with which bond), and how much valence each atom has left. SmilesGrammar classifies a
 * vocabulary's tokens once (atom with element, charge, explicit H, aromaticity; bond and
 * its order; branch; ring digit; specials); SmilesState is one decoding row's prefix,
 * updated token by token in O(1); cv_smiles_state_allowed() lists the tokens that keep the
 * prefix completable:
 *   - the first token is an atom; a bond or '(' is followed by an atom (a bond may also
 *     precede a ring digit); ')' needs an open branch; '(' and ring digits follow an atom;
 *   - a ring digit either opens a ring on the current atom or closes the open ring of that
 *     digit on another atom that it is not already bonded to, with matching bond orders;
 *   - SMILES_VALENCE mode: no bond (chain, branch or ring) exceeds either atom's valence,
 *     from RDKit's default valences (maximum of the element's list, shifted by the formal
 *     charge as RDKit's explicit-valence check does; bracket atoms' explicit H count; an
 *     aromatic atom that must carry a ring double bond keeps one unit for it), and <end>
 *     needs every aromatic atom to have at least two aromatic bonds;
 *   - <end> needs nothing open and the last token to end an atom (an atom, ring digit or
 *     ')');
 *   - near the length limit, only tokens after which everything can still be closed in the
 *     steps left.
 * The rules are necessary conditions for RDKit to accept the string, not sufficient ones
 * (kekulization, for one, is decided on the whole molecule): the mask removes most invalid
 * strings, RDKit still judges the result. The mask never forbids a token of a valid
 * SMILES written with the vocabulary (tests/test_smiles_grammar.c walks ZINC molecules).
 * Fragments ('.') are never allowed. */
#ifndef CHEMVAE_SMILES_GRAMMAR_H
#define CHEMVAE_SMILES_GRAMMAR_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/core/error.h"

enum { SMILES_NONE = 0, SMILES_SYNTAX = 1, SMILES_VALENCE = 2 }; /* constraint modes */

/* Why a decoded string is not a molecule (stored with each invalid generation). */
typedef enum {
    SMILES_OK = 0,
    SMILES_FAIL_SYNTAX,      /* token order (bond without atom, empty or unclosed branch, ...) */
    SMILES_FAIL_RING,        /* ring closure unclosed, onto its own atom or a duplicate bond */
    SMILES_FAIL_VALENCE,     /* an atom with more bonds than its valence allows */
    SMILES_FAIL_AROMATICITY, /* aromatic atoms RDKit cannot kekulize / outside a ring */
    SMILES_FAIL_LENGTH,      /* the decoder hit the maximum length before <end> */
    SMILES_FAIL_OTHER,
    SMILES_FAIL_COUNT
} SmilesFailure;

/* "ok", "syntax", "ring", "valence", "aromaticity", "length", "other". */
const char *cv_smiles_failure_name(SmilesFailure f);
/* "none", "syntax", "valence"; cv_smiles_constrain_parse returns -1 for an unknown name. */
const char *cv_smiles_constrain_name(int mode);
int cv_smiles_constrain_parse(const char *name, int *mode);

#define SMILES_MAX_ATOMS 128
#define SMILES_MAX_DEPTH 32
#define SMILES_MAX_RINGS 100 /* digits 1-9 and %10-%99 */

enum {
    SMILES_TOK_SPECIAL,
    SMILES_TOK_ATOM,
    SMILES_TOK_BOND,
    SMILES_TOK_OPEN,
    SMILES_TOK_CLOSE,
    SMILES_TOK_RING,
    SMILES_TOK_DOT,
    SMILES_TOK_UNKNOWN
};

typedef struct {
    uint8_t kind;     /* SMILES_TOK_* */
    uint8_t order;    /* bonds: 1, 2, 3 (':' counts 1); ring: 0 */
    uint8_t aromatic; /* atoms: lowercase symbol */
    int8_t capacity;  /* atoms: bond units it can take (valence − explicit H) */
    uint8_t pi;       /* atoms: aromatic atom that owes a double bond (c, [n+], ...) */
    int8_t dv;        /* atoms: default valence (charge-shifted) − explicit H */
    uint8_t kek_c;    /* atoms: organic-subset aromatic c (implicit H: always owes π) */
    int16_t cls;      /* atoms: tokens with equal (aromatic, capacity, pi, dv, kek_c) share
                         a class: the state machine cannot tell them apart */
    int8_t ring;      /* ring tokens: 0..99 */
} SmilesToken;

typedef struct {
    int V;
    int end_id;       /* the vocabulary's <end> */
    int n_cls;        /* atom classes */
    SmilesToken *tok; /* (V) */
} SmilesGrammar;

/* Classifies tokens[0..V) (a chemvae vocabulary: <pad>, <start>, <end>, <unk> first, then
 * SMILES tokens). A token it cannot read is SMILES_TOK_UNKNOWN and never allowed.
 * CV_ERR_INVALID when <end> is missing. Free with cv_smiles_grammar_free. */
CvStatus cv_smiles_grammar_init(SmilesGrammar *g, const char *const *tokens, int V, CvError *err);
void cv_smiles_grammar_free(SmilesGrammar *g);

typedef struct {
    int16_t n_atoms, cur, depth, len; /* atoms so far, the atom bonds attach to, open
                                         branches, tokens so far */
    uint8_t last;                     /* kind of the last token (SMILES_TOK_SPECIAL = none) */
    uint8_t bond;                     /* order of a pending bond symbol, 0 = none */
    uint8_t bond_explicit;            /* the pending bond was written */
    int16_t n_rings;                  /* open ring digits */
    int16_t n_arom;                   /* aromatic atoms */
    int16_t arom_short;               /* aromatic atoms with < 2 aromatic bonds */
    uint8_t bond_ringok;              /* the pending bond follows an atom or ring digit */
    int16_t branch_atom[SMILES_MAX_DEPTH];
    int16_t ring_atom[SMILES_MAX_RINGS]; /* -1 = closed */
    uint8_t ring_order[SMILES_MAX_RINGS];
    int8_t left[SMILES_MAX_ATOMS];     /* valence units left per atom */
    uint8_t arom[SMILES_MAX_ATOMS];    /* 1 aromatic atom, + aromatic bonds (saturating) */
    int16_t parent[SMILES_MAX_ATOMS];  /* chain neighbour the atom was bonded to, -1 none */
    uint8_t open_at[SMILES_MAX_ATOMS]; /* open ring digits on the atom */
    uint8_t pi[SMILES_MAX_ATOMS];      /* still owes its Kekulé double bond */
    uint8_t deg[SMILES_MAX_ATOMS];     /* bonded neighbours so far */
    uint8_t dbl[SMILES_MAX_ATOMS];     /* has a bond of order >= 2 */
    int8_t dv[SMILES_MAX_ATOMS];       /* token's dv */
    uint8_t kek_c[SMILES_MAX_ATOMS];   /* token's kek_c */
    uint8_t n_nb[SMILES_MAX_ATOMS];    /* aromatic-bond neighbours (up to 4) */
    int16_t nb[SMILES_MAX_ATOMS][4];
    uint8_t n_adj[SMILES_MAX_ATOMS]; /* every bonded neighbour (up to 8): a ring closure
                                        must not bond two atoms twice */
    int16_t adj[SMILES_MAX_ATOMS][8];
} SmilesState;

void cv_smiles_state_reset(SmilesState *s);

/* Marks allowed[k] = 1 for every token k that may follow the prefix in `mode`
 * (SMILES_SYNTAX or SMILES_VALENCE; SMILES_NONE allows everything) when at most
 * `steps_left` more tokens, the <end> included, can be emitted. Returns how many are
 * allowed. Each candidate is pushed and undone: *s is modified during the call and
 * restored exactly before it returns. */
int cv_smiles_state_allowed(const SmilesGrammar *g, SmilesState *s, int mode, int steps_left,
                            uint8_t *allowed);

/* Whether the single token k may follow the prefix: the same verdict as allowed[k] of
 * cv_smiles_state_allowed, at a fraction of the cost when only one token is asked about
 * (greedy decoding asks about its argmax first). *s is restored before it returns. */
int cv_smiles_state_allows(const SmilesGrammar *g, SmilesState *s, int mode, int steps_left, int k);

/* Why token k cannot follow the prefix under SMILES_VALENCE rules (SMILES_OK if it can),
 * ignoring the length limit. */
SmilesFailure cv_smiles_state_check(const SmilesGrammar *g, const SmilesState *s, int k);

/* Appends token k (assumed allowed; an unchecked token is applied as far as it makes
 * sense, so the state stays usable for classification). */
void cv_smiles_state_push(const SmilesGrammar *g, SmilesState *s, int k);

/* Walks ids[0..n) (stopping at <end>) and returns the first rule they break, in the
 * order SMILES_FAIL_SYNTAX / RING / VALENCE / AROMATICITY, SMILES_FAIL_LENGTH when no
 * <end> came within n, or SMILES_OK when the state machine accepts the whole string. */
SmilesFailure cv_smiles_grammar_classify(const SmilesGrammar *g, const int32_t *ids, size_t n);

/* Why the decoded row ids[0..T) (its string `raw`) is not a molecule: SMILES_FAIL_LENGTH
 * when the row has no <end>; else the first rule of grammar g it breaks (g NULL-able);
 * else RDKit's own reason (parse → syntax, valence, kekulization → aromaticity, other).
 * Call it on strings RDKit rejected (smiles_failure.c). */
SmilesFailure cv_smiles_failure_classify(const SmilesGrammar *g, const int32_t *ids, size_t T,
                                         const char *raw);

#endif
