#!/usr/bin/env bash
# Checks that an interrupted demo pipeline finishes with the same molecules as an
# uninterrupted one (issue 7 acceptance). Not part of `make test` (it trains twice):
#
#   tests/check-demo-resume.sh [BIN]        default BIN build/chemvae; env PRESET, EPOCHS
#
# Run A: pipelines/demo straight through. Run B: the same pipeline, SIGKILLed in the middle of
# its second training epoch (after the first epoch checkpoint exists), run again (training
# resumes from the checkpoint), SIGINTed (Ctrl-C) during a later epoch when there is one,
# and run again to the end. Then every decoded string of the sample, optimize and
# interpolate stages (method, step, source, raw SMILES, in order) and their stdout CSVs must
# be identical, and so must the checkpoints. Both runs use their own OUT folder under a
# temporary directory.
set -euo pipefail
bin=$(realpath "${1:-build/chemvae}")
preset=${PRESET:-small} epochs=${EPOCHS:-3}
tmp=$(mktemp -d /tmp/chemvae-resume-XXXXXX)
sets() { echo --set OUT="$tmp/$1" --set PREBUILT="$tmp/none" --set PRESET="$preset" --set EPOCHS="$epochs"; }
epochs_done() { # epochs recorded by the train runs of run $1
  [ -f "$tmp/$1/chemvae.db" ] || { echo 0; return; }
  "$bin" query --db "$tmp/$1/chemvae.db" --csv "SELECT count(DISTINCT epoch) FROM training_metrics" 2>/dev/null | tail -1 || echo 0
}
# waits until run $1 has $2 epochs in the DB, then $3 more seconds; fails if pid $4 ends first
wait_epochs() {
  while [ "$(epochs_done "$1")" -lt "$2" ]; do kill -0 "$4" 2>/dev/null || return 1; sleep 0.5; done
  sleep "$3"
}
t0=$(date +%s)
echo "== run A (uninterrupted), preset $preset, $epochs epochs, in $tmp/a"
"$bin" pipeline run pipelines/demo $(sets a) 2>"$tmp/a.log"
tA=$(( $(date +%s) - t0 ))
echo "== run B: SIGKILL during epoch 2"
"$bin" pipeline run pipelines/demo $(sets b) 2>"$tmp/b1.log" & pid=$!
# a second into epoch 2: half an epoch of the uninterrupted run's pace
per_epoch=$(( tA / (epochs + 2) + 1 ))
wait_epochs b 1 $(( per_epoch / 2 + 1 )) $pid || { echo "run B ended before it could be killed" >&2; exit 1; }
kill -KILL $pid; wait $pid 2>/dev/null || true
echo "   killed after $(epochs_done b) epoch(s); running again"
if [ "$epochs" -ge 3 ]; then
  "$bin" pipeline run pipelines/demo $(sets b) 2>"$tmp/b2.log" & pid=$!
  wait_epochs b 2 $(( per_epoch / 2 + 1 )) $pid || true
  if kill -INT $pid 2>/dev/null; then
    rc=0; wait $pid || rc=$?
    echo "   Ctrl-C after $(epochs_done b) epoch(s) (exit $rc); running again"
  fi
fi
"$bin" pipeline run pipelines/demo $(sets b) 2>"$tmp/b3.log"
grep -q "train *resuming" "$tmp/b2.log" "$tmp/b3.log" 2>/dev/null || { echo "FAIL: training did not resume" >&2; exit 1; }
q="SELECT g.method, g.step, coalesce(g.source, ''), g.raw_smiles FROM generations g JOIN runs r ON r.id = g.run_id
   WHERE g.method IN ('sample', 'optimize', 'interpolate') AND r.status = 'ok' ORDER BY g.method, g.id"
for r in a b; do "$bin" query --db "$tmp/$r/chemvae.db" --csv "$q" > "$tmp/$r.gen.csv"; done
fail=0
cmp -s "$tmp/a.gen.csv" "$tmp/b.gen.csv" || { echo "FAIL: decoded molecules differ"; diff "$tmp/a.gen.csv" "$tmp/b.gen.csv" | head; fail=1; }
for s in sample optimize interpolate; do
  cmp -s "$tmp/a/pipeline/$s.out" "$tmp/b/pipeline/$s.out" || { echo "FAIL: $s output differs"; fail=1; }
done
cmp -s "$tmp/a/model.cvae" "$tmp/b/model.cvae" || { echo "FAIL: checkpoints differ"; fail=1; }
n=$(( $(wc -l < "$tmp/a.gen.csv") - 1 ))
valid=$("$bin" query --db "$tmp/a/chemvae.db" --csv "SELECT count(DISTINCT molecule_id) FROM generations WHERE valid" | tail -1)
echo "run A: ${tA} s; $n decoded strings ($valid distinct valid molecules) compared"
if [ $fail = 0 ]; then echo "PASS: interrupted + resumed demo == uninterrupted demo"; rm -rf "$tmp"; else echo "logs in $tmp"; exit 1; fi
