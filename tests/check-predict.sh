#!/usr/bin/env bash
# `chemvae predict` against eval, encode and RDKit, on a tiny model trained here:
#   - on a dataset's test split (--data) its per-property MAE is eval's mae_<prop>;
#   - the same molecules as a SMILES file give the same predictions, and RDKit's values as
#     the true ones (logP, QED and SA are what RDKit computes of them);
#   - --latent prints the vectors `chemvae encode` prints;
#   - a molecule that cannot be encoded is a row with an error, and the rest goes on;
#   - training wrote the model's history file m.training.csv (a header, train and valid rows
#     of its one epoch), which the report reads when the DB has no training run.
# Prints "ok   ..." per check and "FAIL ..." on a failure (exit 1).
#
#   tests/check-predict.sh [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build}/chemvae")
tmp=$(mktemp -d /tmp/chemvae-predict-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; exit 1; }

head -801 datasets/zinc5k.csv > "$tmp/in.csv"
"$bin" ingest "$tmp/in.csv" -o "$tmp/d.cvds" --rejects "$tmp/rej.csv" -q -j 1 > /dev/null
"$bin" train --data "$tmp/d.cvds" --out "$tmp/m.cvae" --preset tiny --epochs 1 --batch 16 \
  --no-db --quiet --threads 1 --recon-sample 0 > /dev/null 2>&1
"$bin" eval -m "$tmp/m.cvae" --data "$tmp/d.cvds" --samples 4 --no-db --threads 1 > "$tmp/eval.csv" 2> /dev/null
"$bin" predict -m "$tmp/m.cvae" --data "$tmp/d.cvds" --latent > "$tmp/p.csv" 2> "$tmp/p.err"
cut -d, -f3 "$tmp/p.csv" | tail -n +2 > "$tmp/test.smi"
{ cat "$tmp/test.smi"; echo 'C1CC'; echo 'CC(=O)Oc1ccccc1C(=O)O'; } > "$tmp/more.smi"
"$bin" predict -m "$tmp/m.cvae" --input "$tmp/more.smi" --latent > "$tmp/q.csv" 2> /dev/null
"$bin" encode -m "$tmp/m.cvae" --input "$tmp/test.smi" > "$tmp/z.csv" 2> /dev/null

[ "$(head -1 "$tmp/m.training.csv")" = "epoch,step,split,loss,recon,kl,prop,beta,lr,accuracy,extra" ] &&
  [ "$(cut -d, -f1,3 "$tmp/m.training.csv" | tail -n +2 | tr '\n' ' ')" = "1,train 1,valid " ] ||
  fail "train did not write m.training.csv with its epoch's train and valid rows"
echo "ok   train wrote m.training.csv: a header and the epoch's train and valid rows"

/usr/bin/python3 - "$tmp" <<'PY' || exit 1
import csv, math, sys
from rdkit import Chem, RDLogger
from rdkit.Chem import Crippen, QED
RDLogger.DisableLog("rdApp.*")
sys.path.append("/usr/share/RDKit/Contrib/SA_Score")
import sascorer
tmp = sys.argv[1]
def fail(msg):
    print("FAIL " + msg); sys.exit(1)
rows = lambda f: list(csv.DictReader(open(f"{tmp}/{f}", newline="")))
ev = {r["metric"]: float(r["value"]) for r in rows("eval.csv")}
p = rows("p.csv")
props = [k for k in p[0] if k + "_true" in p[0]]
for k in props:
    mae = sum(abs(float(r[k]) - float(r[k + "_true"])) for r in p) / len(p)
    if abs(mae - ev["mae_" + k]) > 1e-4 * max(1.0, abs(ev["mae_" + k])):
        fail(f"predict --data: MAE {k} {mae} vs eval's {ev['mae_' + k]}")
print(f"ok   predict --data on {len(p)} test molecules: MAE of {', '.join(props)} = eval's mae_<prop> (1e-4)")

q = rows("q.csv")
if len(q) != len(p) + 2 or q[-2]["error"] == "" or q[-2]["smiles"] != "" or q[-1]["error"] != "":
    fail("predict --input: the invalid row is not an error row between encoded rows")
rd = {"logP": Crippen.MolLogP, "qed": QED.qed, "SAS": sascorer.calculateScore}
for a, b in zip(p, q):
    for k in props:
        if abs(float(a[k]) - float(b[k])) > 2e-4:
            fail(f"predict --input: {b['input']} {k} {b[k]} vs --data {a[k]}")
        want = rd[k](Chem.MolFromSmiles(b["input"]))
        if abs(float(b[k + "_true"]) - want) > 1e-4:
            fail(f"predict --input: {b['input']} {k}_true {b[k + '_true']} vs RDKit {want}")
print(f"ok   predict --input: the same {len(p)} molecules as SMILES lines give the same predictions, RDKit's values as the truth, and an error row for C1CC")

z = rows("z.csv")
zk = [k for k in z[0] if k.startswith("z")]
for a, b in zip(z, q):
    if any(abs(float(a[k]) - float(b[k])) > 1e-6 * max(1.0, abs(float(a[k]))) for k in zk):
        fail(f"predict --latent: {b['input']} differs from encode")
print(f"ok   predict --latent: the {len(z)} vectors chemvae encode prints")
PY
