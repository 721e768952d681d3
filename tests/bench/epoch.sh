#!/usr/bin/env bash
# Length-aware training: the time of one zinc24k epoch of the `small` preset (batch 128,
# 2 threads, the shipped recipe's augmentation and word dropout) with random batches
# against length-bucketed batches (frozen batchnorm), side by side in one run, alternating
# ROUNDS times and keeping each side's best. Each side trains STEPS steps from the same
# initialization; the epoch time is the per-step time x steps per epoch (152). With
# STEPS=152 (a whole epoch) it also prints both sides' epoch-1 training and validation
# loss, to show that bucketing does not change what is learned.
set -euo pipefail
BUILD=${BUILD:-build}
STEPS=${STEPS:-40}
ROUNDS=${ROUNDS:-2}
BIN=$BUILD/chemvae
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$BIN ingest datasets/zinc24k.csv -o "$work/z.cvds" --seed 42 --threads 2 >/dev/null 2>&1
common=(--data "$work/z.cvds" --preset small --epochs 1 --seed 1 --threads 2 --recon-sample 0
        --max-steps "$STEPS" --augment --word-dropout 0.1 --bn-freeze 0 --quiet)
run() { # $1 = name, rest = extra flags; prints seconds and the final train loss
  local t0 t1
  rm -f "$work/$1.cvae" "$work/$1.db"
  t0=$(date +%s.%N)
  $BIN train "${common[@]}" --out "$work/$1.cvae" --db "$work/$1.db" "${@:2}" >/dev/null 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
best_r=1e9 best_b=1e9
for r in $(seq "$ROUNDS"); do
  a=$(run random); b=$(run bucket --bucket)
  best_r=$(awk -v x="$a" -v y="$best_r" 'BEGIN { print (x < y) ? x : y }')
  best_b=$(awk -v x="$b" -v y="$best_b" 'BEGIN { print (x < y) ? x : y }')
  echo "round $r: random batches $a s, length buckets $b s ($STEPS steps each)"
  if [ "$STEPS" -ge 152 ]; then
    for side in random bucket; do
      echo "  $side: $($BIN query --db "$work/$side.db" --csv "SELECT split, round(loss, 3) AS loss, round(accuracy, 4) AS acc FROM training_metrics WHERE epoch = 1 ORDER BY split" | tail -n +2 | tr '\n' ' ')"
    done
  fi
done
awk -v r="$best_r" -v b="$best_b" -v s="$STEPS" 'BEGIN {
  printf "epoch (152 steps), small preset, 2 threads: random batches %.0f s, length buckets %.0f s, ratio %.2f (target <= 0.5)\n",
         r / s * 152, b / s * 152, b / r }'
