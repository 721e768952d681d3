#!/usr/bin/env bash
# Constrained vs unconstrained greedy decoding with the shipped model, 2 threads, side by
# side in one run (tests/bench/bench_constrain.c).
set -euo pipefail
BUILD=${BUILD:-build}
export OPENBLAS_NUM_THREADS=2
"$BUILD/bench/bench_constrain" results/models/zinc24k-small.cvae "${N:-2048}" "${ROUNDS:-3}"
