#!/usr/bin/env bash
# pipelines/model-card.sh — every number of README "Model card" for one model, measured on
# zinc24k's held-out test split, one command after another on an otherwise idle machine:
#   - reconstruction of the test split: greedy with and without the decoding mask, beam 5
#     and 10, JT-VAE's stochastic protocol (10 encodings x 10 sampled decodes, first 100);
#     mean Tanimoto input -> decode; property-head MAE (all from `chemvae eval`);
#   - the prior: 10,000 greedy samples without and with the mask, and with sample's
#     defaults (the mask, and a rescue beam for greedy decodes that are not molecules)
#     (validity, uniqueness, novelty against the training split, failure classes), each
#     re-checked string by
#     string with Python RDKit (tests/check-sample-db.sh), IntDiv1 over the first 3,000
#     distinct valid molecules (Python RDKit, Morgan r = 2, 1,024 bits);
#   - constrained optimization, the recipe of README "Optimizing" (delta 0.4) on the first
#     STARTS molecules of datasets/zinc_opt_starts200.csv, every number re-checked with Python RDKit
#     (tests/check-optimize.sh), and the share of its decodes that were not molecules.
# Python RDKit is the oracle here (Debian's python3-rdkit), never a runtime dependency.
#
#   pipelines/model-card.sh MODEL DATA OUT_DIR [STARTS]
#   e.g. pipelines/model-card.sh results/models/zinc24k-small.cvae results/zinc24k/zinc24k.cvds results/card
# SAMPLES (default 10000) and EVAL_N (test molecules, default all) shrink a trial run.
set -euo pipefail
model=${1:?usage: pipelines/model-card.sh MODEL DATA OUT_DIR [STARTS]}
data=${2:?usage: pipelines/model-card.sh MODEL DATA OUT_DIR [STARTS]}
out=${3:?usage: pipelines/model-card.sh MODEL DATA OUT_DIR [STARTS]}
starts=${4:-100}
BIN=${BIN:-build/chemvae}
SAMPLES=${SAMPLES:-10000}
limit=()
[ -n "${EVAL_N:-}" ] && limit=(-n "$EVAL_N")
mkdir -p "$out"
db=$out/card.db
log=$out/card.txt
: > "$log"
say() { echo "$*" | tee -a "$log"; }
metric() { grep "^$2," "$1" | cut -d, -f2; }

say "model $model, data $data ($(date -u +%FT%TZ))"
for mode in valence none; do
  "$BIN" eval --model "$model" --data "$data" --split test "${limit[@]}" --samples 0 --seed 1 --constrain "$mode" \
    --db "$db" > "$out/eval-greedy-$mode.csv"
  say "test reconstruction, greedy, mask $mode: $(metric "$out/eval-greedy-$mode.csv" reconstruction)," \
      "mean Tanimoto $(metric "$out/eval-greedy-$mode.csv" recon_tanimoto)"
done
say "head MAE (test): logP $(metric "$out/eval-greedy-valence.csv" mae_logP)," \
    "QED $(metric "$out/eval-greedy-valence.csv" mae_qed), SA $(metric "$out/eval-greedy-valence.csv" mae_SAS)"
for k in 5 10; do
  "$BIN" eval --model "$model" --data "$data" --split test "${limit[@]}" --samples 0 --seed 1 --beam "$k" \
    --db "$db" > "$out/eval-beam$k.csv"
  say "test reconstruction, beam $k (mask valence): $(metric "$out/eval-beam$k.csv" reconstruction)"
done
"$BIN" eval --model "$model" --data "$data" --split test -n 100 --samples 0 --seed 1 --stochastic 100 \
  --db "$db" > "$out/eval-stochastic.csv"
say "JT-VAE protocol (first 100 test molecules, 10 x 10): $(metric "$out/eval-stochastic.csv" recon_stochastic)"

# plain greedy without and with the mask, then sample's defaults (mask + rescue beam)
for spec in "none:--constrain none --rescue 1" "valence:--constrain valence --rescue 1" "default:"; do
  mode=${spec%%:*}
  read -r -a margs <<<"${spec#*:}"
  t0=$(date +%s.%N)
  "$BIN" sample --model "$model" -n "$SAMPLES" --seed 1 --data "$data" "${margs[@]}" --db "$db" \
    > "$out/sample-$mode.csv" 2> "$out/sample-$mode.err"
  t1=$(date +%s.%N)
  say "prior, $SAMPLES greedy, mask $mode (${spec#*:}): $(tail -1 "$out/sample-$mode.err") ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
  tests/check-sample-db.sh "$db" latest "$out/sample-$mode.csv" 2>&1 | tail -3 | tee -a "$log"
  /usr/bin/python3 - "$out/sample-$mode.csv" <<'PY' | tee -a "$log"
import csv, sys
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import AllChem
RDLogger.DisableLog("rdApp.*")
mols = []
for row in csv.DictReader(open(sys.argv[1])):
    m = Chem.MolFromSmiles(row["smiles"])
    if m is not None:
        mols.append(m)
    if len(mols) == 3000:
        break
fps = [AllChem.GetMorganFingerprintAsBitVect(m, 2, nBits=1024) for m in mols]
tot = sum(sum(DataStructs.BulkTanimotoSimilarity(f, fps)) for f in fps)
print(f"  IntDiv1 over {len(fps)} distinct valid molecules (Python RDKit): {1 - tot / len(fps) ** 2:.3f}")
PY
done

head -"$((starts + 1))" datasets/zinc_opt_starts200.csv > "$out/starts.csv"
"$BIN" optimize --model "$model" --starts "$out/starts.csv" --objective plogp --constrained 0.4 \
  --lr 0.05 --steps 30 --decode-every 2 --decodes 64 --temperature 0.4 --seed 1 --db "$db" \
  > "$out/optimize.csv" 2> "$out/optimize.err"
say "constrained optimization, $starts starts: $(grep -i 'improvement' "$out/optimize.err" | tail -1)"
tests/check-optimize.sh "$out/optimize.csv" 0.4 2>&1 | tail -4 | tee -a "$log"
say "optimization decodes that were not molecules: $("$BIN" query --db "$db" --csv \
  "SELECT round(1 - avg(valid), 4) FROM generations WHERE run_id = (SELECT max(id) FROM runs WHERE kind = 'optimize')" | tail -1)"
say "done $(date -u +%FT%TZ)"
