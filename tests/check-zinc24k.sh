#!/usr/bin/env bash
# Full exactness check (not part of make test): scores every molecule of a ZINC-style CSV
# (default datasets/zinc24k.csv: smiles,logP,qed,SAS from Python RDKit
# 2022.09 + sascorer.py) with `chemvae score` and reports, for logP, QED and SA, the
# maximum absolute error (scores printed with 17 decimals, i.e. exactly) and how many
# rows differ by more than 1e-4, plus invalid rows.
# usage: tests/check-zinc24k.sh [CSV] [THREADS]   (exit 1 if any row is over 1e-4)
set -euo pipefail
cd "$(dirname "$0")/.."
csv=${1:-datasets/zinc24k.csv}
threads=${2:-1}
bin=${BUILD:-build}/chemvae
out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$(date +%s.%N)
"$bin" score --input "$csv" --smiles-col smiles --threads "$threads" --digits 17 > "$out"
end=$(date +%s.%N)
python3 - "$csv" "$out" "$start" "$end" <<'PY'
import csv, sys
ref_path, out_path, t0, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
with open(ref_path, newline="") as f:
    ref = list(csv.DictReader(f))
with open(out_path, newline="") as f:
    got = list(csv.DictReader(f))
assert len(ref) == len(got), f"{len(ref)} reference rows, {len(got)} scored rows"
pairs = [("logP", "logp"), ("qed", "qed"), ("SAS", "sa")]
maxerr = {k: 0.0 for k, _ in pairs}
over = {k: 0 for k, _ in pairs}
invalid = 0
worst = {}
for r, g in zip(ref, got):
    assert r["smiles"].strip() == g["input"], (r["smiles"], g["input"])
    if g["valid"] != "1":
        invalid += 1
        continue
    for k, c in pairs:
        e = abs(float(r[k]) - float(g[c]))
        if e > maxerr[k]:
            maxerr[k], worst[k] = e, g["input"]
        over[k] += e > 1e-4
n = len(ref)
print(f"{n} rows scored in {t1 - t0:.2f} s ({n / (t1 - t0):.0f} mol/s, whole command), invalid: {invalid}")
for k, _ in pairs:
    print(f"{k:5s} max abs error {maxerr[k]:.3g}  rows over 1e-4: {over[k]}" +
          (f"  (worst: {worst[k]})" if over[k] else ""))
sys.exit(1 if invalid or any(over.values()) else 0)
PY
