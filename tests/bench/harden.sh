#!/usr/bin/env bash
# What the release hardening flags cost (Makefile HARDEN: _FORTIFY_SOURCE=2, stack
# protector and stack-clash probes, PIE, full RELRO): the benchmark programs of $BUILD
# (hardened, the default) against the same sources built with `make HARDEN=` into
# $PLAIN, in alternating rounds, each side keeping its best round (the machine's throughput
# drifts; alternating gives both the same chances). Training step and batched greedy
# decoding of the `paper` preset (2 threads) and the chem module's scoring (1 thread).
# A ratio hardened/plain near 1 means the benchmark ratios against PyTorch and Python
# RDKit in the other scripts hold for the hardened build.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PLAIN=${PLAIN:-build/plain}
ROUNDS=${ROUNDS:-3}
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2
make -s BUILD="$PLAIN" HARDEN= "$PLAIN/bench/bench_train" "$PLAIN/bench/bench_decode" "$PLAIN/bench/bench_score" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cut -f1 tests/fixtures/zinc500.tsv | tail -n +2 > "$tmp/mols.smi"

rate() { sed -E -n 's/.*mol_per_s=([0-9.]+).*/\1/p; s/.* ([0-9.]+) mol\/s.*/\1/p' <<<"$1" | head -1; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > a ? b : a) }'; }
declare -A top
for ((r = 1; r <= ROUNDS; r++)); do
  for side in hard plain; do
    dir=$BUILD
    [ "$side" = plain ] && dir=$PLAIN
    t=$("$dir/bench/bench_train" paper 128 2)
    d=$("$dir/bench/bench_decode" paper 256 2)
    s=$("$dir/bench/bench_score" "$tmp/mols.smi" 2)
    echo "round $r $side: train $(rate "$t") decode $(rate "$d") score $(rate "$s") mol/s"
    top[$side-train]=$(best "${top[$side-train]:-0}" "$(rate "$t")")
    top[$side-decode]=$(best "${top[$side-decode]:-0}" "$(rate "$d")")
    top[$side-score]=$(best "${top[$side-score]:-0}" "$(rate "$s")")
  done
done
for b in train decode score; do
  awk -v h="${top[hard-$b]}" -v p="${top[plain-$b]}" -v b="$b" -v n="$ROUNDS" \
    'BEGIN { printf "%s, best of %d alternating rounds: hardened %.1f mol/s, plain %.1f mol/s, ratio %.3f\n", b, n, h, p, h / p }'
done
