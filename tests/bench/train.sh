#!/usr/bin/env bash
# Training throughput of the `paper` preset, batch 128, 2 threads: chemvae vs the PyTorch
# CPU implementation of the same architecture (tests/bench/vae_torch.py), in one run.
# Also the step's GFLOP/s as a share of this machine's sgemm rate, and peak RSS.
set -euo pipefail
BUILD=${BUILD:-build}
STEPS=${STEPS:-3}
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2
c=$("$BUILD/bench/bench_train" paper 128 "$STEPS")
echo "$c"
t=$(/usr/bin/python3 tests/bench/vae_torch.py train --batch 128 --steps "$STEPS" --threads 2)
echo "$t"
cm=$(sed -n 's/.*mol_per_s=\([0-9.]*\).*/\1/p' <<<"$c")
tm=$(sed -n 's/.*mol_per_s=\([0-9.]*\).*/\1/p' <<<"$t")
awk -v c="$cm" -v t="$tm" 'BEGIN { printf "train paper B=128 2 threads: chemvae %.1f mol/s, PyTorch %.1f mol/s, ratio %.2fx (target >= 3x)\n", c, t, c / t }'
