#!/usr/bin/env bash
# Batched greedy decoding of the `paper` preset, batch 256, 2 threads: chemvae (vae_decode)
# vs the PyTorch CPU implementation of the same decoder (tests/bench/vae_torch.py decode),
# in one run. Both decode all T = 120 positions of every molecule.
set -euo pipefail
BUILD=${BUILD:-build}
REPS=${REPS:-3}
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2
c=$("$BUILD/bench/bench_decode" paper 256 "$REPS")
echo "$c"
t=$(/usr/bin/python3 tests/bench/vae_torch.py decode --batch 256 --steps "$REPS" --threads 2)
echo "$t"
cm=$(sed -n 's/.* mol_per_s=\([0-9.]*\).*/\1/p' <<<"$c")
tm=$(sed -n 's/.* mol_per_s=\([0-9.]*\).*/\1/p' <<<"$t")
awk -v c="$cm" -v t="$tm" 'BEGIN { printf "decode paper B=256 2 threads: chemvae %.1f mol/s, PyTorch %.1f mol/s, ratio %.2fx (target >= 4x)\n", c, t, c / t }'
