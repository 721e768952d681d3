#!/usr/bin/env bash
# Re-checks the CSV `chemvae optimize --objective plogp` printed, with Python RDKit (the
# oracle, never a runtime dependency): every start and best penalized logP (Crippen logP −
# SA − max(0, largest ring − 6)), and the Tanimoto similarity (Morgan radius 2, 2048 bits)
# between start and best. Prints the largest differences and the mean improvement and
# success count recomputed from the oracle's values; exit 1 when a score differs by more
# than 1e-3 or a similarity by more than 1e-3.
#
# usage: tests/check-optimize.sh PRINTED.csv [DELTA]
set -euo pipefail
csv=${1:?usage: tests/check-optimize.sh PRINTED.csv [DELTA]}
delta=${2:-0.4}
exec /usr/bin/python3 - "$csv" "$delta" <<'PY'
import csv, os, statistics, sys
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import AllChem, Crippen, RDConfig
sys.path.append(os.path.join(RDConfig.RDContribDir, "SA_Score"))
import sascorer
RDLogger.DisableLog("rdApp.*")

def plogp(m):
    ring = max([len(r) for r in m.GetRingInfo().AtomRings()] or [0])
    return Crippen.MolLogP(m) - sascorer.calculateScore(m) - max(0, ring - 6)

def fp(m):
    return AllChem.GetMorganFingerprintAsBitVect(m, 2, nBits=2048)

path, delta = sys.argv[1], float(sys.argv[2])
rows = list(csv.DictReader(open(path)))
worst_score = worst_sim = 0.0
impr, succ = [], 0
for r in rows:
    s = Chem.MolFromSmiles(r["start_smiles"])
    s_score = plogp(s)
    worst_score = max(worst_score, abs(s_score - float(r["start_score"])))
    best = r.get("best_smiles") or ""
    b = Chem.MolFromSmiles(best) if best else None
    if b is None:
        impr.append(0.0)
        continue
    b_score = plogp(b)
    worst_score = max(worst_score, abs(b_score - float(r["best_score"])))
    sim = DataStructs.TanimotoSimilarity(fp(s), fp(b))
    if r.get("similarity"):
        worst_sim = max(worst_sim, abs(sim - float(r["similarity"])))
    ok = sim >= delta and Chem.MolToSmiles(b) != Chem.MolToSmiles(s) and b_score > s_score
    succ += ok
    impr.append(b_score - s_score if ok else 0.0)
n = len(rows)
print(f"{path}: {n} starts; Python RDKit: mean improvement {statistics.mean(impr):.4f} +- "
      f"{statistics.pstdev(impr):.4f}, success {succ}/{n}; largest differences: score {worst_score:.2e}, "
      f"similarity {worst_sim:.2e}")
if worst_score > 1e-3 or worst_sim > 1e-3:
    sys.exit("FAIL: chemvae's numbers differ from Python RDKit's")
print("OK: every start and best score and similarity re-checked with Python RDKit")
PY
