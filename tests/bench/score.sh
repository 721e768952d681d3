#!/usr/bin/env bash
# Scoring throughput (parse + canonical SMILES + MW + logP + QED + SA + penalized logP):
# chemvae's chem module vs Python RDKit 2022.09 (+ sascorer.py) on the same molecules in
# one run, single thread, then `chemvae score` wall-clock with --threads 1 and 2.
# Per-thread rates are CPU time of the best of PASSES passes on each side (the pass least
# disturbed by other load on a shared machine); start-up is excluded on both sides.
# Also checks that both produce the same CSV. Env: SCORE_BENCH_PASSES (default 5).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
passes=${SCORE_BENCH_PASSES:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cut -f1 tests/fixtures/zinc500.tsv | tail -n +2 > "$tmp/mols.smi"
n=$(wc -l < "$tmp/mols.smi")

c_line=$("$build/bench/bench_score" "$tmp/mols.smi" "$passes")
py_line=$(/usr/bin/python3 tests/bench/score_rdkit.py "$tmp/mols.smi" "$passes" 2>&1 >"$tmp/py.csv")
echo "$c_line"
echo "$py_line"
c_rate=$(sed -E 's/.* ([0-9.]+) mol\/s.*/\1/' <<<"$c_line")
py_rate=$(sed -E 's/.* ([0-9.]+) mol\/s.*/\1/' <<<"$py_line")
awk -v c="$c_rate" -v p="$py_rate" 'BEGIN { printf "ratio chemvae/python per thread: %.2fx (target >= 2x)\n", c / p }'

"$build/chemvae" score --input "$tmp/mols.smi" > "$tmp/c.csv"
if cmp -s "$tmp/c.csv" "$tmp/py.csv"; then
  echo "outputs: identical CSV for $n molecules (6 decimals)"
else
  echo "outputs differ:"; diff "$tmp/c.csv" "$tmp/py.csv" | head -5; exit 1
fi

for k in 1 2 3 4; do cat "$tmp/mols.smi"; done > "$tmp/mols4.smi"
for t in 1 2; do
  s=$(date +%s.%N)
  "$build/chemvae" score --threads "$t" --input "$tmp/mols4.smi" > /dev/null
  e=$(date +%s.%N)
  awk -v n=$((4 * n)) -v s="$s" -v e="$e" -v t="$t" \
    'BEGIN { printf "chemvae score --threads %d: %d molecules in %.2f s wall, %.0f mol/s (whole command)\n", t, n, e - s, n / (e - s) }'
done
echo "($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
