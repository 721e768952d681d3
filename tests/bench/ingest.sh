#!/usr/bin/env bash
# Ingest throughput with RDKit canonicalization and computed logP/QED/SA: chemvae (1 thread
# and all CPUs) vs the same work in Python RDKit (tests/bench/ingest_rdkit.py), then the
# load time of the resulting dataset. Wall and CPU seconds are both shown: on a shared
# machine the CPU seconds are the fair comparison of work done. INGEST_BENCH_FILE picks
# the input (default the bundled datasets/zinc5k.csv; e.g. the gunzipped 176k MOSES-style
# file for the issue's acceptance run).
set -euo pipefail
BUILD=${BUILD:-build}
IN=${INGEST_BENCH_FILE:-datasets/zinc5k.csv}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
timed() { # label command...: prints "wall cpu"
  /usr/bin/time -f "%e %U %S" -o "$TMP/time" "$@" >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; exit 1; }
  awk '{ printf "%.2f %.2f", $1, $2 + $3 }' "$TMP/time"
}
read -r c1w c1c <<<"$(timed "$BUILD/chemvae" ingest "$IN" -o "$TMP/out.cvds" --props none --compute logp,qed,sa -q -j 1)"
read -r cnw cnc <<<"$(timed "$BUILD/chemvae" ingest "$IN" -o "$TMP/out.cvds" --props none --compute logp,qed,sa -q -j 0)"
echo "chemvae ingest $IN (rows accepted rejected duplicates: $(tail -1 "$TMP/out" | cut -d, -f3-6 | tr , ' '))"
echo "  1 thread:        ${c1w} s wall, ${c1c} s CPU"
echo "  $(nproc) threads:       ${cnw} s wall, ${cnc} s CPU"
read -r pw pc <<<"$(timed /usr/bin/python3 tests/bench/ingest_rdkit.py "$IN")"
echo "  Python RDKit:    ${pw} s wall, ${pc} s CPU ($(cat "$TMP/out"))"
awk -v c1w="$c1w" -v c1c="$c1c" -v cnw="$cnw" -v pw="$pw" -v pc="$pc" 'BEGIN {
  printf "ingest speedup vs Python RDKit (target >= 2x): CPU %.2fx (1 thread); wall %.2fx (1 thread), %.2fx (all CPUs)\n",
         pc / c1c, pw / c1w, pw / cnw }'
"$BUILD/bench/bench_dataset" "$TMP/out.cvds" 5
