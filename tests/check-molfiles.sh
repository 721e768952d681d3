#!/usr/bin/env bash
# Molecule files as outputs, read back by Python RDKit (Debian's python3-rdkit):
#   - `sample --format sdf`: every record parses, its canonical SMILES is the CSV's
#     smiles, its title is sample-N and each data item equals the CSV's value;
#   - `sample --format smi`: "SMILES NAME" lines with the CSV's SMILES and the SDF's names;
#   - `sample --format json`: the CSV's rows and values;
#   - `optimize --format sdf` and `interpolate --format sdf`: one record per CSV row, the
#     molecule of best_smiles / smiles, the other columns as data items (a missing value
#     left out);
#   - `score --format sdf` on the sampled molecules: one record each, every column an item;
#   - `optimize --starts` from an SDF and from a SMILES file of the same molecules (the
#     committed fixture, its broken record skipped): the same starts;
#   - `query top --format sdf|smi` on a results DB: the molecules of `query top`'s CSV, titled
#     by their ids, the other columns as data items.
# Prints "ok   ..." per check and "FAIL ..." on a failure (exit 1).
#
#   tests/check-molfiles.sh [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$(realpath "$build/chemvae")
model=results/models/zinc24k-small.cvae
tmp=$(mktemp -d /tmp/chemvae-molfiles-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; exit 1; }

for f in csv sdf smi json; do
  "$bin" sample -m "$model" -n 400 --seed 11 --no-db --format "$f" > "$tmp/s.$f" 2> /dev/null ||
    fail "sample --format $f exited $?"
done
for job in optimize interpolate; do
  if [ $job = optimize ]; then args=(--start CCO --start 'c1ccccc1O' --start 'CC(=O)Nc1ccc(O)cc1' --steps 4)
  else args=(--from 'CC(=O)Nc1ccc(O)cc1' --to c1ccncc1 --steps 6); fi
  for f in csv sdf; do
    "$bin" $job -m "$model" --no-db "${args[@]}" --format $f > "$tmp/$job.$f" 2> /dev/null ||
      fail "$job --format $f exited $?"
  done
done

for f in sdf smi; do
  "$bin" optimize -m "$model" --no-db --starts tests/fixtures/mols50.$f --steps 1 --decode-every 1 \
    --objective qed 2> /dev/null | cut -d, -f2 > "$tmp/starts.$f" || fail "optimize --starts .$f exited $?"
done
cmp -s "$tmp/starts.sdf" "$tmp/starts.smi" || fail "optimize --starts: the SDF and the SMILES file give other starts"
[ "$(wc -l < "$tmp/starts.sdf")" -eq 51 ] || fail "optimize --starts .sdf: $(wc -l < "$tmp/starts.sdf") lines, not a header and 50 starts"
echo "ok   optimize --starts: an SDF and a SMILES file of the same molecules give the same 50 starts (the broken record skipped)"
cut -d, -f1 "$tmp/s.csv" | tail -n +2 > "$tmp/s.txt"
for f in csv sdf; do
  "$bin" score --input "$tmp/s.txt" --format $f > "$tmp/score.$f" || fail "score --format $f exited $?"
done
"$bin" sample -m "$model" -n 30 --seed 3 --db "$tmp/r.db" > /dev/null 2>&1 || fail "sample into a DB"
for f in csv sdf smi; do
  "$bin" query --db "$tmp/r.db" top -n 15 --format $f > "$tmp/top.$f" || fail "query --format $f exited $?"
done

/usr/bin/python3 - "$tmp" <<'PY' || exit 1
import csv, json, sys
from rdkit import Chem, RDLogger
RDLogger.DisableLog("rdApp.*")
tmp = sys.argv[1]

def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)

def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))

def check_sdf(label, sdf, table, mol_col, prefix):
    recs = list(Chem.SDMolSupplier(sdf, sanitize=True, removeHs=False))
    if len(recs) != len(table):
        fail(f"{label}: {len(recs)} SDF records for {len(table)} CSV rows")
    for i, (m, row) in enumerate(zip(recs, table)):
        want = row[mol_col]
        if Chem.MolFromSmiles(want) is not None:
            if m is None:
                fail(f"{label}: record {i + 1} ({want}) does not parse")
            # through SMILES: a bond written as "either" reads back as STEREOANY, which
            # takes part in RDKit's atom ranking but is not written in SMILES
            got = Chem.CanonSmiles(Chem.MolToSmiles(m))
            if got != Chem.CanonSmiles(want):
                fail(f"{label}: record {i + 1}: {got} != {want}")
        if m is None:
            continue
        if m.GetProp("_Name") != f"{prefix}-{i + 1}":
            fail(f"{label}: record {i + 1} is titled {m.GetProp('_Name')}")
        for k, v in row.items():
            if v == "":
                if m.HasProp(k):
                    fail(f"{label}: record {i + 1}: missing {k} written as '{m.GetProp(k)}'")
            elif not m.HasProp(k) or m.GetProp(k) != v:
                fail(f"{label}: record {i + 1}: {k} = {m.GetProp(k) if m.HasProp(k) else None}, CSV {v}")
    return len(recs)

table = rows(f"{tmp}/s.csv")
n = check_sdf("sample", f"{tmp}/s.sdf", table, "smiles", "sample")
print(f"ok   sample --format sdf: {n} records read back by RDKit: canonical SMILES, titles and every data item equal the CSV")

smi = [l.split() for l in open(f"{tmp}/s.smi")]
if [s for s, _ in smi] != [r["smiles"] for r in table] or [nm for _, nm in smi] != [f"sample-{i + 1}" for i in range(len(table))]:
    fail("sample --format smi: lines differ from the CSV's smiles / names")
sup = Chem.SmilesMolSupplier(f"{tmp}/s.smi", titleLine=False)
if any(m is None for m in sup):
    fail("sample --format smi: RDKit's SmilesMolSupplier rejects a line")
print(f"ok   sample --format smi: {len(smi)} 'SMILES NAME' lines, read by RDKit's SmilesMolSupplier")

js = json.load(open(f"{tmp}/s.json"))
for i, (o, r) in enumerate(zip(js, table)):
    for k, v in r.items():
        got = o[k]
        if (isinstance(got, str) and got != v) or (not isinstance(got, str) and abs(float(got) - float(v)) > 0):
            fail(f"sample --format json: row {i}: {k} {got} != {v}")
if len(js) != len(table):
    fail(f"sample --format json: {len(js)} rows for {len(table)}")
print(f"ok   sample --format json: {len(js)} objects with the CSV's values")

for job, col in (("optimize", "best_smiles"), ("interpolate", "smiles")):
    n = check_sdf(job, f"{tmp}/{job}.sdf", rows(f"{tmp}/{job}.csv"), col, job)
    print(f"ok   {job} --format sdf: {n} records, the {col} molecule and every other column as data items")

n = check_sdf("score", f"{tmp}/score.sdf", rows(f"{tmp}/score.csv"), "canonical_smiles", "score")
print(f"ok   score --format sdf: {n} records, the canonical SMILES and every other column as data items")

top = rows(f"{tmp}/top.csv")
recs = list(Chem.SDMolSupplier(f"{tmp}/top.sdf"))
if len(recs) != len(top) or not top:
    fail(f"query top --format sdf: {len(recs)} records for {len(top)} rows")
for m, r in zip(recs, top):
    if Chem.CanonSmiles(Chem.MolToSmiles(m)) != Chem.CanonSmiles(r["smiles"]) or m.GetProp("_Name") != r["id"]:
        fail(f"query top --format sdf: record {m.GetProp('_Name')} is not row {r['id']} {r['smiles']}")
    for k, v in r.items():
        if k != "smiles" and v != "" and (not m.HasProp(k) or m.GetProp(k) != v):
            fail(f"query top --format sdf: {k} of {r['id']}: {m.GetProp(k) if m.HasProp(k) else None} vs {v}")
smi = [l.split() for l in open(f"{tmp}/top.smi")]
if smi != [[r["smiles"], r["id"]] for r in top]:
    fail("query top --format smi: lines are not the CSV's smiles and ids")
print(f"ok   query top --format sdf|smi: {len(top)} molecules titled by their ids, every column a data item")
PY
