#!/usr/bin/env bash
# Every command with every path argument about 4,000 characters long (a legal path: nested
# directories of 250-character names) and a pipeline stage named with 12,000 characters.
# Each command must succeed, or fail with exit 1 or 2 and a message; no sanitizer report
# (run it with the ASan build's binary), no crash, no truncated or rejected run config.
#
#   tests/check-long-args.sh BUILD/chemvae
set -uo pipefail
BIN=$(realpath "$1")
root=$(mktemp -d /tmp/chemvae-longargs-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$root"' EXIT
seg=$(printf 'd%.0s' $(seq 250))
D=$root
while [ ${#D} -lt 3750 ]; do D=$D/$seg; done
mkdir -p "$D"
echo "path length ${#D} (+ file names)"

head -301 datasets/zinc5k.csv > "$D/in.csv"
printf 'CCO\nc1ccccc1O\nCC(=O)Nc1ccc(O)cc1\n' > "$D/mols.smi"
printf 'smiles\nCCOc1ccccc1\nCC(C)Cc1ccccc1\n' > "$D/starts.csv"
fails=0
run() { # $1 = label, $2 = accepted exit codes ("0", "0 1", ...), rest = command
  local label=$1 ok=$2 rc
  shift 2
  "$@" > "$root/out.txt" 2> "$root/err.txt"
  rc=$?
  if grep -q -E 'Sanitizer|runtime error|stack-buffer|heap-buffer' "$root/err.txt"; then
    echo "FAIL $label: sanitizer report"; head -20 "$root/err.txt"; fails=$((fails + 1)); return
  fi
  if ! [[ " $ok " == *" $rc "* ]]; then
    echo "FAIL $label: exit $rc (expected $ok)"; tail -5 "$root/err.txt"; fails=$((fails + 1)); return
  fi
  if [ "$rc" -ne 0 ] && ! [ -s "$root/err.txt" ]; then
    echo "FAIL $label: exit $rc without a message"; fails=$((fails + 1)); return
  fi
  echo "ok   $label (exit $rc)"
}
DB=$root/results.db
M=$D/model.cvae
run ingest 0 "$BIN" ingest "$D/in.csv" -o "$D/data.cvds" --rejects "$D/rejects.csv" \
  --vocab-out "$D/vocab.txt" --seed 1 -j 1 -q
# SQLite opens at most 512-byte file names: a long --db is refused up front, clearly
run long-db 1 "$BIN" train --data "$D/data.cvds" --out "$D/m0.cvae" --db "$D/results.db"
grep -q "SQLite opens at most" "$root/err.txt" || { echo "FAIL long-db: unclear message"; fails=$((fails + 1)); }
run vocab 0 "$BIN" vocab build "$D/in.csv" -o "$D/built.vocab"
run train 0 "$BIN" train --data "$D/data.cvds" --out "$M" --preset tiny --epochs 1 --batch 16 \
  --best "$D/best.cvae" --db "$DB" --threads 1 --quiet --recon-sample 4
run eval 0 "$BIN" eval --model "$M" --data "$D/data.cvds" -n 8 --samples 4 --db "$DB" --threads 1
run encode 0 "$BIN" encode --model "$M" --input "$D/mols.smi"
cp "$root/out.txt" "$D/z.csv"
run decode 0 "$BIN" decode --model "$M" --input "$D/z.csv"
run sample 0 "$BIN" sample --model "$M" -n 8 --data "$D/data.cvds" --db "$DB" --threads 1
run optimize 0 "$BIN" optimize --model "$M" --starts "$D/starts.csv" --steps 3 --decodes 2 \
  --db "$DB" --threads 1
run optimize-data 0 "$BIN" optimize --model "$M" --from-data "$D/data.cvds" --limit 2 --steps 3 \
  --decodes 2 --db "$DB" --threads 1
run interpolate 0 "$BIN" interpolate --model "$M" --from CCO --to c1ccccc1O --steps 3 --db "$DB" \
  --threads 1
run score 0 "$BIN" score --input "$D/mols.smi"
run query 0 "$BIN" query --db "$DB" "SELECT kind, length(config) FROM runs"
run report 0 "$BIN" report --db "$DB" --out "$D/report.html" --model "$M" --data "$D/data.cvds"
# the stored configs hold the whole paths
n=$("$BIN" query --db "$DB" --csv "SELECT count(*) FROM runs WHERE json_valid(config) AND instr(config, '$seg/$seg') > 0" | tail -1)
[ "$n" -ge 5 ] || { echo "FAIL configs: $n runs store the long paths"; fails=$((fails + 1)); }

stage=$(printf 's%.0s' $(seq 12000))
cat > "$D/p.pipeline" <<EOF
set OUT $D/pout
stage $stage score
  in   $D/mols.smi
  args --input $D/mols.smi
EOF
run pipeline 1 "$BIN" pipeline run "$D/p.pipeline" --state "$D/state" --db "$DB"
grep -q "stage name of 12000 characters; at most" "$root/err.txt" || { echo "FAIL pipeline: unclear message"; fails=$((fails + 1)); }
sed -i "s/^stage $stage/stage score/" "$D/p.pipeline"
run pipeline-long-paths 0 "$BIN" pipeline run "$D/p.pipeline" --state "$D/state" --db "$DB"
echo "long-argument check: $fails failure(s)"
[ "$fails" -eq 0 ]
