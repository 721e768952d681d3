#!/usr/bin/python3
"""Python RDKit reference for tests/bench/score.sh: the same work as `chemvae score`
(parse, canonical SMILES, MolWt, Crippen logP, QED, SA score, penalized logP) on the
SMILES of FILE, one per line; prints the same CSV columns and, on stderr, the scoring
rate: each of REPEATS passes is timed in process CPU time (start-up and imports
excluded) and the best pass counts, as in bench_score.c.
usage: score_rdkit.py FILE [REPEATS] > out.csv"""
import sys
import time

sys.path.append("/usr/share/RDKit/Contrib/SA_Score")
from rdkit import Chem, RDLogger  # noqa: E402
from rdkit.Chem import Crippen, Descriptors, QED  # noqa: E402
import sascorer  # noqa: E402


def main():
    RDLogger.DisableLog("rdApp.*")
    with open(sys.argv[1]) as f:
        smiles = [line.strip() for line in f]
    sascorer.readFragmentScores()  # table load is start-up, as for the C program
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    best = None
    for _ in range(repeats):
        t0 = time.process_time()
        out = score(smiles)
        dt = time.process_time() - t0
        best = dt if best is None else min(best, dt)
    sys.stdout.write("\n".join(out) + "\n")
    print(f"python_rdkit {len(smiles)} molecules, best of {repeats} passes {best:.3f} s CPU: "
          f"{len(smiles) / best:.1f} mol/s", file=sys.stderr)


def score(smiles):
    out = ["input,valid,canonical_smiles,mw,logp,qed,sa,penalized_logp"]
    for s in smiles:
        m = Chem.MolFromSmiles(s)
        if m is None or m.GetNumAtoms() == 0:
            out.append(f"{s},0,,,,,,")
            continue
        can = Chem.MolToSmiles(m)
        mw = Descriptors.MolWt(m)
        logp = Crippen.MolLogP(m)
        qed = QED.qed(m)
        sa = sascorer.calculateScore(m)
        largest = max((len(r) for r in m.GetRingInfo().AtomRings()), default=0)
        plogp = logp - sa - max(0, largest - 6)
        out.append(f"{s},1,{can},{mw:.6f},{logp:.6f},{qed:.6f},{sa:.6f},{plogp:.6f}")
    return out


if __name__ == "__main__":
    main()
