#!/usr/bin/env bash
# Runs every test binary given as argument from the repository root; prints one summary
# line per binary and a total. Exits non-zero if any test fails.
set -u
failed=()
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2}
for t in "$@"; do
  echo "== $t"
  if ! "$t"; then failed+=("$t"); fi
done
echo
echo "test binaries: $# run, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
