#!/usr/bin/python3
"""MOSES's metrics (molecularsets/moses, moses/metrics/metrics.py) in Python RDKit: the
reference for `chemvae metrics` (src/app/app_metrics.c, app_metrics.h says which metrics).

    tests/metrics_reference.py GEN [--train FILE] [--test FILE]

GEN: one string a line (empty lines skipped); --train / --test: CSV files whose `smiles`
column (else the first) holds the molecules. Prints metric,value as `chemvae metrics` does.
"""
import argparse
import csv
import math
import os
import sys

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem, Crippen, Descriptors, QED

RDLogger.DisableLog("rdApp.*")
sys.path.append(os.path.join("/usr/share/RDKit/Contrib/SA_Score"))
import sascorer  # noqa: E402


def read_gen(path):
    return [l.strip() for l in open(path) if l.strip()]


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    col = next((k for k, h in enumerate(rows[0]) if h.lower() == "smiles"), None)
    if col is None:
        return [r[0] for r in rows if r and r[0].strip()]
    return [r[col].strip() for r in rows[1:] if len(r) > col and r[col].strip()]


def valid_mols(smiles):
    out = []
    for s in smiles:
        m = Chem.MolFromSmiles(s)
        if m is not None and m.GetNumAtoms() > 0:
            out.append(m)
    return out


def fps(mols):
    arr = np.zeros((len(mols), 1024), dtype=np.uint8)
    for i, m in enumerate(mols):
        bv = AllChem.GetMorganFingerprintAsBitVect(m, 2, nBits=1024)
        arr[i, list(bv.GetOnBits())] = 1
    return arr.astype(np.float64)


def tanimoto(a, b):
    tp = a @ b.T
    with np.errstate(invalid="ignore", divide="ignore"):
        t = tp / (a.sum(1)[:, None] + b.sum(1)[None, :] - tp)
    t[np.isnan(t)] = 1.0
    return t


def wasserstein(u, v):
    u, v = np.sort(u), np.sort(v)
    allv = np.sort(np.concatenate([u, v]))
    d = np.diff(allv)
    cu = np.searchsorted(u, allv[:-1], "right") / len(u)
    cv = np.searchsorted(v, allv[:-1], "right") / len(v)
    return float(np.sum(np.abs(cu - cv) * d))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gen")
    ap.add_argument("--train")
    ap.add_argument("--test")
    a = ap.parse_args()
    gen = read_gen(a.gen)
    g = valid_mols(gen)
    canon = [Chem.MolToSmiles(m) for m in g]
    out = [("valid", len(g) / len(gen))]
    for k in (1000, 10000):
        first = canon[:k]
        out.append((f"unique@{k}", len(set(first)) / len(first)))
    gf = fps(g)
    t = tanimoto(gf, gf)
    out.append(("IntDiv1", 1 - t.mean(1).mean()))
    out.append(("IntDiv2", 1 - np.sqrt((t ** 2).mean(1)).mean()))
    if a.train:
        train = {Chem.MolToSmiles(m) for m in valid_mols(read_csv(a.train))}
        cs = set(canon)
        out.append(("novelty", len(cs - train) / len(cs)))
    if a.test:
        te = valid_mols(read_csv(a.test))
        out.append(("SNN", tanimoto(gf, fps(te)).max(1).mean()))
        funcs = [("logP", Crippen.MolLogP), ("SA", sascorer.calculateScore), ("QED", QED.qed),
                 ("weight", Descriptors.MolWt)]
        for name, f in funcs:
            out.append((name, wasserstein(np.array([f(m) for m in g]), np.array([f(m) for m in te]))))
    print("metric,value")
    for name, v in out:
        print(f"{name},{v:.6g}")


if __name__ == "__main__":
    main()
