#!/usr/bin/env bash
# A property of the user's own dataset and an external scorer, end to end, on a tiny model
# trained here on 400 ZINC molecules with an extra column my_prop (= 2 logP - SAS + 0.01 *
# the SMILES length, written by Python):
#   - `optimize --objective my_prop` binds the head's my_prop output (the objective recorded
#     with every decode is the head's my_prop) and, RDKit not computing it, reports no true
#     scores and says so; names match ignoring case; a name the head lacks is an error that
#     lists what it predicts;
#   - `optimize --scorer tests/scorers/smiles_length.sh` (a SMILES's length): the scorer's
#     value of every start and distinct valid decode lands in the scores table of the run,
#     and each start's best molecule is its longest valid decode;
#   - `sample --scorer` prints the scorer's values best first and stores them;
#   - a scorer that fails (a non-zero exit on its third run, a line that is not a number)
#     fails the job with a message naming it, and what was stored before stays.
# Prints "ok   ..." per check and "FAIL ..." on a failure (exit 1).
#
#   tests/check-scorer.sh [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build}/chemvae")
tmp=$(mktemp -d /tmp/chemvae-scorer-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; exit 1; }
scorer=tests/scorers/smiles_length.sh

/usr/bin/python3 - "$tmp" <<'PY'
import csv, sys
rows = list(csv.DictReader(open("datasets/zinc5k.csv", newline="")))[:400]
with open(f"{sys.argv[1]}/in.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["smiles", "logP", "qed", "SAS", "my_prop"])
    for r in rows:
        s = r["smiles"].strip()
        w.writerow([s, r["logP"], r["qed"], r["SAS"],
                    f"{2 * float(r['logP']) - float(r['SAS']) + 0.01 * len(s):.6f}"])
    starts = [r["smiles"].strip() for r in rows[:4]]
open(f"{sys.argv[1]}/starts.csv", "w").write("smiles\n" + "\n".join(starts) + "\n")
PY
"$bin" ingest "$tmp/in.csv" -o "$tmp/d.cvds" --props logP,qed,SAS,my_prop --rejects "$tmp/rej.csv" \
  -q -j 1 > /dev/null
"$bin" train --data "$tmp/d.cvds" --out "$tmp/m.cvae" --preset tiny --epochs 1 --batch 16 \
  --no-db --quiet --threads 1 --recon-sample 0 > /dev/null 2>&1
opt=(optimize -m "$tmp/m.cvae" --starts "$tmp/starts.csv" --steps 10 --decode-every 5 --decodes 4
     --threads 1 --db "$tmp/r.db")

"$bin" "${opt[@]}" --objective my_prop > "$tmp/head.csv" 2> "$tmp/head.err" \
  || fail "optimize --objective my_prop: exit $?: $(cat "$tmp/head.err")"
grep -q "RDKit cannot compute the objective my_prop: no true scores" "$tmp/head.err" \
  || fail "optimize --objective my_prop: no summary line about the missing true scores"
"$bin" "${opt[@]}" --objective 'MY_PROP - 0.5*sa' --scorer "$scorer" > "$tmp/scored.csv" \
  2> "$tmp/scored.err" || fail "optimize --scorer: exit $?: $(cat "$tmp/scored.err")"
grep -q "scores by the scorer '$scorer'" "$tmp/scored.err" || fail "optimize --scorer: no summary"
rc=0
"$bin" "${opt[@]}" --objective 'nope' --no-db > /dev/null 2> "$tmp/nope.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "needs nope, which the model's property head does not predict (it predicts: logP, qed, SAS, my_prop)" "$tmp/nope.err" \
  || fail "optimize --objective nope: exit $rc: $(cat "$tmp/nope.err")"
"$bin" sample -m "$tmp/m.cvae" -n 200 --threads 1 --db "$tmp/r.db" --scorer "$scorer" \
  > "$tmp/sample.csv" 2> "$tmp/sample.err" || fail "sample --scorer: exit $?: $(cat "$tmp/sample.err")"
# the third run of this scorer fails: after the starts' and the first decode point's
printf '#!/bin/sh\nn=$(cat "%s/count" 2>/dev/null || echo 0); echo $((n + 1)) > "%s/count"\n[ "$n" -lt 2 ] || exit 3\nexec %s\n' \
  "$tmp" "$tmp" "$(realpath $scorer)" > "$tmp/flaky.sh"
chmod +x "$tmp/flaky.sh"
rc=0
"$bin" "${opt[@]}" --objective my_prop --scorer "$tmp/flaky.sh" > /dev/null 2> "$tmp/flaky.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "scorer '$tmp/flaky.sh' exited with status 3" "$tmp/flaky.err" \
  || fail "a failing scorer: exit $rc: $(cat "$tmp/flaky.err")"
rc=0
"$bin" "${opt[@]}" --objective my_prop --no-db --scorer "awk '{print \"x\"}'" > /dev/null \
  2> "$tmp/bad.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "line 1 ('x') is not a number (for SMILES " "$tmp/bad.err" \
  || fail "a scorer writing text: exit $rc: $(cat "$tmp/bad.err")"

/usr/bin/python3 - "$tmp" "$scorer" <<'PY' || exit 1
import csv, json, sqlite3, sys
tmp, scorer = sys.argv[1], sys.argv[2]
def fail(msg):
    print("FAIL " + msg); sys.exit(1)
rows = lambda f: list(csv.DictReader(open(f"{tmp}/{f}", newline="")))
db = sqlite3.connect(f"{tmp}/r.db")
runs = db.execute("SELECT id, kind, status, json_extract(config, '$.objective') FROM runs "
                  "ORDER BY id").fetchall()
if [(r[1], r[2]) for r in runs] != [("optimize", "ok"), ("optimize", "ok"), ("sample", "ok"),
                                    ("optimize", "failed")]:
    fail(f"runs: {runs}")
head_run, scored_run, sample_run, flaky_run = (r[0] for r in runs)

# the head's my_prop is the objective; no true scores without a scorer
h = rows("head.csv")
if any(r["start_score"] or r["best_score"] or r["improvement"] or r["success"] for r in h):
    fail("optimize --objective my_prop: a true score where RDKit has none")
if not any(r["best_smiles"] for r in h):
    fail("optimize --objective my_prop: no best molecule at all")
preds = [json.loads(p) for (p,) in db.execute(
    "SELECT predicted FROM generations WHERE run_id = ?", (head_run,))]
if not preds or any(abs(p["objective"] - p["my_prop"]) > 1e-5 * max(1, abs(p["my_prop"]))
                    for p in preds):
    fail("optimize --objective my_prop: the head's objective is not its my_prop")
if db.execute("SELECT count(*) FROM eval_metrics WHERE run_id = ? AND name IN "
              "('success_rate', 'mean_improvement')", (head_run,)).fetchone()[0]:
    fail("optimize --objective my_prop: success or improvement stored without true scores")
print(f"ok   optimize --objective my_prop: {len(preds)} decodes guided by the head's my_prop, "
      "no true scores and a summary line saying so; a property the head lacks is an error")

# the scorer's values: stored for every start and distinct valid decode, and ranking
scores = dict(db.execute("SELECT m.smiles, s.value FROM scores s JOIN molecules m ON "
                         "m.id = s.molecule_id WHERE s.run_id = ? AND s.name = ?",
                         (scored_run, scorer)))
decoded = {s for (s,) in db.execute("SELECT m.smiles FROM generations g JOIN molecules m ON "
                                    "m.id = g.molecule_id WHERE g.run_id = ?", (scored_run,))}
o = rows("scored.csv")
starts = {r["start_smiles"] for r in o}
if set(scores) != decoded | starts:
    fail(f"scores: {len(scores)} molecules stored, {len(decoded | starts)} scored")
if any(v != len(s) for s, v in scores.items()):
    fail("scores: a stored value is not the SMILES length")
for r in o:
    if float(r["start_score"]) != len(r["start_smiles"]):
        fail(f"start {r['start']}: start_score {r['start_score']} is not the scorer's")
    mine = [s for (s,) in db.execute(
        "SELECT m.smiles FROM generations g JOIN molecules m ON m.id = g.molecule_id "
        "WHERE g.run_id = ? AND g.source = ?", (scored_run, r["start_smiles"]))]
    if mine and (len(r["best_smiles"]) != max(map(len, mine)) or
                 float(r["best_score"]) != len(r["best_smiles"])):
        fail(f"start {r['start']}: best {r['best_smiles']} is not its longest decode")
print(f"ok   optimize --scorer: {len(scores)} values in the scores table of run {scored_run} "
      f"(every start and distinct valid decode), each start's best its longest decode")

s = rows("sample.csv")
vals = [float(r["score"]) for r in s]
stored = dict(db.execute("SELECT m.smiles, s.value FROM scores s JOIN molecules m ON "
                         "m.id = s.molecule_id WHERE s.run_id = ?", (sample_run,)))
if vals != sorted(vals, reverse=True) or any(v != len(r["smiles"]) for v, r in zip(vals, s)):
    fail("sample --scorer: rows not best score first, or not the scorer's values")
if stored != {r["smiles"]: float(r["score"]) for r in s}:
    fail("sample --scorer: the stored scores are not the printed ones")
print(f"ok   sample --scorer: {len(s)} molecules printed best score first, their values stored")

n_gen = db.execute("SELECT count(*) FROM generations WHERE run_id = ?", (flaky_run,)).fetchone()[0]
n_sc = db.execute("SELECT count(*) FROM scores WHERE run_id = ?", (flaky_run,)).fetchone()[0]
if n_gen < 16 or n_gen % 16 or n_gen >= 48 or n_sc < 4:
    fail(f"failing scorer: {n_gen} generations and {n_sc} scores kept (want 16 or 32, >= 4)")
print(f"ok   a scorer failing on its third run fails the job naming it; the {n_gen} decodes "
      f"and {n_sc} scores stored before stay; a non-number line is named")
PY
