#!/usr/bin/python3
"""The same work as `chemvae ingest --props none --compute logp,qed,sa`, in Python RDKit
(Debian's python3-rdkit): read the CSV, parse + canonicalize every SMILES, drop
duplicates, compute Crippen logP, QED and the SA score. Prints rows/accepted/seconds.
usage: ingest_rdkit.py FILE.csv [smiles column name]"""
import csv
import sys
import time

sys.path.append("/usr/share/RDKit/Contrib/SA_Score")
from rdkit import Chem, RDLogger  # noqa: E402
from rdkit.Chem import QED, Crippen  # noqa: E402
import sascorer  # noqa: E402

RDLogger.DisableLog("rdApp.*")
path = sys.argv[1]
col = sys.argv[2].lower() if len(sys.argv) > 2 else "smiles"
t0 = time.time()
rows = accepted = rejected = dups = 0
seen = set()
with open(path, newline="") as f:
    r = csv.reader(f)
    header = [h.strip().lower() for h in next(r)]
    k = header.index(col)
    for rec in r:
        rows += 1
        mol = Chem.MolFromSmiles(rec[k].strip()) if len(rec) > k else None
        if mol is None or mol.GetNumAtoms() == 0:
            rejected += 1
            continue
        can = Chem.MolToSmiles(mol)
        if can in seen:
            dups += 1
            continue
        seen.add(can)
        props = (Crippen.MolLogP(mol), QED.qed(mol), sascorer.calculateScore(mol))
        accepted += 1
dt = time.time() - t0
print(f"python_rdkit rows={rows} accepted={accepted} rejected={rejected} duplicates={dups} "
      f"seconds={dt:.2f} mol_per_s={rows / dt:.1f}")
