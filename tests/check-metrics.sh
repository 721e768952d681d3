#!/usr/bin/env bash
# `chemvae metrics` against tests/metrics_reference.py (the same MOSES definitions in Python
# RDKit, run here: about 10 s) on tests/fixtures/generated3400.txt, with zinc24k records as
# train (the first 2,500) and test (the next 1,000): all 14 metrics within 1e-3; then the
# notes on stderr (FCD, unique@10000 over fewer molecules, the filter failures), the same
# numbers on one thread as on two, --smiles-col, a missing column or file as errors, and
# --format csv|json against the default output and --json.
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
# zinc24k.csv's SMILES fields end in a quoted line break: two lines a record
head -5001 datasets/zinc24k.csv > "$tmp/train.csv"
{ head -1 datasets/zinc24k.csv; sed -n 5002,7001p datasets/zinc24k.csv; } > "$tmp/test.csv"
"$bin" metrics "$gen" --train "$tmp/train.csv" --test "$tmp/test.csv" > "$tmp/c.csv" \
  2> "$tmp/notes" || fail "chemvae metrics exited $?"
/usr/bin/python3 tests/metrics_reference.py "$gen" --train "$tmp/train.csv" --test "$tmp/test.csv" \
  > "$tmp/p.csv" || fail "the reference exited $?"
awk -F, 'NR == FNR { want[$1] = $2; next } FNR > 1 {
  n++; d = $2 - want[$1]; if (d < 0) d = -d; s = want[$1] < 0 ? -want[$1] : want[$1]
  if (!($1 in want) || d > 1e-3 * (s > 1 ? s : 1)) { print "FAIL " $1 ": " $2 " vs the reference " want[$1]; bad = 1 }
} END { if (!bad) printf "ok   chemvae metrics: %d metrics within 1e-3 of tests/metrics_reference.py\n", n; exit bad }' \
  "$tmp/p.csv" "$tmp/c.csv"
[ "$(wc -l < "$tmp/c.csv")" -eq 15 ] || fail "chemvae metrics printed $(($(wc -l < "$tmp/c.csv") - 1)) metrics, not 14"
[ "$(cut -d, -f1 "$tmp/c.csv" | tr '\n' ' ')" = \
  "metric valid unique@1000 unique@10000 IntDiv1 IntDiv2 Filters novelty SNN Frag Scaf logP SA QED weight " ] ||
  fail "metric names or order: $(cut -d, -f1 "$tmp/c.csv" | tr '\n' ' ')"
grep -q '^unique@10000,0\.' "$tmp/c.csv" || fail "the fixture's duplicates are not counted"
echo "ok   the fixture's duplicates lower unique@10000: $(grep unique@10000 "$tmp/c.csv")"
grep -q "FCD is not computed" "$tmp/notes" || fail "no note on FCD: $(cat "$tmp/notes")"
grep -q "unique@10000 is over all 2285 molecules" "$tmp/notes" || fail "no unique@10000 note"
grep -q "Filters: 1030 of 2285 molecules fail, first on: ring 563 charge 238 atom 11 mcf 197 pains 21" \
  "$tmp/notes" || fail "filter note: $(grep Filters "$tmp/notes")"
echo "ok   notes on stderr: FCD, unique@10000 over 2,285 molecules, why 1,030 fail the filters"

head -600 "$gen" > "$tmp/gen600.txt"
"$bin" metrics "$tmp/gen600.txt" --test "$tmp/test.csv" -j 1 > "$tmp/j1.csv" 2> /dev/null
"$bin" metrics "$tmp/gen600.txt" --test "$tmp/test.csv" -j 2 > "$tmp/j2.csv" 2> /dev/null
cmp -s "$tmp/j1.csv" "$tmp/j2.csv" || fail "-j 1 and -j 2 differ"
echo "ok   the same numbers on one thread and on two"

{ echo "id,mol"; awk '{ print NR "," $0 }' "$tmp/gen600.txt"; } > "$tmp/gen.csv"
"$bin" metrics "$tmp/gen.csv" --smiles-col mol > "$tmp/col.csv" 2> /dev/null ||
  fail "--smiles-col mol exited $?"
"$bin" metrics "$tmp/gen600.txt" > "$tmp/plain.csv" 2> /dev/null
cmp -s "$tmp/col.csv" "$tmp/plain.csv" || fail "--smiles-col gives other numbers than the plain file"
rc=0; "$bin" metrics "$tmp/gen.csv" --smiles-col smi > /dev/null 2> "$tmp/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "no column 'smi'" "$tmp/err" || fail "a missing column: exit $rc, $(cat "$tmp/err")"
rc=0; "$bin" metrics "$tmp/none.txt" > /dev/null 2> "$tmp/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "none.txt" "$tmp/err" || fail "a missing file: exit $rc, $(cat "$tmp/err")"
echo "ok   --smiles-col reads a CSV column; a missing column or file is an error naming it"

"$bin" metrics "$tmp/gen600.txt" --format csv > "$tmp/f.csv" 2> /dev/null
cmp -s "$tmp/f.csv" "$tmp/plain.csv" || fail "--format csv differs from the default output"
"$bin" metrics "$tmp/gen600.txt" --json > "$tmp/j.json" 2> /dev/null
"$bin" metrics "$tmp/gen600.txt" --format json > "$tmp/f.json" 2> /dev/null
grep -q '^{"valid": 0\.[0-9]*, "unique@1000": ' "$tmp/j.json" || fail "--json: $(head -c 80 "$tmp/j.json")"
cmp -s "$tmp/f.json" "$tmp/j.json" || fail "--format json differs from --json"
rc=0; "$bin" metrics "$tmp/gen600.txt" --format xml > /dev/null 2> "$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "format expects csv or json, got 'xml'" "$tmp/err" ||
  fail "--format xml: exit $rc, $(cat "$tmp/err")"
echo "ok   --format csv prints the default output, --format json what --json prints; --format xml is a usage error naming csv and json"
