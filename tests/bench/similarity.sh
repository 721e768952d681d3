#!/usr/bin/env bash
# Similarity search on stored fingerprints, one thread: chemvae's Tanimoto kernel
# (bench_similarity.c) against Python RDKit's DataStructs.BulkTanimotoSimilarity
# (similarity_rdkit.py) on the same fingerprints — those the results DB stored for the
# molecules of SIMILARITY_BENCH_CSV (default datasets/zinc24k.csv, its smiles column) —
# each of the first SIMILARITY_BENCH_QUERIES (100) against all, best of
# SIMILARITY_BENCH_PASSES (5) passes in CPU time on both sides. Also the insert rate with
# fingerprinting and `query similar` end to end. Checks that both sides see the same
# fingerprints and sum to the same similarities. Targets: >= 20 M comparisons/s, >= 2x.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
csv=${SIMILARITY_BENCH_CSV:-datasets/zinc24k.csv}
queries=${SIMILARITY_BENCH_QUERIES:-100}
passes=${SIMILARITY_BENCH_PASSES:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 -c 'import csv, sys
for row in csv.DictReader(open(sys.argv[1])): print(row["smiles"].strip())' "$csv" > "$tmp/mols.smi"

"$build/bench/bench_similarity" "$tmp/mols.smi" "$tmp/bench.db" "$queries" "$passes" | tee "$tmp/c.txt"
/usr/bin/python3 tests/bench/similarity_rdkit.py "$tmp/bench.db" "$queries" "$passes" | tee "$tmp/py.txt"
grep -q ', 0 differ' "$tmp/py.txt" || { echo "stored fingerprints differ from RDKit's"; exit 1; }
c_line=$(grep '^chemvae kernel' "$tmp/c.txt")
py_line=$(grep '^python_rdkit Bulk' "$tmp/py.txt")
rate() { sed -E 's/.* ([0-9.]+) M comparisons\/s.*/\1/' <<<"$1"; }
sum() { sed -E 's/.*checksum ([0-9.]+).*/\1/' <<<"$1"; }
awk -v c="$(rate "$c_line")" -v p="$(rate "$py_line")" -v cs="$(sum "$c_line")" -v ps="$(sum "$py_line")" 'BEGIN {
  d = cs - ps; if (d < 0) d = -d
  if (d > 1e-6 * (ps > 1 ? ps : 1)) { printf "checksums differ: %s vs %s\n", cs, ps; exit 1 }
  printf "same similarities (checksum %s on both sides)\n", cs
  printf "kernel: %.2f M comparisons/s per core (target >= 20)\n", c
  printf "ratio chemvae/python per core: %.2fx (target >= 2x)\n", c / p }'
echo "($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
