/* chem_rdkit.h — private to src/chem: the extern "C" API of chem_rdkit.cpp, the one
 * project-owned C++ file. It exposes only what RDKit 2022.09's C FFI (cffiwrapper.h)
 * lacks for parsing as Python does, standardization, QED and the SA score, or does slower
 * (Morgan bit vectors); the algorithms themselves (QED's SMARTS lists and ADS tables, the SA
 * formula and fragment table) stay in C (chem_qed.c, chem_sa.c).
 *
 * No function throws; failures are reported through return values. */
#ifndef CHEMVAE_CHEM_RDKIT_H
#define CHEMVAE_CHEM_RDKIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An unpickled RDKit molecule (RDKit::ROMol). */
typedef struct ChemRdMol ChemRdMol;
/* SMARTS queries parsed once (RDKit::ROMol query molecules), read-only afterwards. */
typedef struct ChemRdPatterns ChemRdPatterns;

/* Parses `n` SMARTS strings. Returns NULL when one does not parse (its index is stored
 * in *bad when bad is non-NULL) or on out-of-memory. Free with cv_chem_rd_patterns_free. */
ChemRdPatterns *cv_chem_rd_patterns_new(const char *const *smarts, size_t n, size_t *bad);
void cv_chem_rd_patterns_free(ChemRdPatterns *p);

/* Parses `smiles` exactly as Python's Chem.MolFromSmiles does (RDKit's SmilesToMol,
 * sanitized, Hs removed). On success returns the molecule, sets *pkl to a malloc'd RDKit
 * pickle of it (*pkl_len bytes, the format of the C FFI's get_mol, for
 * get_svg; free() it) and stores its atom count and largest ring size
 * (0 when acyclic). Returns NULL (and *pkl = NULL) when RDKit rejects the SMILES. */
ChemRdMol *cv_chem_rd_mol_from_smiles(const char *smiles, char **pkl, size_t *pkl_len,
                                      int *num_atoms, int *largest_ring);
/* The same for a molblock (V2000 or V3000), read as Python's Chem.MolFromMolBlock reads it
 * (sanitized, Hs removed, stereo from wedges and coordinates). */
ChemRdMol *cv_chem_rd_mol_from_molblock(const char *block, char **pkl, size_t *pkl_len,
                                        int *num_atoms, int *largest_ring);
/* The same for the standardized form of m: rdMolStandardize.ChargeParent(m), and with
 * `tautomer` then rdMolStandardize.CanonicalTautomer of it. NULL when RDKit fails. */
ChemRdMol *cv_chem_rd_standardize(const ChemRdMol *m, int tautomer, char **pkl, size_t *pkl_len,
                                  int *num_atoms, int *largest_ring);
void cv_chem_rd_mol_free(ChemRdMol *m);
/* Canonical isomeric SMILES of m as Python's Chem.MolToSmiles writes it, malloc'd; NULL on
 * out-of-memory. */
char *cv_chem_rd_canonical(const ChemRdMol *m);
enum {
    CHEM_RD_OK,
    CHEM_RD_FAIL_PARSE,
    CHEM_RD_FAIL_VALENCE,
    CHEM_RD_FAIL_KEKULIZE,
    CHEM_RD_FAIL_OTHER
};
/* Why RDKit rejects `smiles` (CHEM_RD_FAIL_*), CHEM_RD_OK when it parses. */
int cv_chem_rd_failure(const char *smiles);
/* A randomized (non-canonical, random atom order) SMILES of `smiles`, malloc'd, fixed by
 * `seed`; NULL when the SMILES does not parse. */
char *cv_chem_rd_random_smiles(const char *smiles, uint64_t seed);

/* A V2000 molblock of m with 2D coordinates (RDKit's compute2DCoords, MolToMolBlock),
 * titled `title` (one line), in which a double bond the SMILES left without configuration
 * reads back without one; malloc'd, NULL on failure. */
char *cv_chem_rd_mol_block(const ChemRdMol *m, const char *title);

/* Number of uniquified matches of pattern `i` in `m`, at most `max_matches`
 * (1: "does it match at all", as HasSubstructMatch; 1000: GetSubstructMatches). Equal to
 * RDKit's count for the SMARTS as written whenever fewer than max_matches matches exist
 * (the query is searched in a different atom order, see chem_rdkit.cpp).
 * -1 on an RDKit failure or a bad index. */
int cv_chem_rd_count_matches(const ChemRdMol *m, const ChemRdPatterns *p, size_t i,
                             unsigned max_matches);

/* Rings (SSSR count) left in `m` after deleting every atom matched by pattern `i`
 * (as Chem.GetSSSR(Chem.DeleteSubstructs(mol, pattern)) does). -1 on failure. */
int cv_chem_rd_rings_without_matches(const ChemRdMol *m, const ChemRdPatterns *p, size_t i);

typedef struct {
    double mw;          /* Descriptors.MolWt (average mass, implicit Hs included) */
    double logp;        /* Crippen.MolLogP */
    double tpsa;        /* MolSurf.TPSA (N and O only) */
    int hbd;            /* rdMolDescriptors.CalcNumHBD */
    int rotb_strict;    /* CalcNumRotatableBonds(Strict) */
    int num_atoms;      /* atoms in the graph (heavy atoms for Hs-removed pickles) */
    int chiral_centers; /* FindMolChiralCenters(includeUnassigned=True), legacy perception */
    int spiro;          /* CalcNumSpiroAtoms */
    int bridgeheads;    /* CalcNumBridgeheadAtoms */
    int largest_ring;   /* largest ring of RingInfo (symmetrized SSSR), 0 when acyclic */
    int macrocycles;    /* rings of RingInfo with more than 8 atoms */
} ChemRdDescriptors;

/* Fills *out. Assigns stereochemistry on `m` (flags possible centers), hence not const;
 * like every RDKit molecule a ChemRdMol is used by one thread at a time.
 * Returns 0, or -1 on an RDKit failure. */
int cv_chem_rd_descriptors(ChemRdMol *m, ChemRdDescriptors *out);

/* Unfolded Morgan fingerprint with counts (GetMorganFingerprint(m, radius)): writes up
 * to `cap` (id, count) pairs in ascending id order and returns how many there are in
 * total (call again with a larger buffer when the result exceeds cap); -1 on failure. */
long cv_chem_rd_morgan_counts(const ChemRdMol *m, unsigned radius, uint32_t *ids, uint32_t *counts,
                              size_t cap);

/* Folded Morgan bit vector, as Python's AllChem.GetMorganFingerprintAsBitVect(m, radius,
 * nBits) (RDKit's MorganFingerprints::getFingerprintAsBitVect with its defaults): writes
 * nbits / 8 bytes, bit i in byte i / 8 at bit i % 8 (the layout of the C FFI's
 * get_morgan_fp_as_bytes and of DataStructs.BitVectToFPSText). nbits % 8 == 0.
 * Returns 0, or -1 on failure. */
int cv_chem_rd_morgan_bits(const ChemRdMol *m, unsigned radius, unsigned nbits,
                           unsigned char *bytes);

/* ---- MOSES's metrics (molecularsets/moses, moses/metrics/utils.py) ---- */
/* The BRICS fragments of m as MOSES's fragmenter() writes them,
 * Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(mol)) (fragments joined by '.'), malloc'd;
 * NULL on an RDKit failure or out-of-memory. */
char *cv_chem_rd_brics(const ChemRdMol *m);
/* The Bemis-Murcko scaffold of m as MurckoScaffold.GetScaffoldForMol gives it: its canonical
 * SMILES ("" when m has no ring), malloc'd, and in *rings its ring count; NULL on an RDKit
 * failure (where MOSES's compute_scaffold has no scaffold either) or out-of-memory. */
char *cv_chem_rd_scaffold(const ChemRdMol *m, int *rings);
enum {
    CHEM_RD_FILTER_PASS,
    CHEM_RD_FILTER_RING,
    CHEM_RD_FILTER_CHARGE,
    CHEM_RD_FILTER_ATOM,
    CHEM_RD_FILTER_MCF,
    CHEM_RD_FILTER_PAINS,
    CHEM_RD_FILTER_SMILES,
    CHEM_RD_FILTER_ERROR
};
/* MOSES's mol_passes_filters on m: CHEM_RD_FILTER_PASS, or the first rule it fails
 * (chem.h ChemFilterVerdict). */
int cv_chem_rd_moses_filters(const ChemRdMol *m);

#ifdef __cplusplus
}
#endif

#endif
