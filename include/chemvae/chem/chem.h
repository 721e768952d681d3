/* chem.h — the chemistry boundary: RDKit through its C FFI (src/chem/ is the only code
 * that includes cffiwrapper.h). Validity, canonical SMILES, scores, fingerprints, depiction.
 *
 * Conventions: a SMILES is valid when RDKit parses (and sanitizes) it into a molecule with
 * at least one atom, exactly as Python's Chem.MolFromSmiles decides (the FFI's own get_mol
 * is more lenient, see src/chem/chem.c). An invalid SMILES is data, not an error:
 * functions report it through their return value. Strings returned through `char **` and
 * `char *` results are malloc'd; the caller frees.
 * Thread safety: every function is reentrant — any number of threads may parse and score
 * at once (tests/test_chem_threads.c) — but one ChemMol is used by one thread at a time.
 * cv_chem_log_rdkit is process-wide.
 *
 * Properties (ChemScores) reproduce Python RDKit 2022.09 (tests/check-zinc24k.sh: no
 * difference above 1e-6 on 24,445 ZINC molecules):
 *   mw = Descriptors.MolWt (average mass), logp = Crippen.MolLogP, qed = QED.qed,
 *   sa = sascorer.calculateScore (Ertl & Schuffenhauer), penalized_logp = logp - sa -
 *   max(0, largest ring size - 6) (JT-VAE). */
#ifndef CHEMVAE_CHEM_H
#define CHEMVAE_CHEM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chemvae/core/buf.h"
#include "chemvae/core/error.h"

/* Longest input accepted as a SMILES (bytes); longer strings are invalid. Far above any
 * drug-like molecule (ZINC's longest is ~110), it bounds the cost of hostile input: RDKit's
 * stereo perception is superlinear (a 1000-atom chain takes ~2.5 s to score, 2000 atoms
 * ~30 s; Python RDKit is as slow) and its canonicaliser recurses along chains. */
#define CHEM_MAX_SMILES 1000

/* Turns RDKit's own messages on stderr ("SMILES Parse Error ...") on or off. They are on
 * by default. Process-wide: call it before starting threads. */
void cv_chem_log_rdkit(int enable);

/* A parsed molecule (owns RDKit's pickle). Opaque. */
typedef struct ChemMol ChemMol;

typedef struct {
    double mw, logp, qed, sa, penalized_logp;
    int num_atoms;    /* heavy atoms */
    int largest_ring; /* 0 when acyclic */
} ChemScores;

/* Parses `smiles`. Returns a molecule, or NULL when the SMILES is invalid (including an
 * empty or 0-atom molecule). Free with cv_chem_mol_free (NULL-safe). */
ChemMol *cv_chem_mol_from_smiles(const char *smiles);
void cv_chem_mol_free(ChemMol *mol);

/* Longest molblock accepted (bytes): about 1,000 atoms with their bonds, the size
 * CHEM_MAX_SMILES allows a SMILES. */
#define CHEM_MAX_MOLBLOCK 100000

/* Parses a molblock (V2000 or V3000: an SDF record's text from its title line through its
 * "M  END" line) exactly as Python's Chem.MolFromMolBlock (and SDMolSupplier) does:
 * sanitized, hydrogens removed, stereo from wedge bonds and coordinates. NULL when RDKit
 * cannot read it, it has no atom, or it is longer than CHEM_MAX_MOLBLOCK bytes. Free with
 * cv_chem_mol_free. */
ChemMol *cv_chem_mol_from_molblock(const char *molblock);

/* A molecule record's text, a molblock (an SDF record) or a SMILES: the readers of molecule
 * files call this with the record's own flag. cv_chem_mol_from_molblock(text) when
 * `is_molblock` is non-zero, else cv_chem_mol_from_smiles(text), with their NULL cases
 * (NULL text gives NULL). Free with cv_chem_mol_free. */
ChemMol *cv_chem_mol_from_text(const char *text, int is_molblock);

/* Standardization (RDKit MolStandardize, as Python's rdMolStandardize), for
 * cv_chem_mol_standardize's `flags`. Without flags: the charge parent, ChargeParent(mol) =
 * cleanup (metal disconnection, normalization, reionization), the largest fragment,
 * charges neutralized (Uncharger), cleanup again: "CC(=O)[O-].[Na+]" -> "CC(=O)O",
 * "C[NH+](C)C" -> "CN(C)C"; quaternary nitrogen and zwitterions that cannot be neutralized
 * keep their charges. */
enum {
    CHEM_STD_TAUTOMER = 1 /* then the canonical tautomer (CanonicalTautomer) */
};
/* The standardized form of `mol` as a new molecule (free with cv_chem_mol_free), or NULL
 * when RDKit fails on it (or out of memory). Tests: tests/test_chem_standardize.c against
 * Python RDKit on tests/fixtures/standardize.tsv. */
ChemMol *cv_chem_mol_standardize(const ChemMol *mol, unsigned flags);
/* Canonical SMILES of the standardized `smiles`, malloc'd; NULL when the SMILES is invalid
 * or standardization fails. */
char *cv_chem_standardize(const char *smiles, unsigned flags);

/* 1 if `smiles` is a valid molecule, else 0. */
int cv_chem_is_valid(const char *smiles);

/* Canonical (isomeric) SMILES of `mol`, malloc'd; NULL only on out-of-memory. */
char *cv_chem_mol_canonical(const ChemMol *mol);

/* Canonical SMILES of `smiles`, malloc'd, or NULL when invalid. */
char *cv_chem_canonical(const char *smiles);

/* Why RDKit rejects a SMILES (a parse as Python's Chem.MolFromSmiles). */
typedef enum {
    CHEM_VALID = 0,
    CHEM_FAIL_PARSE,    /* the string does not parse (syntax, unclosed ring, ...) */
    CHEM_FAIL_VALENCE,  /* an atom exceeds its allowed valence */
    CHEM_FAIL_KEKULIZE, /* aromatic atoms that cannot be kekulized */
    CHEM_FAIL_OTHER
} ChemFailure;
ChemFailure cv_chem_failure(const char *smiles);

/* A randomized SMILES of the same molecule (random atom order, not canonical; for
 * training-data augmentation), malloc'd, the same string for the same (smiles, seed);
 * NULL when `smiles` is invalid or on out-of-memory. */
char *cv_chem_random_smiles(const char *smiles, uint64_t seed);

int cv_chem_mol_num_atoms(const ChemMol *mol);
int cv_chem_mol_largest_ring(const ChemMol *mol);

/* Fills every field of *out. Returns CV_OK, or CV_ERR_CHEM with a message naming the
 * molecule when RDKit fails on a molecule it parsed. */
CvStatus cv_chem_mol_scores(const ChemMol *mol, ChemScores *out, CvError *err);

/* Parse + score in one call. Returns 1 valid (out filled, *canonical malloc'd when the
 * pointer is non-NULL), 0 invalid (out zeroed, *canonical = NULL). A molecule RDKit
 * parses but then fails to score (never seen on the test sets) also returns 0; use
 * cv_chem_mol_scores to get the error. */
int cv_chem_score_smiles(const char *smiles, ChemScores *out, char **canonical);

/* Morgan fingerprint, radius 2, `nbits` bits (2048 by default for similarity, 1024 for
 * internal diversity), packed little-endian into words[nbits/64]. nbits % 64 == 0. The
 * bits of Python's AllChem.GetMorganFingerprintAsBitVect(m, 2, nbits). */
CvStatus cv_chem_mol_morgan(const ChemMol *mol, int nbits, uint64_t *words, CvError *err);
/* Tanimoto similarity of two packed fingerprints of `nbits` bits (0 when both empty). */
double cv_chem_tanimoto_bits(const uint64_t *a, const uint64_t *b, int nbits);
/* Tanimoto of two SMILES (Morgan r=2, 2048 bits); -1 if either is invalid. */
double cv_chem_tanimoto_smiles(const char *a, const char *b);

/* ---- similarity-search fingerprints (the results DB's molecules.fp) ----------------------
 * A fingerprint here is CHEM_FP_BYTES bytes: the Morgan fingerprint of radius 2 folded to
 * CHEM_FP_BITS bits, exactly the bits of Python RDKit's
 * AllChem.GetMorganFingerprintAsBitVect(m, 2, 2048) (tests/fixtures/morgan_fp.tsv), with
 * bit i in byte i / 8 at bit i % 8: the byte order of DataStructs.BitVectToFPSText's hex
 * (Python: DataStructs.CreateFromFPSText(fp.hex()) gives the ExplicitBitVect back). The
 * byte layout does not depend on the machine. Pointers need no alignment. */
#define CHEM_FP_BITS 2048
#define CHEM_FP_BYTES (CHEM_FP_BITS / 8)

/* Writes mol's fingerprint to fp. CV_OK, or CV_ERR_CHEM naming the molecule's size when
 * RDKit fails (never seen). */
CvStatus cv_chem_morgan_fp(const ChemMol *mol, unsigned char fp[CHEM_FP_BYTES], CvError *err);
/* Parses `smiles` and writes its fingerprint: 1, or 0 when the SMILES is invalid (fp zeroed). */
int cv_chem_smiles_fp(const char *smiles, unsigned char fp[CHEM_FP_BYTES]);

/* Number of bits set in a fingerprint. */
int cv_chem_fp_count(const unsigned char fp[CHEM_FP_BYTES]);
/* Tanimoto similarity |a & b| / |a | b| of two fingerprints (0 when both are empty), the
 * double DataStructs.TanimotoSimilarity returns. */
double cv_chem_fp_tanimoto(const unsigned char *a, const unsigned char *b);
/* out[i] = Tanimoto of `query` and fingerprint i of `fps` (n fingerprints stored one after
 * the other, CHEM_FP_BYTES each): DataStructs.BulkTanimotoSimilarity. Uses the CPU's
 * popcount instruction where there is one (chosen at run time on x86: see chem_fp.c). */
void cv_chem_fp_tanimoto_many(const unsigned char *query, const unsigned char *fps, size_t n,
                              double *out);
/* The same for fingerprints of nbits bits (a positive multiple of 64), nbits / 8 bytes each,
 * bit i in byte i / 8 (or packed into 64-bit words as cv_chem_mol_morgan writes them: the
 * query and fps need only the same layout): 1024 bits for MOSES's metrics. */
void cv_chem_fp_tanimoto_many_bits(const unsigned char *query, const unsigned char *fps, size_t n,
                                   int nbits, double *out);

/* ---- the molecule-level pieces of MOSES's metrics (app_metrics.h) ---------------------
 * Each is the value of molecularsets/moses (moses/metrics/utils.py) computed with the same
 * RDKit calls; tests/metrics_reference.py makes the same calls in Python RDKit. */

/* MOSES's fragmenter(): the BRICS fragments of mol, Chem.MolToSmiles(
 * AllChem.FragmentOnBRICSBonds(mol)), fragments joined by '.' (break points as [n*] atoms);
 * malloc'd, NULL on an RDKit failure or out-of-memory. */
char *cv_chem_mol_brics(const ChemMol *mol);

/* The Bemis-Murcko scaffold of mol (MurckoScaffold.GetScaffoldForMol): its canonical SMILES,
 * "" for a molecule without rings, malloc'd, and its number of rings (symmetrized SSSR) in
 * *rings; NULL when RDKit fails (MOSES's compute_scaffold then has none either) or on
 * out-of-memory. MOSES's Scaf counts only scaffolds of at least 2 rings. */
char *cv_chem_mol_scaffold(const ChemMol *mol, int *rings);

/* MOSES's mol_passes_filters: a molecule passes when it has no ring of 8 or more atoms, no
 * charged atom, only C, N, S, O, F, Cl, Br and H, no match of MOSES's 22 MCF SMARTS
 * (moses/metrics/mcf.csv, matched on the molecule with explicit hydrogens as MOSES does)
 * nor of RDKit's PAINS FilterCatalog (PAINS_A + B + C, 480 entries), and a non-isomeric
 * SMILES that parses again. The PAINS set is RDKit 2022.09's, not the copy of
 * wehi_pains.csv MOSES ships: RDKit corrected 16 of its 480 SMARTS since (README
 * "Metrics"). The verdict names the first rule failed, in that order. */
typedef enum {
    CHEM_FILTER_PASS = 0,
    CHEM_FILTER_RING,   /* a ring of 8 or more atoms */
    CHEM_FILTER_CHARGE, /* a charged atom */
    CHEM_FILTER_ATOM,   /* an element other than C, N, S, O, F, Cl, Br, H */
    CHEM_FILTER_MCF,    /* one of MOSES's MCF SMARTS matches */
    CHEM_FILTER_PAINS,  /* a PAINS entry matches */
    CHEM_FILTER_SMILES, /* its non-isomeric SMILES is empty or does not parse */
    CHEM_FILTER_ERROR   /* RDKit failed (never seen) */
} ChemFilterVerdict;
ChemFilterVerdict cv_chem_mol_filters(const ChemMol *mol);
/* "pass", "ring", "charge", "atom", "mcf", "pains", "smiles", "error". */
const char *cv_chem_filter_name(ChemFilterVerdict v);

/* SMARTS substructure test: 1 match, 0 no match, -1 invalid SMARTS or SMILES. Parses the
 * SMARTS on every call: to test many molecules, use a ChemQuery. */
int cv_chem_has_substruct(const char *smiles, const char *smarts);

/* A SMARTS query parsed once for many molecules; read-only afterwards, so one query may be
 * matched from several threads. Matching is RDKit's HasSubstructMatch with default
 * parameters (stereo in the query ignored), checked against Python RDKit on 500 ZINC
 * molecules x 22 SMARTS (tests/fixtures/substruct.tsv). */
typedef struct ChemQuery ChemQuery;
/* NULL when RDKit cannot parse the SMARTS (or it is empty, longer than CHEM_MAX_SMILES,
 * or looks like a molblock / JSON), or out of memory. */
ChemQuery *cv_chem_query_new(const char *smarts);
/* 1 match, 0 no match, -1 invalid SMILES (or an RDKit failure). */
int cv_chem_query_match(const ChemQuery *q, const char *smiles);
void cv_chem_query_free(ChemQuery *q);

/* A V2000 molfile block of `mol` with 2D coordinates (RDKit's Compute2DCoords and
 * MolToMolBlock, as Python's rdDepictor.Compute2DCoords + Chem.MolToMolBlock), its title
 * line `title` (NULL: empty; control bytes become spaces, cut at 80 bytes), ending with
 * "M  END\n"; malloc'd, or NULL when RDKit fails or out of memory. A double bond whose
 * configuration the SMILES leaves open is written as "either" (bond stereo 3), so the
 * block reads back as the same molecule instead of gaining cis/trans from the drawing. */
char *cv_chem_mol_block(const ChemMol *mol, const char *title);

/* SDF output a record at a time. cv_chem_sdf_item appends one data item "> <key>\nvalue\n\n"
 * (value: len bytes; line ends in it become spaces) to *items; 0, or -1 out of memory.
 * cv_chem_write_sdf_record writes to fp the molblock of `smiles` titled `name`
 * (cv_chem_mol_block), or a record without atoms when RDKit cannot read it, then `items`
 * (NULL-able) and "$$$$". */
int cv_chem_sdf_item(CvBuf *items, const char *key, const char *value, size_t len);
void cv_chem_write_sdf_record(FILE *fp, const char *smiles, const char *name, const char *items);

/* SVG depiction (RDKit MolDraw2D), malloc'd, or NULL if invalid. */
char *cv_chem_svg(const char *smiles, int width, int height);

#endif
