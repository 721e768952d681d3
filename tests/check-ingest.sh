#!/usr/bin/env bash
# Ingest acceptance check (not part of make test): ingests a ZINC/MOSES-style CSV with
# `chemvae ingest`, checks the printed counts add up (rows = accepted + rejected +
# duplicates), and that the accepted molecules are exactly what Python RDKit 2022.09 keeps
# (valid, canonical MolToSmiles, first occurrence of each), in the same order. Then times
# loading the dataset.
# usage: tests/check-ingest.sh [CSV] [THREADS]
#   default CSV datasets/zinc24k.csv; for the 176k MOSES-style set (the Python side reads
#   plain CSV): gunzip -c datasets/zinc_clean_leads_176k.csv.gz > /tmp/zinc176k.csv
#   tests/check-ingest.sh /tmp/zinc176k.csv
set -euo pipefail
cd "$(dirname "$0")/.."
csv=${1:-datasets/zinc24k.csv}
threads=${2:-0}
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/time -f "ingest: %e s wall, %U s user CPU, %M KB max RSS" \
  "$BUILD/chemvae" ingest "$csv" -o "$tmp/out.cvds" -j "$threads" -q > "$tmp/summary.csv"
cat "$tmp/summary.csv"
/usr/bin/python3 tests/cvds_smiles.py "$tmp/out.cvds" > "$tmp/ours.txt"
/usr/bin/python3 - "$csv" "$tmp/summary.csv" "$tmp/ours.txt" <<'PY'
import csv, sys
from rdkit import Chem, RDLogger
RDLogger.DisableLog("rdApp.*")
path, summary, ours_path = sys.argv[1:4]
s = list(csv.DictReader(open(summary)))[0]
rows, acc, rej, dup = (int(s[k]) for k in ("rows", "accepted", "rejected", "duplicates"))
assert rows == acc + rej + dup, f"counts do not add up: {rows} != {acc} + {rej} + {dup}"
kept, seen, n = [], set(), 0
with open(path, newline="", errors="surrogateescape") as f:
    r = csv.reader(f)
    header = [h.strip().lower() for h in next(r)]
    k = header.index("smiles")
    for rec in r:
        n += 1
        m = Chem.MolFromSmiles(rec[k].strip()) if len(rec) > k else None
        if m is None or m.GetNumAtoms() == 0:
            continue
        c = Chem.MolToSmiles(m)
        if c not in seen:
            seen.add(c)
            kept.append(c)
ours = open(ours_path).read().split("\n")[:-1]
print(f"python: {n} rows, {len(kept)} valid unique; chemvae: {rows} rows, {acc} accepted, "
      f"{rej} rejected, {dup} duplicates; same molecules in the same order: {ours == kept}")
sys.exit(0 if ours == kept and n == rows else 1)
PY
"$BUILD/bench/bench_dataset" "$tmp/out.cvds" 5
