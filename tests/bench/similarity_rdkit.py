#!/usr/bin/python3
"""Python RDKit reference for tests/bench/similarity.sh: DataStructs.BulkTanimotoSimilarity
on the fingerprints bench_similarity stored in DB (molecules.fp, read back with
DataStructs.CreateFromFPSText(fp.hex())), each of the first Q against all, one thread.
Each of PASSES passes is timed in process CPU time (start-up, reading and conversion
excluded) and the best pass counts, as in bench_similarity.c. First checks that the
stored fingerprints are RDKit's own (AllChem.GetMorganFingerprintAsBitVect(m, 2, 2048) of
each stored SMILES) and prints how many differ; the checksum is the sum of all similarities.
usage: similarity_rdkit.py DB [Q [PASSES]]"""
import sqlite3
import sys
import time

from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import AllChem


def main():
    RDLogger.DisableLog("rdApp.*")
    q = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    passes = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    rows = con.execute("SELECT smiles, fp FROM molecules WHERE fp IS NOT NULL ORDER BY id").fetchall()
    fps = [DataStructs.CreateFromFPSText(fp.hex()) for _, fp in rows]
    differ = sum(fp != AllChem.GetMorganFingerprintAsBitVect(Chem.MolFromSmiles(s), 2, 2048)
                 for (s, _), fp in zip(rows, fps))
    print(f"python_rdkit: {len(fps)} stored fingerprints, {differ} differ from "
          "GetMorganFingerprintAsBitVect(m, 2, 2048)")
    queries = fps[:q]
    best, checksum = None, 0.0
    for _ in range(passes):
        t0 = time.process_time()
        sims = [DataStructs.BulkTanimotoSimilarity(fp, fps) for fp in queries]
        dt = time.process_time() - t0
        best = dt if best is None else min(best, dt)
        checksum = sum(sum(s) for s in sims)  # outside the timing (the C side sums inside)
    print(f"python_rdkit BulkTanimotoSimilarity: {len(fps)} fingerprints x {len(queries)} "
          f"queries, best of {passes} passes {best:.4f} s CPU: "
          f"{len(fps) * len(queries) / best / 1e6:.2f} M comparisons/s (checksum {checksum:.6f})")


if __name__ == "__main__":
    main()
