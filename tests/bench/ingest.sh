#!/usr/bin/env bash
# Ingest throughput with RDKit canonicalization and computed logP/QED/SA: chemvae (1 thread
# and all CPUs) vs the same work in Python RDKit (tests/bench/ingest_rdkit.py), then the
# load time of the resulting dataset. INGEST_BENCH_FILE picks the input (default the
# bundled datasets/zinc5k.csv; e.g. the gunzipped 176k MOSES-style file for the issue's
# acceptance run).
set -euo pipefail
BUILD=${BUILD:-build}
IN=${INGEST_BENCH_FILE:-datasets/zinc5k.csv}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
run() { # threads
  local t0 t1
  t0=$(date +%s.%N)
  "$BUILD/chemvae" ingest "$IN" -o "$TMP/out.cvds" --props none --compute logp,qed,sa -q -j "$1" >"$TMP/summary.csv"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
c1=$(run 1)
cn=$(run 0)
echo "chemvae ingest $IN: 1 thread ${c1} s, $(nproc) threads ${cn} s ($(tail -1 "$TMP/summary.csv" | cut -d, -f3-6 | tr , ' ') = rows accepted rejected duplicates)"
p=$(/usr/bin/python3 tests/bench/ingest_rdkit.py "$IN")
echo "$p"
ps=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$p")
awk -v c1="$c1" -v cn="$cn" -v p="$ps" 'BEGIN { printf "ingest speedup vs Python RDKit: %.2fx (1 thread), %.2fx (all CPUs) (target >= 2x)\n", p / c1, p / cn }'
"$BUILD/bench/bench_dataset" "$TMP/out.cvds" 5
