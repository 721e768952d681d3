#!/usr/bin/env bash
# `chemvae metrics` against tests/metrics_reference.py (the same MOSES definitions in Python
# RDKit) on tests/fixtures/generated3400.txt, with zinc24k rows as train (the first 5,000)
# and test (the next 2,000): every metric within 1e-3.
#
# The fixture: 3,000 latent vectors z ~ N(0, I) (NumPy seed 7) decoded by the shipped model
# at temperature 1 (`chemvae decode --temperature 1 --seed 3`, valence mask; 2,010 of them
# molecules), then its first 400 lines again (MOSES keeps duplicates):
#   /usr/bin/python3 -c 'import numpy as np; np.random.seed(7);
#     np.savetxt("z.csv", np.random.randn(3000, 64), delimiter=",", fmt="%.6f")'
#   chemvae decode --temperature 1 --seed 3 --input z.csv | tail -n +2 | cut -d, -f2- |
#     sed 's/,[01]$//' > gen.txt; head -400 gen.txt >> gen.txt
# Prints "ok   ..." per check and "FAIL ..." on a failure (exit 1).
#
#   tests/check-metrics.sh [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build}/chemvae")
tmp=$(mktemp -d /tmp/chemvae-metrics-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; exit 1; }
gen=tests/fixtures/generated3400.txt
head -5001 datasets/zinc24k.csv > "$tmp/train.csv"
{ head -1 datasets/zinc24k.csv; sed -n 5002,7001p datasets/zinc24k.csv; } > "$tmp/test.csv"
"$bin" metrics "$gen" --train "$tmp/train.csv" --test "$tmp/test.csv" > "$tmp/c.csv" ||
  fail "chemvae metrics exited $?"
/usr/bin/python3 tests/metrics_reference.py "$gen" --train "$tmp/train.csv" --test "$tmp/test.csv" \
  > "$tmp/p.csv" || fail "the reference exited $?"
awk -F, 'NR == FNR { want[$1] = $2; next } FNR > 1 {
  n++; d = $2 - want[$1]; if (d < 0) d = -d; s = want[$1] < 0 ? -want[$1] : want[$1]
  if (!($1 in want) || d > 1e-3 * (s > 1 ? s : 1)) { print "FAIL " $1 ": " $2 " vs the reference " want[$1]; bad = 1 }
} END { if (!bad) printf "ok   chemvae metrics: %d metrics within 1e-3 of tests/metrics_reference.py\n", n; exit bad }' \
  "$tmp/p.csv" "$tmp/c.csv"
[ "$(wc -l < "$tmp/c.csv")" -eq 12 ] || fail "chemvae metrics printed $(($(wc -l < "$tmp/c.csv") - 1)) metrics, not 11"
grep -q '^unique@10000,0\.' "$tmp/c.csv" || fail "the fixture's duplicates are not counted"
echo "ok   the fixture's duplicates lower unique@10000: $(grep unique@10000 "$tmp/c.csv")"
