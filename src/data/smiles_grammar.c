/* smiles_grammar.c — SMILES prefix state machine and the decoding mask (contract in
 * include/chemvae/data/smiles_grammar.h).
 *
 * Valence units: a bond of order k takes k units from both atoms; an aromatic bond takes
 * one. An atom's capacity is RDKit's largest default valence for its element shifted by
 * the formal charge (N+ 4, O- 1, C± 3, B- 4), minus its explicit hydrogens (bracket atoms;
 * organic-subset atoms get implicit H only up to what is left, which RDKit never counts
 * against them). Aromatic carbon and cationic aromatic atoms must carry a double bond in
 * the Kekulé form: until one of their bonds is a double bond (a ring double bond, or an
 * exocyclic one as in c(=O)), they keep one unit free for it. Neutral aromatic n, o, s, p
 * owe nothing (pyrrole-type atoms give their lone pair instead).
 *
 * Kekulization: each aromatic atom records its aromatic neighbours; after a token that
 * touches an aromatic atom, kekule_feasible() looks for a matching over the aromatic bonds
 * that pairs every closed atom needing a double bond (RDKit's rule: default valence minus
 * degree and hydrogens) with a neighbour that can take one (closed and needing, or still
 * open with valence to spare). It is a small backtracking search with a step budget; when
 * the budget runs out it answers yes (the mask stays permissive).
 *
 * Judging a token: push it, test the new state, undo (Undo saves the few fields a push
 * changes). Atom tokens with equal properties form a class and are judged once per step;
 * a bond after an aromatic atom and a ring closure are judged one step further ahead.
 *
 * Length: need() is a lower bound on the tokens still needed before <end> (one ')' per
 * open branch, one digit per open ring, the atoms a ring needs before it can close, an
 * atom after a bond or '('). A token adds at most 2 to it, so the length rule is checked
 * only in the last few steps. */
#include "chemvae/data/smiles_grammar.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const FAILURE_NAMES[SMILES_FAIL_COUNT] = {
    "ok", "syntax", "ring", "valence", "aromaticity", "length", "other"};
static const char *const MODE_NAMES[] = {"none", "syntax", "valence"};

const char *cv_smiles_failure_name(SmilesFailure f) {
    return (unsigned)f < SMILES_FAIL_COUNT ? FAILURE_NAMES[f] : "other";
}

const char *cv_smiles_constrain_name(int mode) {
    return mode >= 0 && mode <= SMILES_VALENCE ? MODE_NAMES[mode] : "?";
}

int cv_smiles_constrain_parse(const char *name, int *mode) {
    for (int i = 0; i <= SMILES_VALENCE; i++)
        if (name && !strcmp(name, MODE_NAMES[i])) {
            *mode = i;
            return 0;
        }
    return -1;
}

/* ---- token classification -------------------------------------------------------- */

typedef struct {
    const char *sym;
    int maxv;  /* largest default valence in RDKit's periodic table */
    int early; /* RDKit's "early atom": a positive charge lowers the valence */
    int dv;    /* smallest (default) valence */
} Element;

static const Element ELEMENTS[] = {
    {"H", 1, 1, 1}, {"B", 3, 1, 3},  {"C", 4, 0, 4},  {"N", 3, 0, 3},
    {"O", 2, 0, 2}, {"F", 1, 0, 1},  {"Si", 4, 0, 4}, {"P", 7, 0, 3},
    {"S", 6, 0, 2}, {"Cl", 1, 0, 1}, {"Se", 6, 0, 2}, {"Br", 1, 0, 1},
    {"I", 5, 0, 1}, {"As", 7, 0, 3}, {"Te", 6, 0, 2}, {"Ge", 4, 0, 4},
};

/* The charge shift RDKit applies to valences (see atom_capacity). */
static int charge_shift(const Element *e, int charge, int is_carbon) {
    int chr = charge;
    if (e->early) chr = -chr;
    if (is_carbon && chr > 0) chr = -chr;
    return chr;
}

static const Element *element_find(const char *sym, size_t len) {
    for (size_t i = 0; i < sizeof ELEMENTS / sizeof ELEMENTS[0]; i++)
        if (strlen(ELEMENTS[i].sym) == len && !strncmp(ELEMENTS[i].sym, sym, len))
            return &ELEMENTS[i];
    return NULL;
}

/* Capacity of an atom (see the file comment); unknown elements get a permissive 8. */
static int atom_capacity(const Element *e, int charge, int hcount, int is_carbon) {
    if (!e) return 8;
    int cap = e->maxv + charge_shift(e, charge, is_carbon) - hcount;
    return cap < 0 ? 0 : cap > 100 ? 100 : cap;
}

/* Aromatic carbon and cationic aromatic atoms carry a double bond in the Kekulé form. */
static int needs_pi(int aromatic, int charge, int is_carbon) {
    return aromatic && ((is_carbon && charge == 0) || charge > 0);
}

/* Reads an element symbol at p (organic or bracket): sets *arom for lowercase aromatic
 * symbols; returns the symbol's length, 0 if none. */
static size_t read_symbol(const char *p, char *sym, int *arom) {
    static const char *const AROM[] = {"se", "as", "te", "b", "c", "n", "o", "p", "s"};
    *arom = 0;
    for (size_t i = 0; i < sizeof AROM / sizeof AROM[0]; i++) {
        size_t n = strlen(AROM[i]);
        if (!strncmp(p, AROM[i], n)) {
            sym[0] = (char)(AROM[i][0] - 'a' + 'A');
            sym[1] = n > 1 ? AROM[i][1] : 0;
            sym[2] = 0;
            *arom = 1;
            return n;
        }
    }
    if (p[0] < 'A' || p[0] > 'Z') return 0;
    sym[0] = p[0];
    sym[1] = (p[1] >= 'a' && p[1] <= 'z') ? p[1] : 0;
    sym[2] = 0;
    return sym[1] ? 2 : 1;
}

static void classify_bracket(const char *t, SmilesToken *out) {
    size_t n = strlen(t);
    if (n < 3 || t[n - 1] != ']') return;
    const char *p = t + 1;
    while (*p >= '0' && *p <= '9') p++; /* isotope */
    char sym[3];
    int arom;
    size_t k = read_symbol(p, sym, &arom);
    if (!k) return;
    /* a two-letter uppercase symbol that is not an element: back off to one letter */
    const Element *e = element_find(sym, strlen(sym));
    if (!e && !arom && sym[1]) {
        sym[1] = 0;
        k = 1;
        e = element_find(sym, 1);
    }
    p += k;
    while (*p == '@') p++;
    int h = 0, charge = 0;
    if (*p == 'H') {
        p++;
        h = 1;
        if (*p >= '0' && *p <= '9') h = *p++ - '0';
    }
    while (*p == '+' || *p == '-') {
        int sign = *p++ == '+' ? 1 : -1;
        if (*p >= '0' && *p <= '9') charge += sign * (*p++ - '0');
        else charge += sign;
    }
    if (*p == ':') /* atom class */
        for (p++; *p >= '0' && *p <= '9';) p++;
    if (*p != ']') return;
    out->kind = SMILES_TOK_ATOM;
    out->aromatic = (uint8_t)arom;
    out->capacity = (int8_t)atom_capacity(e, charge, h, !strcmp(sym, "C"));
    out->pi = (uint8_t)needs_pi(arom, charge, !strcmp(sym, "C"));
    out->dv = (int8_t)(e ? e->dv + charge_shift(e, charge, !strcmp(sym, "C")) - h : 0);
}

static void classify(const char *t, SmilesToken *out) {
    memset(out, 0, sizeof *out);
    out->kind = SMILES_TOK_UNKNOWN;
    size_t n = strlen(t);
    if (n == 0) return;
    if (t[0] == '<') {
        out->kind = SMILES_TOK_SPECIAL;
        return;
    }
    if (n == 1) {
        switch (t[0]) {
        case '(':
            out->kind = SMILES_TOK_OPEN;
            return;
        case ')':
            out->kind = SMILES_TOK_CLOSE;
            return;
        case '.':
            out->kind = SMILES_TOK_DOT;
            return;
        case '-':
        case '/':
        case '\\':
        case ':':
            out->kind = SMILES_TOK_BOND;
            out->order = 1;
            /* 1: ':' is aromatic; 2: '/' and '\\' are aromatic between aromatic atoms */
            out->aromatic = t[0] == ':' ? 1 : t[0] == '-' ? 0 : 2;
            return;
        case '=':
            out->kind = SMILES_TOK_BOND;
            out->order = 2;
            return;
        case '#':
            out->kind = SMILES_TOK_BOND;
            out->order = 3;
            return;
        default:
            break;
        }
        if (t[0] >= '0' && t[0] <= '9') {
            out->kind = SMILES_TOK_RING;
            out->ring = (int8_t)(t[0] - '0');
            return;
        }
    }
    if (t[0] == '%' && n == 3 && t[1] >= '0' && t[1] <= '9' && t[2] >= '0' && t[2] <= '9') {
        out->kind = SMILES_TOK_RING;
        out->ring = (int8_t)((t[1] - '0') * 10 + (t[2] - '0'));
        return;
    }
    if (t[0] == '[') {
        classify_bracket(t, out);
        return;
    }
    /* organic subset */
    char sym[3];
    int arom;
    size_t k = read_symbol(t, sym, &arom);
    const Element *e = k == n ? element_find(sym, strlen(sym)) : NULL;
    static const char ORGANIC[] = " B C N O P S F Cl Br I ";
    char key[6];
    snprintf(key, sizeof key, " %s ", sym);
    if (!e || !strstr(ORGANIC, key) || (arom && !strchr("BCNOPS", sym[0])) || (sym[1] && arom))
        return;
    out->kind = SMILES_TOK_ATOM;
    out->aromatic = (uint8_t)arom;
    out->capacity = (int8_t)atom_capacity(e, 0, 0, !strcmp(sym, "C"));
    out->pi = (uint8_t)needs_pi(arom, 0, !strcmp(sym, "C"));
    out->dv = (int8_t)e->dv;
    out->kek_c = (uint8_t)(arom && !strcmp(sym, "C"));
}

CvStatus cv_smiles_grammar_init(SmilesGrammar *g, const char *const *tokens, int V, CvError *err) {
    memset(g, 0, sizeof *g);
    g->V = V;
    g->end_id = -1;
    g->tok = calloc((size_t)(V > 0 ? V : 1), sizeof *g->tok);
    if (!g->tok) return cv_error_set(err, CV_ERR_NOMEM, "out of memory (SMILES grammar)");
    for (int k = 0; k < V; k++) {
        classify(tokens[k], &g->tok[k]);
        if (!strcmp(tokens[k], "<end>")) g->end_id = k;
    }
    /* atom classes: the mask of an atom token depends only on these properties, so
     * cv_smiles_state_allowed judges one token per class */
    for (int k = 0; k < V; k++) {
        SmilesToken *t = &g->tok[k];
        t->cls = -1;
        if (t->kind != SMILES_TOK_ATOM) continue;
        for (int j = 0; j < k && t->cls < 0; j++) {
            const SmilesToken *o = &g->tok[j];
            if (o->kind == SMILES_TOK_ATOM && o->aromatic == t->aromatic &&
                o->capacity == t->capacity && o->pi == t->pi && o->dv == t->dv &&
                o->kek_c == t->kek_c)
                t->cls = o->cls;
        }
        if (t->cls < 0) t->cls = (int16_t)g->n_cls++;
    }
    if (g->end_id < 0) {
        cv_smiles_grammar_free(g);
        return cv_error_set(err, CV_ERR_INVALID, "the vocabulary has no <end> token");
    }
    return CV_OK;
}

void cv_smiles_grammar_free(SmilesGrammar *g) {
    if (!g) return;
    free(g->tok);
    memset(g, 0, sizeof *g);
}

/* ---- the state machine ----------------------------------------------------------- */

void cv_smiles_state_reset(SmilesState *s) {
    memset(s, 0, offsetof(SmilesState, branch_atom));
    s->cur = -1;
    s->last = SMILES_TOK_SPECIAL;
    memset(s->ring_atom, 0xff, sizeof s->ring_atom); /* -1 */
    memset(s->ring_order, 0, sizeof s->ring_order);
}

static int after_atom(const SmilesState *s) {
    return s->n_atoms > 0 && s->cur >= 0 &&
           (s->last == SMILES_TOK_ATOM || s->last == SMILES_TOK_RING ||
            s->last == SMILES_TOK_CLOSE);
}

/* Order and aromaticity of the bond a new atom (aromatic `arom`) makes with cur. */
static int chain_bond(const SmilesState *s, int arom, int *aromatic_bond) {
    int cur_arom = s->cur >= 0 && s->arom[s->cur];
    if (s->bond) {
        *aromatic_bond = s->bond_explicit == 2 || (s->bond_explicit == 3 && cur_arom && arom);
        return s->bond;
    }
    *aromatic_bond = cur_arom && arom;
    return 1;
}

/* A ring digit r closing onto cur: the bond order (0 when the orders conflict). */
static int ring_bond(const SmilesState *s, int r, int *aromatic_bond) {
    int op = s->ring_order[r], cp = s->bond, opener = s->ring_atom[r];
    if (op && cp && op != cp) return 0;
    int o = op ? op : cp;
    *aromatic_bond = (!o || (cp && s->bond_explicit != 1)) && s->arom[opener] && s->arom[s->cur];
    return o ? o : 1;
}

static void add_aromatic_bond(SmilesState *s, int a);

/* Whether atom a can take one more bond of order o: an atom still owing its ring double
 * bond keeps one unit for it unless this bond is that double bond. */
static int room(const SmilesState *s, int a, int o) {
    if (a < 0) return 0;
    return s->left[a] >= o + (s->pi[a] && o < 2 ? 1 : 0);
}

/* Whether atom a can take a bond of order o and still continue the chain after it (a
 * branch must leave the main chain a way on). */
static int room_after(const SmilesState *s, int a, int o) {
    if (a < 0) return 0;
    return s->left[a] >= o + 1 + (s->pi[a] && o < 2 ? 1 : 0);
}

/* Takes a bond of order o from atom a. */
static void take(SmilesState *s, int a, int o) {
    s->left[a] = (int8_t)(s->left[a] - o);
    if (o >= 2) s->pi[a] = 0, s->dbl[a] = 1;
}

/* Whether atoms a and b are already bonded. */
static int bonded(const SmilesState *s, int a, int b) {
    if (a < 0 || b < 0) return 0;
    for (int i = 0; i < s->n_adj[a]; i++)
        if (s->adj[a][i] == b) return 1;
    return 0;
}

/* Records a bond between atoms a and b (degree; aromatic neighbours for kekulization). */
static void link(SmilesState *s, int a, int b, int aromatic_bond) {
    s->deg[a]++;
    s->deg[b]++;
    if (s->n_adj[a] < 8) s->adj[a][s->n_adj[a]++] = (int16_t)b;
    if (s->n_adj[b] < 8) s->adj[b][s->n_adj[b]++] = (int16_t)a;
    if (!aromatic_bond) return;
    if (s->n_nb[a] < 4) s->nb[a][s->n_nb[a]++] = (int16_t)b;
    if (s->n_nb[b] < 4) s->nb[b][s->n_nb[b]++] = (int16_t)a;
    add_aromatic_bond(s, a);
    add_aromatic_bond(s, b);
}

/* ---- kekulization feasibility ---------------------------------------------------- */

/* Whether a closed aromatic atom needs a double bond in the Kekulé form, as RDKit
 * decides: organic c always (its implicit H fills the rest), any other atom when its
 * default valence exceeds its bonds; an atom with a double bond already has one. */
static int kekule_needs(const SmilesState *s, int a, int extra_bonds) {
    if (s->dbl[a]) return 0;
    if (s->kek_c[a]) return 1;
    return s->dv[a] - s->deg[a] - extra_bonds >= 1;
}

typedef struct {
    const SmilesState *s;
    int8_t status[SMILES_MAX_ATOMS]; /* 0 out, 1 may take a double bond, 2 must */
    int8_t mate[SMILES_MAX_ATOMS];   /* matched: 1 */
    int budget;
    const uint8_t (*ring_nb)[4]; /* finished molecule: ring_nb[a][i] = nb[a][i] is a ring
                                    bond (RDKit makes the others single); NULL = any */
} Kekule;

/* Ring bonds of the finished molecule: Tarjan's bridge finding over every bond (a bond is
 * in a ring iff it is no bridge), read back by ring_bonds() for the aromatic-neighbour
 * lists. Recursion depth <= atoms (128). */
typedef struct {
    const SmilesState *s;
    int16_t disc[SMILES_MAX_ATOMS], low[SMILES_MAX_ATOMS];
    uint8_t bridge[SMILES_MAX_ATOMS][8]; /* per adj entry */
    int time;
} Bridges;

static void bridge_dfs(Bridges *b, int u, int parent) {
    const SmilesState *s = b->s;
    b->disc[u] = b->low[u] = (int16_t)++b->time;
    int skipped_parent = 0;
    for (int i = 0; i < s->n_adj[u]; i++) {
        int v = s->adj[u][i];
        if (v == parent && !skipped_parent) { /* the tree edge back up (no multi-bonds) */
            skipped_parent = 1;
            continue;
        }
        if (!b->disc[v]) {
            bridge_dfs(b, v, u);
            if (b->low[v] < b->low[u]) b->low[u] = b->low[v];
            if (b->low[v] > b->disc[u]) { /* u–v is a bridge: mark both directions */
                b->bridge[u][i] = 1;
                for (int j = 0; j < s->n_adj[v]; j++)
                    if (s->adj[v][j] == u) b->bridge[v][j] = 1;
            }
        } else if (b->disc[v] < b->low[u]) {
            b->low[u] = b->disc[v];
        }
    }
}

/* 0 when an aromatic atom of the finished molecule is in no ring (RDKit: "non-ring atom
 * marked aromatic"); else fills ring_nb. */
static int ring_bonds(const SmilesState *s, uint8_t ring_nb[][4]) {
    Bridges b;
    memset(&b, 0, sizeof b);
    b.s = s;
    for (int a = 0; a < s->n_atoms; a++)
        if (!b.disc[a]) bridge_dfs(&b, a, -1);
    for (int a = 0; a < s->n_atoms; a++) {
        int any_ring = 0;
        for (int i = 0; i < s->n_adj[a]; i++) any_ring |= !b.bridge[a][i];
        if (s->arom[a] && !any_ring) return 0;
        for (int i = 0; i < s->n_nb[a]; i++) {
            ring_nb[a][i] = 0;
            for (int j = 0; j < s->n_adj[a]; j++)
                if (s->adj[a][j] == s->nb[a][i] && !b.bridge[a][j]) ring_nb[a][i] = 1;
        }
    }
    return 1;
}

static int kekule_match(Kekule *k, int from) {
    if (--k->budget < 0) return 1; /* undecided within budget: permissive */
    const SmilesState *s = k->s;
    int a = from;
    while (a < s->n_atoms && (k->status[a] != 2 || k->mate[a])) a++;
    if (a >= s->n_atoms) return 1;
    k->mate[a] = 1;
    for (int i = 0; i < s->n_nb[a]; i++) {
        int b = s->nb[a][i];
        if (k->status[b] == 0 || k->mate[b] || (k->ring_nb && !k->ring_nb[a][i])) continue;
        k->mate[b] = 1;
        if (kekule_match(k, a + 1)) return 1;
        k->mate[b] = 0;
    }
    k->mate[a] = 0;
    return 0;
}

/* Whether the aromatic atoms can still be kekulized: every closed atom that needs a
 * double bond can be paired with an aromatic neighbour that can take one (closed and
 * needing, or still open). all_closed: judge the finished molecule; cur_closed: 1 the
 * current atom gets no further aromatic partner, 2 it gets a double bond outside the
 * aromatic system (so needs none inside it). */
static int kekule_feasible(const SmilesState *s, int all_closed, int cur_closed) {
    if (s->n_arom == 0) return 1;
    Kekule k;
    k.s = s;
    k.budget = 4000;
    k.ring_nb = NULL;
    uint8_t ring_nb[SMILES_MAX_ATOMS][4];
    if (all_closed) { /* the finished molecule: only ring bonds stay aromatic */
        if (!ring_bonds(s, ring_nb)) return 0;
        k.ring_nb = (const uint8_t(*)[4])ring_nb;
    }
    uint8_t stacked[SMILES_MAX_ATOMS];
    memset(stacked, 0, (size_t)s->n_atoms);
    for (int i = 0; i < s->depth && i < SMILES_MAX_DEPTH; i++)
        if (s->branch_atom[i] >= 0) stacked[s->branch_atom[i]] = 1;
    for (int a = 0; a < s->n_atoms; a++) {
        k.mate[a] = 0;
        k.status[a] = 0;
        if (!s->arom[a] || s->dbl[a] || (a == s->cur && cur_closed == 2)) continue;
        /* closed: no further aromatic partner can come (left behind, or no valence left
         * for another bond, and no open ring digit to bring one) */
        int full = !room(s, a, 1) && !room(s, a, 2);
        int closed = all_closed ||
                     (s->open_at[a] == 0 && ((a != s->cur || cur_closed) && !stacked[a])) ||
                     (s->open_at[a] == 0 && full);
        /* after a '-' the current atom is about to get one more (single) bond */
        if (closed)
            k.status[a] = kekule_needs(s, a, a == s->cur && cur_closed == 1 && !all_closed) ? 2 : 0;
        else {
            /* open: it still needs m more aromatic bonds (two in all; open ring digits bring
             * theirs), and can take a double bond only with a unit left beyond those */
            int m = 3 - s->arom[a] - s->open_at[a];
            if (m < 0) m = 0;
            /* the chain's end atom at depth 0 with rings open must bond onward */
            if (a == s->cur && s->depth == 0 && s->n_rings > 0 && m < 1) m = 1;
            int can_pi = s->left[a] - m >= 1;
            int future_deg = s->deg[a] + s->open_at[a] + m;
            k.status[a] = can_pi && (s->kek_c[a] || s->dv[a] - future_deg >= 1) ? 1 : 0;
        }
    }
    return kekule_match(&k, 0);
}

static int can_end(const SmilesState *s, int mode) {
    return after_atom(s) && s->depth == 0 && s->n_rings == 0 &&
           (mode != SMILES_VALENCE || (s->arom_short == 0 && kekule_feasible(s, 1, 1)));
}

SmilesFailure cv_smiles_state_check(const SmilesGrammar *g, const SmilesState *s, int k) {
    if (k < 0 || k >= g->V) return SMILES_FAIL_SYNTAX;
    const SmilesToken *t = &g->tok[k];
    switch (t->kind) {
    case SMILES_TOK_SPECIAL:
        if (k != g->end_id) return SMILES_FAIL_SYNTAX;
        if (!after_atom(s) || s->depth) return SMILES_FAIL_SYNTAX;
        if (s->n_rings) return SMILES_FAIL_RING;
        if (s->arom_short || !kekule_feasible(s, 1, 1)) return SMILES_FAIL_AROMATICITY;
        return SMILES_OK;
    case SMILES_TOK_ATOM: {
        if (s->n_atoms >= SMILES_MAX_ATOMS) return SMILES_FAIL_LENGTH;
        if (s->n_atoms == 0) return s->last == SMILES_TOK_SPECIAL ? SMILES_OK : SMILES_FAIL_SYNTAX;
        int ab, o = chain_bond(s, t->aromatic, &ab);
        int fits =
            s->last == SMILES_TOK_OPEN && !s->bond ? room_after(s, s->cur, o) : room(s, s->cur, o);
        if (!fits || t->capacity < o + (t->pi && o < 2 ? 1 : 0)) return SMILES_FAIL_VALENCE;
        return SMILES_OK;
    }
    case SMILES_TOK_BOND:
        if (!(after_atom(s) || (s->last == SMILES_TOK_OPEN && s->n_atoms)))
            return SMILES_FAIL_SYNTAX;
        if (s->last == SMILES_TOK_OPEN ? !room_after(s, s->cur, t->order)
                                       : !room(s, s->cur, t->order))
            return SMILES_FAIL_VALENCE;
        return SMILES_OK;
    case SMILES_TOK_OPEN:
        if (!after_atom(s) || s->depth >= SMILES_MAX_DEPTH) return SMILES_FAIL_SYNTAX;
        if (!room_after(s, s->cur, 1)) return SMILES_FAIL_VALENCE;
        return SMILES_OK;
    case SMILES_TOK_CLOSE:
        return after_atom(s) && s->depth > 0 ? SMILES_OK : SMILES_FAIL_SYNTAX;
    case SMILES_TOK_RING: {
        int r = t->ring;
        int ok_pos = s->n_atoms > 0 && (s->last == SMILES_TOK_ATOM || s->last == SMILES_TOK_RING ||
                                        (s->last == SMILES_TOK_BOND && s->bond_ringok));
        if (!ok_pos || s->cur < 0) return SMILES_FAIL_SYNTAX;
        int opener = s->ring_atom[r];
        if (opener < 0)
            return room(s, s->cur, s->bond ? s->bond : 1) ? SMILES_OK : SMILES_FAIL_VALENCE;
        if (opener == s->cur || bonded(s, s->cur, opener)) return SMILES_FAIL_RING;
        int ab, o = ring_bond(s, r, &ab);
        if (!o) return SMILES_FAIL_RING;
        int reserved = s->ring_order[r] ? s->ring_order[r] : 1;
        if (!room(s, s->cur, o) || (o > reserved && s->left[opener] < o - reserved))
            return SMILES_FAIL_VALENCE;
        return SMILES_OK;
    }
    default:
        return SMILES_FAIL_SYNTAX;
    }
}

static void add_aromatic_bond(SmilesState *s, int a) {
    if (a < 0) return;
    if (!s->arom[a] || s->arom[a] >= 3) return;
    if (++s->arom[a] == 3) s->arom_short--;
}

void cv_smiles_state_push(const SmilesGrammar *g, SmilesState *s, int k) {
    if (k < 0 || k >= g->V) return;
    const SmilesToken *t = &g->tok[k];
    s->len++;
    switch (t->kind) {
    case SMILES_TOK_ATOM: {
        if (s->n_atoms >= SMILES_MAX_ATOMS) break;
        int a = s->n_atoms++;
        s->left[a] = t->capacity;
        s->pi[a] = t->pi;
        s->arom[a] = t->aromatic;
        s->open_at[a] = 0;
        s->parent[a] = -1;
        s->deg[a] = 0;
        s->dbl[a] = 0;
        s->dv[a] = t->dv;
        s->kek_c[a] = t->kek_c;
        s->n_nb[a] = 0;
        s->n_adj[a] = 0;
        if (t->aromatic) s->arom_short++, s->n_arom++;
        if (s->cur >= 0) {
            int ab, o = chain_bond(s, t->aromatic, &ab);
            take(s, s->cur, o);
            take(s, a, o);
            s->parent[a] = s->cur;
            link(s, s->cur, a, ab);
        }
        s->cur = (int16_t)a;
        s->bond = 0;
        s->bond_explicit = 0;
        break;
    }
    case SMILES_TOK_BOND:
        s->bond_ringok = s->last == SMILES_TOK_ATOM || s->last == SMILES_TOK_RING;
        s->bond = t->order;
        s->bond_explicit = (uint8_t)(t->aromatic == 1 ? 2 : t->aromatic == 2 ? 3 : 1);
        break;
    case SMILES_TOK_OPEN:
        if (s->depth < SMILES_MAX_DEPTH) s->branch_atom[s->depth] = s->cur;
        s->depth++;
        break;
    case SMILES_TOK_CLOSE:
        if (s->depth > 0) {
            s->depth--;
            if (s->depth < SMILES_MAX_DEPTH) s->cur = s->branch_atom[s->depth];
        }
        break;
    case SMILES_TOK_RING: {
        int r = t->ring, opener = s->ring_atom[r];
        if (s->cur < 0) break;
        if (opener < 0) {
            s->ring_atom[r] = s->cur;
            s->ring_order[r] = s->bond;
            take(s, s->cur, s->bond ? s->bond : 1);
            s->open_at[s->cur]++;
            s->n_rings++;
        } else {
            int ab, o = ring_bond(s, r, &ab);
            if (!o) o = s->bond ? s->bond : 1;
            int reserved = s->ring_order[r] ? s->ring_order[r] : 1;
            take(s, s->cur, o);
            s->left[opener] = (int8_t)(s->left[opener] - (o - reserved));
            if (o >= 2) s->pi[opener] = 0, s->dbl[opener] = 1;
            link(s, s->cur, opener, ab);
            s->ring_atom[r] = -1;
            s->open_at[opener]--;
            s->n_rings--;
        }
        s->bond = 0;
        s->bond_explicit = 0;
        break;
    }
    default:
        break;
    }
    s->last = t->kind;
}

/* Lower bound on the tokens needed before <end> (see the file comment). */
static int need(const SmilesState *s, int mode) {
    if (s->n_atoms == 0 || s->cur < 0) return 1 + s->depth + s->n_rings;
    int n = s->depth + s->n_rings;
    /* atoms needed before the open rings can close. The rings open on one atom need
     * distinct closing atoms, none bonded to it already: c rings on the current atom need
     * c + 1 more atoms (its next neighbour cannot close any), c rings elsewhere need c,
     * or c − 1 when the current atom can still close one of them itself (right after an
     * atom or ring digit, or a bond that may precede a digit; not after '(' or ')').
     * extra_c / extra_n: with / without the current atom closing one. */
    uint8_t per[SMILES_MAX_ATOMS];
    memset(per, 0, (size_t)s->n_atoms);
    int extra_c = 0, extra_n = 0, closable = 0;
    for (int r = 0, seen = 0; r < SMILES_MAX_RINGS && seen < s->n_rings; r++) {
        int o = s->ring_atom[r];
        if (o < 0) continue;
        seen++;
        int c = ++per[o], b = bonded(s, s->cur, o);
        int en = o == s->cur ? c + 1 : c, ec = o == s->cur ? c + 1 : b ? c : c - 1;
        if (en > extra_n) extra_n = en;
        if (ec > extra_c) extra_c = ec;
        closable |=
            o != s->cur && !b &&
            (s->last != SMILES_TOK_BOND || !s->ring_order[r] || s->ring_order[r] == s->bond);
    }
    if (s->last == SMILES_TOK_OPEN) n += extra_n > 1 ? extra_n : 1;
    else if (s->last == SMILES_TOK_BOND)
        n += s->bond_ringok && closable ? extra_c : (extra_n > 1 ? extra_n : 1);
    else if (s->last == SMILES_TOK_CLOSE) n += s->n_rings > 0 ? (extra_n > 1 ? extra_n : 1) : 0;
    else n += extra_c;
    if (mode == SMILES_VALENCE && s->arom_short > 0 && n == 0) n = 1;
    return n;
}

/* ---- look-ahead: push a token, judge the next state, undo ------------------------- */

/* What cv_smiles_state_push can change besides the header: at most the new atom (n_atoms),
 * the old current atom, one ring's opener, one ring slot and one branch slot. */
typedef struct {
    uint8_t head[offsetof(SmilesState, branch_atom)];
    int16_t atom[2];
    int8_t left[2];
    uint8_t arom[2], pi[2], open_at[2], deg[2], dbl[2], n_nb[2], n_adj[2];
    int16_t ring, ring_atom, branch, depth;
    uint8_t ring_order;
} Undo;

static void undo_save_atom(Undo *u, const SmilesState *s, int slot, int a) {
    u->atom[slot] = (int16_t)a;
    if (a < 0 || a >= SMILES_MAX_ATOMS) return;
    u->left[slot] = s->left[a];
    u->arom[slot] = s->arom[a];
    u->pi[slot] = s->pi[a];
    u->open_at[slot] = s->open_at[a];
    u->deg[slot] = s->deg[a];
    u->dbl[slot] = s->dbl[a];
    u->n_nb[slot] = s->n_nb[a];
    u->n_adj[slot] = s->n_adj[a];
}

static void push_undoable(const SmilesGrammar *g, SmilesState *s, int k, Undo *u) {
    const SmilesToken *t = &g->tok[k];
    memcpy(u->head, s, sizeof u->head);
    undo_save_atom(u, s, 0, s->cur);
    u->ring = t->kind == SMILES_TOK_RING ? t->ring : -1;
    u->ring_atom = -1;
    u->ring_order = 0;
    undo_save_atom(u, s, 1, u->ring >= 0 ? s->ring_atom[u->ring] : -1);
    if (u->ring >= 0) {
        u->ring_atom = s->ring_atom[u->ring];
        u->ring_order = s->ring_order[u->ring];
    }
    u->depth = s->depth;
    u->branch = s->depth >= 0 && s->depth < SMILES_MAX_DEPTH ? s->branch_atom[s->depth] : 0;
    cv_smiles_state_push(g, s, k);
}

static void undo(SmilesState *s, const Undo *u) {
    if (u->depth >= 0 && u->depth < SMILES_MAX_DEPTH) s->branch_atom[u->depth] = u->branch;
    if (u->ring >= 0) {
        s->ring_atom[u->ring] = u->ring_atom;
        s->ring_order[u->ring] = u->ring_order;
    }
    for (int i = 1; i >= 0; i--) {
        int a = u->atom[i];
        if (a < 0 || a >= SMILES_MAX_ATOMS) continue;
        s->left[a] = u->left[i];
        s->arom[a] = u->arom[i];
        s->pi[a] = u->pi[i];
        s->open_at[a] = u->open_at[i];
        s->deg[a] = u->deg[i];
        s->dbl[a] = u->dbl[i];
        s->n_nb[a] = u->n_nb[i];
        s->n_adj[a] = u->n_adj[i];
    }
    memcpy(s, u->head, sizeof u->head);
}

static int on_branch_stack(const SmilesState *s, int a) {
    for (int i = 0; i < s->depth && i < SMILES_MAX_DEPTH; i++)
        if (s->branch_atom[i] == a) return 1;
    return 0;
}

/* Whether aromatic atom a can still get the aromatic bonds it lacks: it must have the
 * valence for them (and for its double bond if it still owes one), and, unless it is the
 * current atom, an open ring digit or a branch to come back to. */
static int aromatic_feasible(const SmilesState *s, int a) {
    if (a < 0 || !s->arom[a] || s->arom[a] >= 3) return 1;
    int missing = 3 - s->arom[a] - s->open_at[a]; /* open ring bonds are already paid for */
    if (missing > 0 && s->left[a] < missing + s->pi[a]) return 0;
    if (a != s->cur || (s->last == SMILES_TOK_BOND && !s->bond_ringok)) {
        /* left behind (or about to be, after a bond symbol): only ring digits and the
         * return from a branch can still reach it */
        int more = a == s->cur && s->bond_explicit >= 2; /* ':' '/' '\' may be aromatic */
        if (s->arom[a] - 1 + more + s->open_at[a] < 2 && !on_branch_stack(s, a)) return 0;
    }
    return 1;
}

/* Whether the state after a token can still reach <end> under the valence rules: the
 * atoms the token touched keep their aromatic bonds reachable, and at depth 0 with a ring
 * or an aromatic atom still open the current atom keeps room for another bond. */
static int viable(const SmilesState *s, const Undo *u) {
    if (!aromatic_feasible(s, s->cur) || !aromatic_feasible(s, u->atom[0]) ||
        !aromatic_feasible(s, u->atom[1]))
        return 0;
    if (s->depth == 0 && (s->n_rings > 0 || s->arom_short > 0) && s->cur >= 0 &&
        s->last != SMILES_TOK_BOND && !room(s, s->cur, 1))
        return 0;
    /* kekulization: re-judged when the token touched an aromatic atom (a bond changes
     * its degree, so whether it needs a double bond; leaving it behind fixes its
     * partners). After '=' or '#' the current atom needs no aromatic double bond; after
     * '-' where no ring digit may follow, it gains no further aromatic partner. (Atom
     * tokens are judged once per class by the caller, so this runs once per class.) */
    int touched = (s->cur >= 0 && s->arom[s->cur]) || (u->atom[0] >= 0 && s->arom[u->atom[0]]) ||
                  (u->atom[1] >= 0 && s->arom[u->atom[1]]);
    if (!touched) return 1;
    int cur_closed = s->last == SMILES_TOK_BOND && s->bond_explicit == 1
                         ? (s->bond >= 2 ? 2 : !s->bond_ringok)
                         : 0;
    return kekule_feasible(s, 0, cur_closed);
}

static int allowed_impl(const SmilesGrammar *g, SmilesState *s, int mode, int steps_left,
                        uint8_t *allowed, int lookahead);

/* Whether token k (not <end>, not a special) may follow: the rules, the length limit (tight:
 * steps_left is close to what must still be closed) and, in valence mode, the look-ahead. */
static int token_allowed(const SmilesGrammar *g, SmilesState *s, int mode, int steps_left, int k,
                         int tight, int lookahead) {
    const SmilesToken *t = &g->tok[k];
    SmilesFailure f = cv_smiles_state_check(g, s, k);
    if (f != SMILES_OK && !(mode == SMILES_SYNTAX && f == SMILES_FAIL_VALENCE)) return 0;
    Undo u;
    push_undoable(g, s, k, &u);
    int ok = (!tight || 1 + need(s, mode) + 1 <= steps_left) &&
             (mode != SMILES_VALENCE || viable(s, &u));
    /* one step ahead: a bond symbol after an aromatic atom (the atom after it may strand
     * the aromatic atom) and a ring closure (it may complete a ring that no continuation
     * can kekulize) must leave some token to follow */
    int ahead = (t->kind == SMILES_TOK_BOND && u.atom[0] >= 0 && s->arom[u.atom[0]]) ||
                (t->kind == SMILES_TOK_RING && u.ring_atom >= 0);
    if (ok && lookahead && mode == SMILES_VALENCE && ahead) {
        uint8_t next[256];
        if (g->V <= 256)
            ok = allowed_impl(g, s, mode, steps_left - 1, next, 0) > 0; /* else: permissive */
    }
    undo(s, &u);
    return ok;
}

static int special_allowed(const SmilesGrammar *g, const SmilesState *s, int mode, int steps_left,
                           int k) {
    if (steps_left < 1) return 0;
    if (k == g->end_id) return can_end(s, mode);
    const SmilesToken *t = &g->tok[k];
    return !(t->kind == SMILES_TOK_SPECIAL || t->kind == SMILES_TOK_DOT ||
             t->kind == SMILES_TOK_UNKNOWN)
               ? -1
               : 0;
}

int cv_smiles_state_allows(const SmilesGrammar *g, SmilesState *s, int mode, int steps_left,
                           int k) {
    if (mode == SMILES_NONE) return 1;
    if (k < 0 || k >= g->V) return 0;
    int sp = special_allowed(g, s, mode, steps_left, k);
    if (sp >= 0) return sp;
    return token_allowed(g, s, mode, steps_left, k, steps_left <= need(s, mode) + 4, 1);
}

int cv_smiles_state_allowed(const SmilesGrammar *g, SmilesState *s, int mode, int steps_left,
                            uint8_t *allowed) {
    return allowed_impl(g, s, mode, steps_left, allowed, 1);
}

/* lookahead: a bond symbol after an aromatic atom is allowed only when some token can
 * follow it (the atom after it may strand the aromatic atom: checked one step ahead). */
static int allowed_impl(const SmilesGrammar *g, SmilesState *s, int mode, int steps_left,
                        uint8_t *allowed, int lookahead) {
    if (mode == SMILES_NONE) {
        for (int k = 0; k < g->V; k++) allowed[k] = 1;
        return g->V;
    }
    int count = 0, tight = steps_left <= need(s, mode) + 4;
    int8_t cls_cache[256]; /* per atom class: -1 not judged yet, else the verdict */
    memset(cls_cache, 0xff, sizeof cls_cache);
    for (int k = 0; k < g->V; k++) {
        const SmilesToken *t = &g->tok[k];
        int sp = special_allowed(g, s, mode, steps_left, k);
        int atom_cls = t->kind == SMILES_TOK_ATOM && t->cls < 256 ? t->cls : -1;
        if (sp >= 0) {
            allowed[k] = (uint8_t)sp;
        } else if (atom_cls >= 0 && cls_cache[atom_cls] >= 0) {
            allowed[k] = (uint8_t)cls_cache[atom_cls];
        } else {
            allowed[k] = (uint8_t)token_allowed(g, s, mode, steps_left, k, tight, lookahead);
            if (atom_cls >= 0) cls_cache[atom_cls] = (int8_t)allowed[k];
        }
        count += allowed[k];
    }
    return count;
}

SmilesFailure cv_smiles_grammar_classify(const SmilesGrammar *g, const int32_t *ids, size_t n) {
    SmilesState s;
    cv_smiles_state_reset(&s);
    for (size_t i = 0; i < n; i++) {
        int k = ids[i];
        SmilesFailure f = cv_smiles_state_check(g, &s, k);
        if (k == g->end_id) return f;
        if (f != SMILES_OK) return f;
        cv_smiles_state_push(g, &s, k);
    }
    return SMILES_FAIL_LENGTH;
}
