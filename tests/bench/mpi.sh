#!/usr/bin/env bash
# Data-parallel training (MPI): training steps/s of the `paper` preset at global batch 128
# on this machine, 2 processes x 1 thread against 1 x 1 and against 1 x 2 (OpenBLAS
# threads), best of ROUNDS (2) alternating rounds of STEPS (6) steps each (the first step
# of a run is not timed); and the time of one allreduce of the paper preset's gradient
# (its parameter count in floats) over 2 processes, as a share of a 2 x 1 step. The data:
# the first 2,000 rows of datasets/zinc5k.csv. Prints "skipped" when the build has no MPI.
set -euo pipefail
BUILD=${BUILD:-build}
STEPS=${STEPS:-6}
ROUNDS=${ROUNDS:-2}
drv=$BUILD/bench/bench_dist
if [ "$("$drv" built)" != 1 ]; then
  echo "mpi: skipped (this build has no MPI: install libopenmpi-dev and openmpi-bin, rebuild)"
  exit 0
fi
tmp=$(mktemp -d /tmp/chemvae-mpibench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mpi=(mpirun --oversubscribe --bind-to none)
[ "$(id -u)" -ne 0 ] || mpi+=(--allow-run-as-root)
head -2001 datasets/zinc5k.csv > "$tmp/in.csv"
"$BUILD/chemvae" ingest "$tmp/in.csv" -o "$tmp/d.cvds" --rejects "$tmp/r.csv" -q -j 2 > /dev/null

run() { # RANKS THREADS: "steps/s params"
  "${mpi[@]}" -np "$1" -x OPENBLAS_NUM_THREADS="$2" "$drv" speed "$tmp/d.cvds" paper 128 "$STEPS" |
    sed -n 's/.*steps_per_s=\([0-9.]*\).*params=\([0-9]*\).*/\1 \2/p'
}
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
s11=0 s21=0 s12=0 params=0
for _ in $(seq "$ROUNDS"); do
  read -r x params <<<"$(run 1 1)"; s11=$(best "$s11" "$x")
  read -r x params <<<"$(run 2 1)"; s21=$(best "$s21" "$x")
  read -r x params <<<"$(run 1 2)"; s12=$(best "$s12" "$x")
done
ar=$("${mpi[@]}" -np 2 "$drv" allreduce "$params" 20)
echo "$ar"
ms=$(sed -n 's/.* ms=\([0-9.]*\).*/\1/p' <<<"$ar")
awk -v a="$s11" -v b="$s21" -v c="$s12" -v ms="$ms" -v p="$params" 'BEGIN {
  printf "mpi paper B=128 steps/s: 1x1 %.4f, 2x1 %.4f, 1x2 %.4f; 2x1 / 1x1 = %.2fx (target >= 1.8x), 2x1 / 1x2 = %.2fx\n", a, b, c, b / a, b / c
  printf "mpi allreduce of %d floats over 2 processes: %.2f ms, %.2f%% of a 2x1 step\n", p, ms, 100 * ms / 1000 * b }'

# Projection to N processes on separate machines from the measured 1 x 1 step time t1:
# compute of b rows = t1 * b / 128 (linear in the rows: an upper bound on speed, GEMMs of a
# few rows run below peak); the gradient by ring allreduce, 2 (N-1)/N * 4 * params bytes
# over the link plus 2 (N-1) message latencies; SMALL (15 for paper: 3 per batchnorm layer,
# the KL, loss terms, stop flag) latency-bound sums of log2(N) rounds each. ALPHA_US (50):
# one message's latency over TCP.
awk -v t1="$(awk -v a="$s11" 'BEGIN { print 1 / a }')" -v p="$params" -v alpha="${ALPHA_US:-50}e-6" \
    -v small="${SMALL:-15}" 'BEGIN {
  split("8 32 128", ns, " "); split("10 100", gb, " ")
  for (i = 1; i <= 3; i++) for (j = 1; j <= 2; j++) {
    n = ns[i]; bw = gb[j] * 1e9 / 8
    ar = 2 * (n - 1) / n * 4 * p / bw + 2 * (n - 1) * alpha + small * log(n) / log(2) * alpha
    strong = t1 / n + ar; weak = t1 + ar
    printf "projection N=%d %d Gbit/s: allreduce %.1f ms; global batch 128: %.2f steps/s (%.0f%% in communication); 128 per process: %.0f mol/s (%.1fx one process)\n", \
      n, gb[j], ar * 1e3, 1 / strong, 100 * ar / strong, n * 128 / weak, n * t1 / weak
  } }'
