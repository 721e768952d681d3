#!/usr/bin/env bash
# Results DB throughput: batched generation inserts at batch sizes 1..4096, `top` view.
set -euo pipefail
"${BUILD:-build}/bench/bench_store" "${STORE_BENCH_ROWS:-100000}"
