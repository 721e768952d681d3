#!/usr/bin/env bash
# Re-checks a `chemvae sample` run with Python RDKit (the oracle, never a runtime
# dependency). Failures (exit 1): a generation the DB marks valid that RDKit does not parse
# into >= 1 atom, one marked invalid that RDKit parses, and — given the CSV the run
# printed — printed molecules or counts that differ from the DB. Warnings (reported with a
# count, exit 0): a stored canonical SMILES or score (logP, QED, SA, penalized logP) that
# differs from Python RDKit's; these point at the chem module, not at the sampler.
#
# usage: tests/check-sample-db.sh DB [RUN_ID|latest] [PRINTED.csv]
set -euo pipefail
db=${1:?usage: tests/check-sample-db.sh DB [RUN_ID|latest] [PRINTED.csv]}
run=${2:-latest}
printed=${3:-}
exec /usr/bin/python3 - "$db" "$run" "$printed" <<'PY'
import csv, math, os, sqlite3, sys
from rdkit import Chem, RDLogger
from rdkit.Chem import Crippen, QED, RDConfig
sys.path.append(os.path.join(RDConfig.RDContribDir, "SA_Score"))
import sascorer
RDLogger.DisableLog("rdApp.*")

db, run, printed = sys.argv[1], sys.argv[2], sys.argv[3]
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
if run == "latest":
    run = con.execute("SELECT max(id) FROM runs WHERE kind = 'sample'").fetchone()[0]
    if run is None:
        sys.exit(f"{db}: no sample run")
run = int(run)
kind, status = con.execute("SELECT kind, status FROM runs WHERE id = ?", (run,)).fetchone()
rows = con.execute("""SELECT g.raw_smiles, g.valid, m.smiles, m.logp, m.qed, m.sa, m.penalized_logp
                      FROM generations g LEFT JOIN molecules m ON m.id = g.molecule_id
                      WHERE g.run_id = ?""", (run,)).fetchall()
bad, warn = [], []
valid = 0
short = lambda x: x if len(x) <= 60 else x[:57] + "..."

distinct = set()
def plogp(mol):
    ring = max([len(r) for r in mol.GetRingInfo().AtomRings()] or [0])
    return Crippen.MolLogP(mol) - sascorer.calculateScore(mol) - max(0, ring - 6)
for raw, v, smi, logp, qed, sa, pl in rows:
    mol = Chem.MolFromSmiles(raw) if raw else None
    ok = mol is not None and mol.GetNumAtoms() >= 1
    if v:
        valid += 1
        distinct.add(smi)
        if not ok:
            bad.append(f"marked valid but RDKit rejects: {short(raw)!r}")
            continue
        can = Chem.MolToSmiles(mol)
        if can != smi:
            warn.append(f"{short(raw)!r}: RDKit canonical {short(can)!r} != stored {short(smi)!r}")
        for name, fn, got in (("logp", Crippen.MolLogP, logp), ("qed", QED.qed, qed),
                              ("sa", sascorer.calculateScore, sa), ("plogp", plogp, pl)):
            try:
                want = fn(mol)
            except Exception as e:  # Python's QED re-sanitizes (RemoveHs) and can throw
                warn.append(f"{short(smi)}: {name}: Python RDKit raises {type(e).__name__}")
                continue
            if got is None or abs(want - got) > 1e-3:
                warn.append(f"{short(smi)}: {name} stored {got} vs RDKit {want:.4f}")
    elif ok:
        bad.append(f"marked invalid but RDKit parses: {short(raw)!r}")
print(f"run {run} ({kind}, {status}): {len(rows)} generations, {valid} valid, {len(distinct)} distinct molecules")
if printed:
    with open(printed) as f:
        prow = list(csv.DictReader(f))
    pcount = sum(int(r["count"]) for r in prow)
    pset = {r["smiles"] for r in prow}
    print(f"printed: {len(prow)} molecules, counts summing to {pcount}")
    if len(prow) != len(distinct) or pset != distinct:
        bad.append(f"printed molecules ({len(prow)}) differ from the DB's distinct valid molecules ({len(distinct)})")
    if pcount != valid:
        bad.append(f"printed counts sum to {pcount} but the DB has {valid} valid generations")
    metrics = dict(con.execute("SELECT name, value FROM eval_metrics WHERE run_id = ?", (run,)).fetchall())
    if metrics.get("decodes") != len(rows) or metrics.get("valid") != valid or metrics.get("unique") != len(distinct):
        bad.append(f"eval_metrics {metrics} disagree with the generations")
for w in warn[:int(os.environ.get("CHECK_SHOW", "5"))]:
    print("WARN:", w)
if warn:
    print(f"WARN: {len(warn)} canonical/score disagreements with Python RDKit (chem module)")
for b in bad[:20]:
    print("FAIL:", b)
if bad:
    sys.exit(f"{len(bad)} problems")
print("OK: every valid generation re-checked by Python RDKit; counts match")
PY
