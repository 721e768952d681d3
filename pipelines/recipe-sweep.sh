#!/usr/bin/env bash
# pipelines/recipe-sweep.sh — the training-recipe sweeps of src/model/README.md
# "Measured: training recipes": the `small` preset on zinc24k, each recipe trained for the
# same wall-clock budget on the otherwise idle machine (SIGINT at the budget: the trainer
# writes a checkpoint), then
# evaluated on the validation split (greedy reconstruction of every molecule without the
# decoding mask; 1,000 prior samples decoded greedily without and with the valence mask).
# Prints one CSV row per recipe.
#
#   [THREADS=2] pipelines/recipe-sweep.sh [BUDGET_SECONDS=360] [OUT=results/sweep] [RECIPE...]
#
# Run one at a time on an idle machine: the budget is wall-clock, so anything else running
# changes how many steps each recipe gets (the `steps` column shows it). On a shared
# machine, pin the sweep to one core: THREADS=1 taskset -c 0 pipelines/recipe-sweep.sh ...
# The `ship*` recipes are the shipped model's recipe (pipelines/zinc24k) with one change
# each; on zinc24k alone batchnorm is frozen from the second epoch.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${1:-360}
OUT=${2:-results/sweep}
shift $(( $# > 2 ? 2 : $# )) || true
THREADS=${THREADS:-2}
BIN=${BIN:-build/chemvae}
mkdir -p "$OUT"
DATA=$OUT/zinc24k.cvds
[ -f "$DATA" ] || $BIN ingest datasets/zinc24k.csv -o "$DATA" --seed 42 --threads $THREADS >/dev/null

SHIP="--ae-warmup 1 --kl-schedule linear --kl-max 0.05 --kl-ramp 2 --word-dropout 0.1 --bn-freeze 2 --bucket --lr-warmup 300"
declare -A RECIPES=(
  [default]=""
  [ae-lin02]="--ae-warmup 1 --kl-schedule linear --kl-max 0.02 --kl-ramp 3"
  [ae-lin02-aug]="--ae-warmup 1 --kl-schedule linear --kl-max 0.02 --kl-ramp 3 --augment"
  [ae-lin02-wd]="--ae-warmup 1 --kl-schedule linear --kl-max 0.02 --kl-ramp 3 --word-dropout 0.15"
  [ae-lin05-aug]="--ae-warmup 1 --kl-schedule linear --kl-max 0.05 --kl-ramp 3 --augment"
  [ae-lin02-fb]="--ae-warmup 1 --kl-schedule linear --kl-max 0.02 --kl-ramp 3 --free-bits 0.05"
  [ship]="$SHIP"
  [ship-zall]="$SHIP --decoder z-every-layer"
  [ship-fb]="$SHIP --free-bits 0.1"
  [ship-cyc]="$SHIP --kl-schedule cyclical --kl-ramp 4"
  [ship-b02]="$SHIP --kl-max 0.2"
)
ORDER=("$@")
[ ${#ORDER[@]} -gt 0 ] || ORDER=(default ae-lin02 ae-lin02-aug ae-lin02-wd ae-lin05-aug)

echo "recipe,budget_s,steps,epochs,valid_token_acc,valid_ce,valid_kl,valid_tf_exact,valid_recon,prior_validity,prior_validity_constrained,uniqueness,active_units,args"
for name in "${ORDER[@]}"; do
  args=${RECIPES[$name]}
  model=$OUT/$name.cvae
  rm -f "$model" "$OUT/$name.db"
  # shellcheck disable=SC2086
  timeout -s INT "$BUDGET" $BIN train --data "$DATA" --out "$model" --preset small --epochs 1000 \
    --seed 1 --recon-sample 0 --threads $THREADS --quiet --db "$OUT/$name.db" $args 2>"$OUT/$name.log" || true
  steps=$(sed -n 's/^step \([0-9]*\)$/\1/p' <(head -c 4096 "$model" | strings) | head -1)
  row=$($BIN query --db "$OUT/$name.db" --csv "SELECT epoch, round(accuracy, 4), round(recon, 3),
        round(kl, 2), json_extract(extra,'$.tf_exact'), json_extract(extra,'$.active_units')
        FROM training_metrics WHERE split='valid' ORDER BY epoch DESC LIMIT 1" 2>/dev/null | tail -n +2 || true)
  ev=$($BIN eval --model "$model" --data "$DATA" --split valid --samples 1000 --seed 1 --threads $THREADS --no-db --constrain none)
  evc=$($BIN eval --model "$model" --data "$DATA" --split valid -n 1 --samples 1000 --seed 1 --threads $THREADS --no-db)
  get() { echo "$ev" | awk -F, -v k="$1" '$1 == k {print $2}'; }
  getc() { echo "$evc" | awk -F, -v k="$1" '$1 == k {print $2}'; }
  IFS=, read -r ep acc ce kl tf au <<<"${row:-,,,,,}"
  echo "$name,$BUDGET,${steps:-?},${ep:-0},${acc:-},${ce:-},${kl:-},${tf:-},$(get reconstruction),$(get validity),$(getc validity),$(get uniqueness),${au:-},\"$args\""
done
