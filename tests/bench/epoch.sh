#!/usr/bin/env bash
# Length-aware training: the time of one zinc24k epoch of the `small` preset (batch 128,
# 2 threads, word dropout 0.1 as in the shipped recipe), three sides in one run, alternating
# ROUNDS times and keeping each side's best:
#   full     the decoder runs all 120 steps of every batch (--full-decode: the cost of
#            training without length-aware decoding, the same model)
#   random   random batches, the decoder stops at each batch's longest molecule
#   bucket   batches from length buckets (frozen batchnorm), the decoder stops likewise
# Each side trains STEPS steps from the same initialization; the epoch time is the per-step
# time x steps per epoch (152). With STEPS=152 (a whole epoch) it also prints each side's
# epoch-1 training and validation loss, to show that length-aware training does not change
# what is learned.
set -euo pipefail
BUILD=${BUILD:-build}
STEPS=${STEPS:-40}
ROUNDS=${ROUNDS:-2}
BIN=$BUILD/chemvae
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$BIN ingest datasets/zinc24k.csv -o "$work/z.cvds" --seed 42 --threads 2 >/dev/null 2>&1
common=(--data "$work/z.cvds" --preset small --epochs 1 --seed 1 --threads 2 --recon-sample 0
        --max-steps "$STEPS" --word-dropout 0.1 --bn-freeze 0 --quiet)
run() { # $1 = name, rest = extra flags; prints the seconds
  local t0 t1
  rm -f "$work/$1.cvae" "$work/$1.db"
  t0=$(date +%s.%N)
  $BIN train "${common[@]}" --out "$work/$1.cvae" --db "$work/$1.db" "${@:2}" >/dev/null 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
min() { awk -v x="$1" -v y="$2" 'BEGIN { print (x < y) ? x : y }'; }
best_f=1e9 best_r=1e9 best_b=1e9
for r in $(seq "$ROUNDS"); do
  f=$(run full --full-decode); a=$(run random); b=$(run bucket --bucket)
  best_f=$(min "$f" "$best_f"); best_r=$(min "$a" "$best_r"); best_b=$(min "$b" "$best_b")
  echo "round $r: all 120 steps $f s, random batches $a s, length buckets $b s ($STEPS steps each)"
  if [ "$STEPS" -ge 152 ]; then
    for side in full random bucket; do
      echo "  $side: $($BIN query --db "$work/$side.db" --csv "SELECT split, round(loss, 3) AS loss, round(accuracy, 4) AS acc FROM training_metrics WHERE epoch = 1 ORDER BY split" | tail -n +2 | tr '\n' ' ')"
    done
  fi
done
awk -v f="$best_f" -v r="$best_r" -v b="$best_b" -v s="$STEPS" 'BEGIN {
  printf "epoch (152 steps), small preset, 2 threads: all 120 steps %.0f s, random batches %.0f s (%.2f), length buckets %.0f s (%.2f; target <= 0.5)\n",
         f / s * 152, r / s * 152, r / f, b / s * 152, b / f }'
