/* chem.c — the chemistry boundary (chem.h): RDKit through its C FFI (cffiwrapper.h, built
 * from Debian's rdkit source into build/deps) plus chem_rdkit.cpp for what that FFI lacks.
 *
 * A ChemMol is a molecule parsed by chem_rdkit.cpp exactly as Python's Chem.MolFromSmiles
 * parses it, kept live on the C++ side (ChemRdMol) for the descriptors, together with its
 * RDKit pickle — the C FFI's molecule currency — for the FFI call get_svg. The canonical
 * SMILES is written on the C++ side from the parsed molecule (not by the FFI's
 * get_smiles: chem_rdkit.cpp says why). Heavy atom count and largest ring are read at
 * parse time. Morgan fingerprints come from the C++ side too (cv_chem_rd_morgan_bits):
 * the FFI's get_morgan_fp_as_bytes unpickles the molecule and parses JSON options first;
 * measured on the 24,445 molecules of datasets/zinc24k.csv, one thread, 2048 bits: 21,000
 * fingerprints/s through the FFI against 39,000-41,000/s from the parsed molecule, the
 * same bytes for every molecule. Scoring = parse, canonical SMILES, RDKit's descriptor
 * functions, QED (chem_qed.c)
 * and SA (chem_sa.c). SMARTS queries (ChemQuery) are parsed once on the C++ side and
 * matched there (the FFI's get_substruct_match re-parses query and molecule per call).
 *
 * Why the FFI's get_mol does not parse: it parses without sanitizing, then sanitizes, and
 * that path accepts SMILES RDKit's standard parse rejects (tests/fixtures/mutants.tsv row
 * 63, "...O[C@H](C)1C": the non-sanitizing parse drops the H that makes the carbon
 * five-valent), so validity would differ from Python RDKit's. Why not get_descriptors
 * for the properties: see chem_rdkit.cpp.
 *
 * Input rules: NULL, text over CHEM_MAX_SMILES bytes (see chem.h: bounds the time hostile
 * input can take), what RDKit's SMILES parser rejects, and 0-atom molecules are invalid;
 * molblocks alike with CHEM_MAX_MOLBLOCK. Standardization (the charge parent, optionally
 * the canonical tautomer) is RDKit's MolStandardize called on the live molecule, so the
 * canonical SMILES of the result is the one Python writes for rdMolStandardize's.
 *
 * Thread safety: no mutable global state here; parsing, scoring and the C FFI calls used
 * are reentrant (tests/test_chem_threads.c). cv_chem_log_rdkit changes a process-wide RDKit
 * setting. A ChemMol is used by one thread at a time. */
#include "chemvae/chem/chem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cffiwrapper.h declares version(), enable_logging() ... with empty parameter lists. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include "cffiwrapper.h"
#pragma GCC diagnostic pop
#include "chem_internal.h"

struct ChemMol {
    char *pkl;      /* RDKit pickle (get_mol's format), malloc'd */
    size_t pkl_len; /* bytes in pkl */
    ChemRdMol *rd;  /* the same molecule, live on the C++ side */
    int num_atoms;
    int largest_ring;
};

void cv_chem_log_rdkit(int enable) {
    if (enable) enable_logging();
    else disable_logging();
}

static int chem_input_is_smiles(const char *smiles) {
    return smiles && strnlen(smiles, CHEM_MAX_SMILES + 1) <= CHEM_MAX_SMILES;
}

/* A ChemMol around what one of chem_rdkit's readers makes, or NULL (also for 0 atoms). */
static ChemMol *mol_wrap(ChemMol *mol) {
    if (mol && (!mol->rd || mol->num_atoms == 0)) {
        cv_chem_mol_free(mol);
        return NULL;
    }
    return mol;
}

ChemMol *cv_chem_mol_from_smiles(const char *smiles) {
    if (!chem_input_is_smiles(smiles)) return NULL;
    ChemMol *mol = calloc(1, sizeof *mol);
    if (!mol) return NULL;
    mol->rd = cv_chem_rd_mol_from_smiles(smiles, &mol->pkl, &mol->pkl_len, &mol->num_atoms,
                                         &mol->largest_ring);
    return mol_wrap(mol);
}

ChemMol *cv_chem_mol_from_molblock(const char *molblock) {
    if (!molblock || strnlen(molblock, CHEM_MAX_MOLBLOCK + 1) > CHEM_MAX_MOLBLOCK) return NULL;
    ChemMol *mol = calloc(1, sizeof *mol);
    if (mol)
        mol->rd = cv_chem_rd_mol_from_molblock(molblock, &mol->pkl, &mol->pkl_len, &mol->num_atoms,
                                               &mol->largest_ring);
    return mol_wrap(mol);
}

ChemMol *cv_chem_mol_from_text(const char *text, int is_molblock) {
    return is_molblock ? cv_chem_mol_from_molblock(text) : cv_chem_mol_from_smiles(text);
}

ChemMol *cv_chem_mol_standardize(const ChemMol *in, unsigned flags) {
    ChemMol *mol = calloc(1, sizeof *mol);
    if (mol)
        mol->rd = cv_chem_rd_standardize(in->rd, (flags & CHEM_STD_TAUTOMER) != 0, &mol->pkl,
                                         &mol->pkl_len, &mol->num_atoms, &mol->largest_ring);
    return mol_wrap(mol);
}

char *cv_chem_standardize(const char *smiles, unsigned flags) {
    ChemMol *mol = cv_chem_mol_from_smiles(smiles);
    ChemMol *std = mol ? cv_chem_mol_standardize(mol, flags) : NULL;
    char *can = std ? cv_chem_mol_canonical(std) : NULL;
    cv_chem_mol_free(std);
    cv_chem_mol_free(mol);
    return can;
}

void cv_chem_mol_free(ChemMol *mol) {
    if (!mol) return;
    free(mol->pkl);
    cv_chem_rd_mol_free(mol->rd);
    free(mol);
}

int cv_chem_is_valid(const char *smiles) {
    ChemMol *mol = cv_chem_mol_from_smiles(smiles);
    cv_chem_mol_free(mol);
    return mol != NULL;
}

char *cv_chem_mol_canonical(const ChemMol *mol) {
    return cv_chem_rd_canonical(mol->rd);
}

char *cv_chem_canonical(const char *smiles) {
    ChemMol *mol = cv_chem_mol_from_smiles(smiles);
    if (!mol) return NULL;
    char *can = cv_chem_mol_canonical(mol);
    cv_chem_mol_free(mol);
    return can;
}

ChemFailure cv_chem_failure(const char *smiles) {
    switch (cv_chem_rd_failure(smiles)) {
    case CHEM_RD_OK:
        return CHEM_VALID;
    case CHEM_RD_FAIL_PARSE:
        return CHEM_FAIL_PARSE;
    case CHEM_RD_FAIL_VALENCE:
        return CHEM_FAIL_VALENCE;
    case CHEM_RD_FAIL_KEKULIZE:
        return CHEM_FAIL_KEKULIZE;
    default:
        return CHEM_FAIL_OTHER;
    }
}

char *cv_chem_random_smiles(const char *smiles, uint64_t seed) {
    return cv_chem_rd_random_smiles(smiles, seed);
}

int cv_chem_mol_num_atoms(const ChemMol *mol) {
    return mol->num_atoms;
}

int cv_chem_mol_largest_ring(const ChemMol *mol) {
    return mol->largest_ring;
}

CvStatus cv_chem_mol_scores(const ChemMol *mol, ChemScores *out, CvError *err) {
    ChemRdDescriptors d;
    CvStatus st;
    memset(out, 0, sizeof *out);
    if (cv_chem_rd_descriptors(mol->rd, &d) != 0)
        return cv_error_set(err, CV_ERR_CHEM, "RDKit descriptors failed on a %d-atom molecule",
                            mol->num_atoms);
    double qed, sa;
    if ((st = cv_chem_qed_compute(mol->rd, &d, &qed, err)) != CV_OK) return st;
    if ((st = cv_chem_sa_compute(mol->rd, &d, &sa, err)) != CV_OK) return st;
    int ring_penalty = d.largest_ring > 6 ? d.largest_ring - 6 : 0;
    out->mw = d.mw;
    out->logp = d.logp;
    out->qed = qed;
    out->sa = sa;
    out->penalized_logp = d.logp - sa - ring_penalty;
    out->num_atoms = mol->num_atoms;
    out->largest_ring = d.largest_ring;
    return CV_OK;
}

int cv_chem_score_smiles(const char *smiles, ChemScores *out, char **canonical) {
    memset(out, 0, sizeof *out);
    if (canonical) *canonical = NULL;
    ChemMol *mol = cv_chem_mol_from_smiles(smiles);
    if (!mol) return 0;
    int ok = cv_chem_mol_scores(mol, out, NULL) == CV_OK;
    if (ok && canonical) {
        *canonical = cv_chem_mol_canonical(mol);
        ok = *canonical != NULL;
    }
    cv_chem_mol_free(mol);
    if (!ok) memset(out, 0, sizeof *out);
    return ok;
}

CvStatus cv_chem_mol_morgan(const ChemMol *mol, int nbits, uint64_t *words, CvError *err) {
    if (nbits <= 0 || nbits % 64)
        return cv_error_set(err, CV_ERR_INVALID,
                            "Morgan fingerprint: %d bits is not a "
                            "positive multiple of 64",
                            nbits);
    unsigned char *bytes = malloc((size_t)nbits / 8);
    if (!bytes) return cv_error_set(err, CV_ERR_NOMEM, "Morgan fingerprint: out of memory");
    if (cv_chem_rd_morgan_bits(mol->rd, 2, (unsigned)nbits, bytes) != 0) {
        free(bytes);
        return cv_error_set(err, CV_ERR_CHEM,
                            "Morgan fingerprint: RDKit failed on a %d-atom molecule",
                            mol->num_atoms);
    }
    /* Bit i of the fingerprint is bit i%8 of byte i/8; pack it into bit i%64 of word i/64. */
    for (int w = 0; w < nbits / 64; w++) {
        uint64_t v = 0;
        for (int k = 7; k >= 0; k--) v = v << 8 | bytes[w * 8 + k];
        words[w] = v;
    }
    free(bytes);
    return CV_OK;
}

double cv_chem_tanimoto_bits(const uint64_t *a, const uint64_t *b, int nbits) {
    long both = 0, either = 0;
    for (int w = 0; w < nbits / 64; w++) {
        both += __builtin_popcountll(a[w] & b[w]);
        either += __builtin_popcountll(a[w] | b[w]);
    }
    return either ? (double)both / (double)either : 0.0;
}

CvStatus cv_chem_morgan_fp(const ChemMol *mol, unsigned char fp[CHEM_FP_BYTES], CvError *err) {
    if (cv_chem_rd_morgan_bits(mol->rd, 2, CHEM_FP_BITS, fp) == 0) return CV_OK;
    memset(fp, 0, CHEM_FP_BYTES);
    return cv_error_set(err, CV_ERR_CHEM, "Morgan fingerprint: RDKit failed on a %d-atom molecule",
                        mol->num_atoms);
}

int cv_chem_smiles_fp(const char *smiles, unsigned char fp[CHEM_FP_BYTES]) {
    ChemMol *mol = cv_chem_mol_from_smiles(smiles);
    int ok = mol && cv_chem_morgan_fp(mol, fp, NULL) == CV_OK;
    if (!ok) memset(fp, 0, CHEM_FP_BYTES);
    cv_chem_mol_free(mol);
    return ok;
}

double cv_chem_tanimoto_smiles(const char *a, const char *b) {
    enum { NBITS = 2048 };
    uint64_t fa[NBITS / 64], fb[NBITS / 64];
    double sim = -1;
    ChemMol *ma = cv_chem_mol_from_smiles(a);
    ChemMol *mb = ma ? cv_chem_mol_from_smiles(b) : NULL;
    if (mb && cv_chem_mol_morgan(ma, NBITS, fa, NULL) == CV_OK &&
        cv_chem_mol_morgan(mb, NBITS, fb, NULL) == CV_OK)
        sim = cv_chem_tanimoto_bits(fa, fb, NBITS);
    cv_chem_mol_free(ma);
    cv_chem_mol_free(mb);
    return sim;
}

struct ChemQuery {
    ChemRdPatterns *pattern; /* one parsed SMARTS */
};

ChemQuery *cv_chem_query_new(const char *smarts) {
    /* RDKit's text readers treat "M  END" as a molblock and "commonchem" as JSON. */
    if (!smarts || !smarts[0] || !chem_input_is_smiles(smarts) || strstr(smarts, "M  END") ||
        strstr(smarts, "commonchem"))
        return NULL;
    ChemQuery *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->pattern = cv_chem_rd_patterns_new(&smarts, 1, NULL);
    if (!q->pattern) {
        free(q);
        return NULL;
    }
    return q;
}

int cv_chem_query_match(const ChemQuery *q, const char *smiles) {
    ChemMol *mol = cv_chem_mol_from_smiles(smiles);
    if (!mol) return -1;
    int n = cv_chem_rd_count_matches(mol->rd, q->pattern, 0, 1);
    cv_chem_mol_free(mol);
    return n < 0 ? -1 : n > 0;
}

void cv_chem_query_free(ChemQuery *q) {
    if (!q) return;
    cv_chem_rd_patterns_free(q->pattern);
    free(q);
}

int cv_chem_has_substruct(const char *smiles, const char *smarts) {
    ChemQuery *q = cv_chem_query_new(smarts);
    if (!q) return -1;
    int found = cv_chem_query_match(q, smiles);
    cv_chem_query_free(q);
    return found;
}

char *cv_chem_svg(const char *smiles, int width, int height) {
    if (width <= 0 || height <= 0) return NULL;
    ChemMol *mol = cv_chem_mol_from_smiles(smiles);
    if (!mol) return NULL;
    char details[64];
    snprintf(details, sizeof details, "{\"width\":%d,\"height\":%d}", width, height);
    char *svg = get_svg(mol->pkl, mol->pkl_len, details);
    cv_chem_mol_free(mol);
    if (svg && !strstr(svg, "<svg")) { /* the FFI reports bad details as plain text */
        free_ptr(svg);
        svg = NULL;
    }
    return svg;
}

/* A copy of s (at most 80 bytes, a molfile's title line) with line ends and other control
 * bytes turned into spaces. */
static void title_line(const char *s, char *out, size_t cap) {
    size_t n = 0;
    for (; s && s[n] && n < cap - 1 && n < 80; n++)
        out[n] = (unsigned char)s[n] < 0x20 ? ' ' : s[n];
    out[n] = 0;
}

char *cv_chem_mol_block(const ChemMol *mol, const char *title) {
    char name[81];
    title_line(title, name, sizeof name);
    return cv_chem_rd_mol_block(mol->rd, name);
}

int cv_chem_sdf_item(CvBuf *items, const char *key, const char *value, size_t len) {
    int bad = cv_buf_append(items, "> <", 3) | cv_buf_append(items, key, strlen(key)) |
              cv_buf_append(items, ">\n", 2);
    for (size_t i = 0; i < len; i++)
        bad |= cv_buf_append(items, value[i] == '\n' || value[i] == '\r' ? " " : value + i, 1);
    return bad | cv_buf_append(items, "\n\n", 2);
}

void cv_chem_write_sdf_record(FILE *fp, const char *smiles, const char *name, const char *items) {
    ChemMol *mol = smiles && *smiles ? cv_chem_mol_from_smiles(smiles) : NULL;
    char *block = mol ? cv_chem_mol_block(mol, name) : NULL;
    char title[81];
    title_line(name, title, sizeof title);
    if (block) fputs(block, fp);
    else
        fprintf(fp, "%s\n     chemvae\n\n  0  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n", title);
    if (items) fputs(items, fp);
    fputs("$$$$\n", fp);
    free(block);
    cv_chem_mol_free(mol);
}

char *cv_chem_mol_brics(const ChemMol *mol) {
    return cv_chem_rd_brics(mol->rd);
}

char *cv_chem_mol_scaffold(const ChemMol *mol, int *rings) {
    return cv_chem_rd_scaffold(mol->rd, rings);
}

/* The C++ side's CHEM_RD_FILTER_* values are ChemFilterVerdict's, in the same order. */
_Static_assert(CHEM_RD_FILTER_PASS == (int)CHEM_FILTER_PASS &&
                   CHEM_RD_FILTER_PAINS == (int)CHEM_FILTER_PAINS &&
                   CHEM_RD_FILTER_ERROR == (int)CHEM_FILTER_ERROR,
               "chem_rdkit.h's filter verdicts follow ChemFilterVerdict");
ChemFilterVerdict cv_chem_mol_filters(const ChemMol *mol) {
    int v = cv_chem_rd_moses_filters(mol->rd);
    return v >= CHEM_RD_FILTER_PASS && v <= CHEM_RD_FILTER_ERROR ? (ChemFilterVerdict)v
                                                                 : CHEM_FILTER_ERROR;
}

const char *cv_chem_filter_name(ChemFilterVerdict v) {
    static const char *const NAMES[] = {"pass", "ring",  "charge", "atom",
                                        "mcf",  "pains", "smiles", "error"};
    return (unsigned)v < sizeof NAMES / sizeof NAMES[0] ? NAMES[v] : "error";
}
