#!/usr/bin/python3
"""MOSES's metrics (molecularsets/moses, moses/metrics/metrics.py and utils.py) in Python
RDKit: the reference for `chemvae metrics` (src/app/app_metrics.c; app_metrics.h states
each definition). It follows MOSES's get_all_metrics step by step, with these differences,
which chemvae shares:
  - the PAINS set is RDKit's PAINS FilterCatalog (RDKit's corrected wehi_pains.csv), not
    the copy MOSES ships; MCF is MOSES's 22 SMARTS, matched on Chem.AddHs(mol) as MOSES;
  - the training molecules are canonicalized before novelty (MOSES's train split is stored
    canonical and is compared as given);
  - a molecule whose canonical SMILES does not parse again is left out after validity and
    unique@k (MOSES would fail on it);
  - numbers in float64 (MOSES's Tanimoto is float32 torch); no FCD, no TestSF set.

    tests/metrics_reference.py GEN [--train FILE] [--test FILE]

GEN: one string a line (empty lines skipped); --train / --test: CSV files whose `smiles`
column (else the first) holds the molecules. Prints metric,value as `chemvae metrics` does.
As a module it gives the molecule-level pieces (get_mol, fragmenter, compute_scaffold,
filter_verdict) to tests/fixtures/make-moses-fixtures.py.
"""
import argparse
import csv
import os
import sys
from collections import Counter

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem, Crippen, Descriptors, QED
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams
from rdkit.Chem.Scaffolds import MurckoScaffold

RDLogger.DisableLog("rdApp.*")
sys.path.append(os.path.join("/usr/share/RDKit/Contrib/SA_Score"))
import sascorer  # noqa: E402

# moses/metrics/mcf.csv (MIT licence, Copyright 2018 Insilico Medicine), MCF1..MCF22
MCF = [
    "[#6]=&!@[#6]-[#6]#[#7]", "[#6]=&!@[#6]-[#16](=[#8])=[#8]",
    "[#6]=&!@[#6&!H0]-&!@[#6](=[#8])-&!@[#7]", "[H]C([H])([#6])[F,Cl,Br,I]",
    "[#6]1-[#8]-[#6]-1", "[#6]-[#7]=[#6]=[#8]", "[#6&!H0]=[#8]",
    "[#6](=&!@[#7&!H0])-&!@[#6,#7,#8,#16]", "[#6]1-[#7]-[#6]-1",
    "[#6]~&!@[#7]~&!@[#7]~&!@[#6]", "[#7]=&!@[#7]",
    "[H][#6]-1=[#6]([H])-[#6]=[#6](-*)-[#8]-1", "[H][#6]-1=[#6]([H])-[#6]=[#6](-*)-[#16]-1",
    "[#17,#35,#53]-c(:*):[!#1!#6]:*", "[H][#7]([H])-[#6]-1=[#6]-[#6]=[#6]-[#6]=[#6]-1",
    "[#16]~[#16]", "[#7]~&!@[#7]~&!@[#7]", "[#7]-&!@[#6&!H0&!H1]-&!@[#7]",
    "[#6&!H0](-&!@[#8])-&!@[#8]", "[#35].[#35].[#35]", "[#17].[#17].[#17].[#17]",
    "[#9].[#9].[#9].[#9].[#9].[#9].[#9]",
]
_MCF = [Chem.MolFromSmarts(s) for s in MCF]
_params = FilterCatalogParams()
_params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS)
_PAINS = FilterCatalog(_params)
ALLOWED = {"C", "N", "S", "O", "F", "Cl", "Br", "H"}


def get_mol(smiles):
    """moses.utils.get_mol"""
    if len(smiles) == 0:
        return None
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    try:
        Chem.SanitizeMol(mol)
    except ValueError:
        return None
    return mol


def canonic_smiles(smiles_or_mol):
    mol = get_mol(smiles_or_mol) if isinstance(smiles_or_mol, str) else smiles_or_mol
    return None if mol is None else Chem.MolToSmiles(mol)


def fragmenter(mol):
    return Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(mol)).split(".")


def compute_scaffold(mol, min_rings=2):
    try:
        scaffold = MurckoScaffold.GetScaffoldForMol(mol)
    except (ValueError, RuntimeError):
        return None
    n_rings = scaffold.GetRingInfo().NumRings()
    smiles = Chem.MolToSmiles(scaffold)
    if smiles == "" or n_rings < min_rings:
        return None
    return smiles


def filter_verdict(mol):
    """MOSES's mol_passes_filters with its MCF list and RDKit's PAINS catalog: "pass", or
    the first rule failed, in MOSES's order (chem.h ChemFilterVerdict)."""
    ring_info = mol.GetRingInfo()
    if ring_info.NumRings() != 0 and any(len(x) >= 8 for x in ring_info.AtomRings()):
        return "ring"
    h_mol = Chem.AddHs(mol)
    if any(atom.GetFormalCharge() != 0 for atom in mol.GetAtoms()):
        return "charge"
    if any(atom.GetSymbol() not in ALLOWED for atom in mol.GetAtoms()):
        return "atom"
    if any(h_mol.HasSubstructMatch(q) for q in _MCF):
        return "mcf"
    if _PAINS.HasMatch(mol):
        return "pains"
    smiles = Chem.MolToSmiles(mol, isomericSmiles=False)
    if smiles is None or len(smiles) == 0 or Chem.MolFromSmiles(smiles) is None:
        return "smiles"
    return "pass"


def fingerprints(mols):
    arr = np.zeros((len(mols), 1024), dtype=np.float64)
    for i, m in enumerate(mols):
        bits = list(AllChem.GetMorganFingerprintAsBitVect(m, 2, nBits=1024).GetOnBits())
        arr[i, bits] = 1
    return arr


def tanimoto(a, b):
    """MOSES's average_agg_tanimoto matrix: NaN (two empty fingerprints) counts 1."""
    tp = a @ b.T
    with np.errstate(invalid="ignore", divide="ignore"):
        t = tp / (a.sum(1)[:, None] + b.sum(1)[None, :] - tp)
    t[np.isnan(t)] = 1.0
    return t


def cos_similarity(ref, gen):
    """metrics.cos_similarity: 1 - scipy's cosine distance of the count vectors."""
    if len(ref) == 0 or len(gen) == 0:
        return float("nan")
    keys = sorted(set(ref) | set(gen))
    r = np.array([ref.get(k, 0) for k in keys], dtype=np.float64)
    g = np.array([gen.get(k, 0) for k in keys], dtype=np.float64)
    return float(r @ g / np.sqrt((r @ r) * (g @ g)))


def wasserstein(u, v):
    """scipy.stats.wasserstein_distance(u, v): the integral of |U(x) - V(x)|."""
    u, v = np.sort(u), np.sort(v)
    allv = np.sort(np.concatenate([u, v]))
    d = np.diff(allv)
    cu = np.searchsorted(u, allv[:-1], "right") / len(u)
    cv = np.searchsorted(v, allv[:-1], "right") / len(v)
    return float(np.sum(np.abs(cu - cv) * d))


def read_gen(path):
    return [line.strip() for line in open(path) if line.strip()]


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    col = next((k for k, h in enumerate(rows[0]) if h.lower() == "smiles"), None)
    if col is None:
        return [r[0].strip() for r in rows if r and r[0].strip()]
    return [r[col].strip() for r in rows[1:] if len(r) > col and r[col].strip()]


PROPS = [("logP", Crippen.MolLogP), ("SA", sascorer.calculateScore), ("QED", QED.qed),
         ("weight", Descriptors.MolWt)]


def metrics(gen, train=None, test=None):
    """get_all_metrics on the strings gen (train, test: lists of SMILES or None)."""
    parsed = [get_mol(s) for s in gen]
    out = [("valid", 1 - parsed.count(None) / len(parsed))]
    gen = [Chem.MolToSmiles(m) for m in parsed if m is not None]  # remove_invalid
    for k in (1000, 10000):
        first = gen[:k]  # MOSES warns when there are fewer than k
        out.append((f"unique@{k}", len(set(canonic_smiles(s) for s in first)) / len(first)))
    mols = [m for m in (get_mol(s) for s in gen) if m is not None]
    gf = fingerprints(mols)
    t = tanimoto(gf, gf)
    out.append(("IntDiv1", 1 - t.mean(1).mean()))
    out.append(("IntDiv2", 1 - np.sqrt((t ** 2).mean(1)).mean()))
    out.append(("Filters", np.mean([filter_verdict(m) == "pass" for m in mols])))
    if train is not None:
        train_set = {canonic_smiles(m) for m in (get_mol(s) for s in train) if m is not None}
        gen_set = {canonic_smiles(m) for m in mols} - {None}
        out.append(("novelty", len(gen_set - train_set) / len(gen_set)))
    if test is not None:
        te = [m for m in (get_mol(s) for s in test) if m is not None]
        out.append(("SNN", tanimoto(fingerprints(te), gf).max(0).mean()))
        frag = lambda ms: Counter(f for m in ms for f in fragmenter(m))  # noqa: E731
        out.append(("Frag", cos_similarity(frag(te), frag(mols))))
        scaf = lambda ms: Counter(s for s in map(compute_scaffold, ms) if s is not None)  # noqa
        out.append(("Scaf", cos_similarity(scaf(te), scaf(mols))))
        for name, f in PROPS:
            out.append((name, wasserstein(np.array([f(m) for m in mols]),
                                          np.array([f(m) for m in te]))))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gen")
    ap.add_argument("--train")
    ap.add_argument("--test")
    a = ap.parse_args()
    out = metrics(read_gen(a.gen), read_csv(a.train) if a.train else None,
                  read_csv(a.test) if a.test else None)
    print("metric,value")
    for name, v in out:
        print(f"{name},{v:.6g}")


if __name__ == "__main__":
    main()
