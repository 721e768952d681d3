#!/usr/bin/env bash
# The Python package's model calls give the command line's results (the same library on
# the same input, options and seed), on BUILD's libchemvae.so.0 and the checkout's
# src/python/chemvae:
#   - chemvae.encode: every vector `chemvae encode` prints (%.7g), and for each SMILES it
#     rejects the same message (EncodeError names the rows; errors="nan" gives NaN rows);
#   - chemvae.decode on the vectors of that CSV (parsed with strtof, as decode does) gives
#     `chemvae decode`'s index,smiles,valid greedy, sampled, as a beam and rescued;
#   - chemvae.sample gives `chemvae sample --no-db`'s CSV, from the prior and around a
#     molecule with several attempts;
#   - chemvae.optimize and chemvae.interpolate, given the command's options as keyword
#     arguments, give `chemvae optimize --no-db`'s and `chemvae interpolate --no-db`'s CSV
#     and summary, and trajectories / decodes consistent with them;
#   - without a model both use the same default checkpoint, and in an installed layout
#     (PREFIX/lib/python3/dist-packages, PREFIX/lib, PREFIX/share/chemvae/models) run from
#     another directory the package finds the model beside its library.
# Prints "ok   ..." per check and "FAIL ..." on a failure (exit 1).
#
#   tests/check-python-api.sh [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
make -s BUILD="$build" "$build/chemvae" "$build/libchemvae.so.0" > /dev/null # (make test builds no .so)
bin=$(realpath "$build/chemvae")
model=results/models/zinc24k-small.cvae
tmp=$(mktemp -d /tmp/chemvae-pyapi-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; exit 1; }
export CHEMVAE_LIB=$PWD/$build/libchemvae.so.0 PYTHONPATH=$PWD/src/python
py() { /usr/bin/python3 "$@"; }
same() { # $1 = label, $2 = want file, $3 = got file
  cmp -s "$2" "$3" || fail "$1: $(diff "$2" "$3" | head -4)"
}

# ---- encode: 300 molecules and a few SMILES the model cannot encode ----------------------
{
  cut -d, -f1 datasets/zinc5k.csv | tr -d '"' | grep -v '^$' | sed -n '2,301p'
  printf '%s\n' 'not a smiles' '' 'C1CC' 'CCO  ' 'c1ccccc1[Xe]' "$(printf 'C%.0s' $(seq 130))"
} > "$tmp/in.txt"
"$bin" encode --model "$model" --input "$tmp/in.txt" > "$tmp/z.csv" 2> "$tmp/enc.err" &&
  fail "chemvae encode accepted every line of a file with invalid SMILES"
sed "s|^chemvae encode: $tmp/in.txt line [0-9]*: ||" "$tmp/enc.err" > "$tmp/enc.want-err"
py - "$tmp/in.txt" "$model" "$tmp/enc.got" "$tmp/enc.got-err" <<'PY'
import sys, numpy as np, chemvae
path, model, out, errs = sys.argv[1:]
lines = [l.rstrip("\n").rstrip("\r ") for l in open(path)]
smiles = [l for l in lines if l]
try:
    chemvae.encode(smiles, model=model)
    sys.exit("encode raised no EncodeError")
except chemvae.EncodeError as e:
    failed = e.errors
mu = chemvae.encode(smiles, model=model, errors="nan")
assert set(np.flatnonzero(np.isnan(mu).any(axis=1))) == set(failed), "NaN rows differ"
with open(out, "w") as f, open(errs, "w") as g:
    print("smiles," + ",".join("z%d" % k for k in range(mu.shape[1])), file=f)
    for i, s in enumerate(smiles):
        if i in failed:
            print(failed[i], file=g)
        else:
            print(s + "".join(",%.7g" % x for x in mu[i]), file=f)
PY
same "chemvae.encode vs chemvae encode" "$tmp/z.csv" "$tmp/enc.got"
same "chemvae.encode errors vs chemvae encode" "$tmp/enc.want-err" "$tmp/enc.got-err"
echo "ok   chemvae.encode: $(($(wc -l < "$tmp/z.csv") - 1)) vectors as chemvae encode prints them, the same $(wc -l < "$tmp/enc.got-err") errors"

# ---- decode: the CLI's vectors, greedy, sampled, beam, rescue ---------------------------
for opts in "" "--temperature 0.8 --seed 7" "--beam 3" "--rescue 10 --constrain syntax"; do
  "$bin" decode --model "$model" --input "$tmp/z.csv" $opts > "$tmp/dec.want" ||
    fail "chemvae decode $opts"
  py - "$tmp/z.csv" "$model" "$tmp/dec.got" $opts <<'PY'
import ctypes, sys, numpy as np, chemvae
zcsv, model, out, *opts = sys.argv[1:]
kw = {}
for k, v in zip(opts[::2], opts[1::2]):
    key = k[2:]
    kw[key] = v if key == "constrain" else (float(v) if key == "temperature" else int(v))
libc = ctypes.CDLL(None)
libc.strtof.restype, libc.strtof.argtypes = ctypes.c_float, [ctypes.c_char_p, ctypes.c_void_p]
rows = [l.rstrip("\n").split(",")[1:] for l in open(zcsv)][1:]
z = np.array([[libc.strtof(x.encode(), None) for x in r] for r in rows], dtype=np.float32)
details = chemvae.Model(model).decode_details(z, **kw)
plain = chemvae.decode(z, model=model, **kw)
assert plain == [d["smiles"] if d["valid"] else None for d in details], "decode vs decode_details"
with open(out, "w") as f:
    print("index,smiles,valid", file=f)
    for i, d in enumerate(details):
        print("%d,%s,%d" % (i, d["smiles"], d["valid"]), file=f)
PY
  same "chemvae.decode($opts) vs chemvae decode" "$tmp/dec.want" "$tmp/dec.got"
done
echo "ok   chemvae.decode: chemvae decode's $(($(wc -l < "$tmp/dec.want") - 1)) rows greedy, sampled, as a beam and rescued"

# ---- sample -------------------------------------------------------------------------------
sample_py() { # $1 = output, rest = Python keyword arguments
  local out=$1
  shift
  py - "$model" "$out" "$@" <<'PY'
import sys, chemvae
model, out, *kv = sys.argv[1:]
kw = {k: (v if k == "around" else float(v) if "temperature" in k or k == "radius" else int(v))
      for k, v in (a.split("=", 1) for a in kv)}
mols = chemvae.sample(model=model, **kw)
with open(out, "w") as f:
    extra = [k for k in ("similarity", "novel") if mols and k in mols[0]]
    print(",".join(["smiles", "count", "first_index", "mw", "logp", "qed", "sa",
                    "penalized_logp"] + extra), file=f)
    for m in mols:
        cols = [m["smiles"], str(m["count"]), str(m["first_index"])]
        cols += ["%.4f" % m[k] for k in ("mw", "logp", "qed", "sa", "penalized_logp")]
        cols += ["%.4f" % m["similarity"]] if "similarity" in m else []
        cols += ["%d" % m["novel"]] if "novel" in m else []
        print(",".join(cols), file=f)
PY
}
"$bin" sample --model "$model" --no-db -n 300 --seed 5 > "$tmp/s1.want" 2> /dev/null || fail "chemvae sample"
sample_py "$tmp/s1.got" n=300 seed=5
same "chemvae.sample vs chemvae sample" "$tmp/s1.want" "$tmp/s1.got"
"$bin" sample --model "$model" --no-db -n 40 --seed 2 --around 'CC(=O)Nc1ccc(O)cc1' --radius 0.5 \
  --attempts 3 --temperature 0.3 > "$tmp/s2.want" 2> /dev/null || fail "chemvae sample --around"
sample_py "$tmp/s2.got" n=40 seed=2 around='CC(=O)Nc1ccc(O)cc1' radius=0.5 attempts=3 temperature=0.3
same "chemvae.sample(around=...) vs chemvae sample --around" "$tmp/s2.want" "$tmp/s2.got"
echo "ok   chemvae.sample: chemvae sample --no-db's $(($(wc -l < "$tmp/s1.want") - 1)) + $(($(wc -l < "$tmp/s2.want") - 1)) molecules, from the prior and around a molecule"

# ---- optimize and interpolate: the command's arguments as keyword arguments -------------
# job_py JOB OUT ERR ARGS...: chemvae.JOB with the command-line arguments ARGS turned into
# keyword arguments (--start -> starts, --starts -> starts_file, an option without a value
# -> True, numbers as numbers), printed as the command prints its CSV (OUT) and summary (ERR)
job_py() {
  py - "$model" "$@" <<'PY'
import math, sys, numpy as np, chemvae
model, job, out, err, *argv = sys.argv[1:]
starts, kw, ends, i = [], {}, [], 0
while i < len(argv):
    a = argv[i]
    if not a.startswith("--"):
        ends.append(a); i += 1; continue
    key = a[2:].replace("-", "_")
    if i + 1 == len(argv) or argv[i + 1].startswith("--"):
        kw[key], i = True, i + 1; continue
    v, i = argv[i + 1], i + 2
    if key == "start":
        starts.append(v); continue
    key = "starts_file" if key == "starts" else key
    for conv in (int, float, str):
        try:
            kw[key] = conv(v); break
        except ValueError:
            pass
f4 = lambda x: "" if x is None else "%.4f" % x
o, e = open(out, "w"), open(err, "w")
if job == "optimize":
    r = chemvae.optimize(starts, model=model, **kw)
    cols = ("start start_smiles start_score best_smiles best_score improvement similarity "
            "success best_step head_start head_end decoded valid").split()
    print(",".join(cols), file=o)
    for s in r.starts:
        print("%d,%s,%s,%s,%s,%.4f,%s,%d,%d,%.4f,%.4f,%d,%d" % (
            s["start"], s["start_smiles"] or "", f4(s["start_score"]), s["best_smiles"] or "",
            f4(s["best_score"]), s["improvement"], f4(s["similarity"]), s["success"],
            s["best_step"], s["head_start"], s["head_end"], s["decoded"], s["valid"]), file=o)
        t = s["trajectory"]  # every decode of the start, its best among them
        K = t["similarity"].shape[1]
        assert len(t["smiles"]) * K == s["decoded"], "trajectory: decodes"
        assert sum(m is not None for p in t["smiles"] for m in p) == s["valid"], "valid"
        assert t["z"].shape == (len(t["step"]), len(s["start_z"])), "trajectory: z"
        assert np.array_equal(t["z"][0], s["start_z"]), "trajectory: z at step 0"
        if s["best_smiles"]:
            assert s["best_smiles"] in t["smiles"][list(t["step"]).index(s["best_step"])]
    for why in r.skipped:
        print("chemvae optimize: skipping start: " + why, file=e)
    mol = [s for s in r.starts if s["start_smiles"]]
    print("chemvae optimize: objective %s, %d starts, %d steps: %d decodes, %d valid (%.1f%%); "
          "best found %.4f (%s)" % (r.objective, len(r.starts), kw.get("steps", 100), r.decoded,
          r.valid, 100.0 * r.valid / r.decoded if r.decoded else 0.0,
          r.best_found if r.best_found is not None else math.nan, r.best_smiles or "-"),
          end="", file=e)
    if mol:
        print("; %d start molecules: mean improvement %.4f +- %.4f, success %d/%d (%.1f%%)" % (
            len(mol), r.mean_improvement, r.sd_improvement, sum(s["success"] for s in mol),
            len(mol), 100.0 * r.success_rate), end="", file=e)
        if kw.get("constrained", -1) >= 0:
            print(" at similarity >= %g" % kw["constrained"], end="", file=e)
    print(file=e)
else:
    p = chemvae.interpolate(kw.pop("from", None) or ends[0], kw.pop("to", None) or ends[1],
                            model=model, **kw)
    print("step,t,distance,smiles,count,sim_from,sim_to,mw,logp,qed,sa,penalized_logp", file=o)
    for m in p.molecules:
        print("%d,%.4f,%.4f,%s,%d,%.4f,%.4f" % (m["step"], m["t"], m["distance"], m["smiles"],
              m["count"], m["sim_from"], m["sim_to"]) + "".join(",%.4f" % m[k] for k in (
              "mw", "logp", "qed", "sa", "penalized_logp")), file=o)
    seen = []
    for c in (c for point in p.decodes for c in point if c is not None and c not in seen):
        seen.append(c)
    assert seen == [m["smiles"] for m in p.molecules], "decodes vs molecules"
    assert p.z.shape[0] == len(p.t) == len(p.distance) == len(p.decodes)
    print("chemvae interpolate: %s path of %d points (latent length %.4f), %d decodes, %d valid, "
          "%d distinct" % (kw.get("method", "slerp"), len(p.z), p.distance[-1],
          sum(map(len, p.decodes)), sum(c is not None for d in p.decodes for c in d),
          len(p.molecules)), file=e)
PY
}
job_same() { # $1 = job, rest = its arguments
  local job=$1
  shift
  "$bin" "$job" --model "$model" --no-db "$@" > "$tmp/$job.want" 2> "$tmp/$job.want-err" ||
    fail "chemvae $job $*"
  job_py "$job" "$tmp/$job.got" "$tmp/$job.got-err" "$@" || fail "chemvae.$job($*)"
  same "chemvae.$job vs chemvae $job $*" "$tmp/$job.want" "$tmp/$job.got"
  same "chemvae.$job vs chemvae $job $* (summary)" "$tmp/$job.want-err" "$tmp/$job.got-err"
  rows=$((rows + $(wc -l < "$tmp/$job.want") - 1))
}
printf 'smiles\nCC(=O)Nc1ccc(O)cc1\nC[Xe]\nc1ccncc1\n' > "$tmp/starts.csv"
rows=0
job_same optimize --start CCO --start c1ccccc1O --starts "$tmp/starts.csv" --random 2 --steps 6 \
  --decodes 3 --seed 4 --constrained 0.3
job_same optimize --starts datasets/zinc_opt_starts200.csv --limit 3 --minimize --objective \
  '5*qed-sa' --steps 4 --decode-every 2 --lr 0.5 --prior 0.1 --trust-radius 1.5 --beam 2 \
  --rescue 5 --temperature 0.5 --constrain syntax
echo "ok   chemvae.optimize: chemvae optimize --no-db's $rows starts (molecules, a file with a skipped one, random; minimized), its summary, every start's trajectory"
rows=0
job_same interpolate CCO c1ccccc1O --steps 8 --decodes 3 --temperature 0.7 --seed 3 --method linear
job_same interpolate --from 'CC(=O)Nc1ccc(O)cc1' --to c1ccncc1 --steps 5 --beam 2 --rescue 3
echo "ok   chemvae.interpolate: chemvae interpolate --no-db's $rows molecules and summary, linear and slerp, and every decode of the path"

# ---- the default model --------------------------------------------------------------------
want=$("$bin" encode CCO | tail -1)
got=$(py -c 'import chemvae; print("CCO" + "".join(",%.7g" % x for x in chemvae.encode("CCO")))')
[ "$got" = "$want" ] || fail "default model: chemvae.encode('CCO') differs from chemvae encode CCO"
prefix=$tmp/prefix
mkdir -p "$prefix/lib/python3/dist-packages/chemvae" "$prefix/share/chemvae/models" "$tmp/elsewhere"
cp src/python/chemvae/__init__.py "$prefix/lib/python3/dist-packages/chemvae/"
ln -s "$PWD/$build/libchemvae.so.0" "$prefix/lib/libchemvae.so.0"
ln -s "$PWD/$model" "$prefix/share/chemvae/models/zinc24k-small.cvae"
got=$(cd "$tmp/elsewhere" && env -u CHEMVAE_LIB PYTHONPATH="$prefix/lib/python3/dist-packages" \
  /usr/bin/python3 -c 'import chemvae; m = chemvae.Model(); print(m.path); print("CCO" + "".join(",%.7g" % x for x in m.encode("CCO")))') ||
  fail "installed layout: no default model outside the checkout"
[ "$(head -1 <<<"$got")" = "$prefix/share/chemvae/models/zinc24k-small.cvae" ] ||
  fail "installed layout: the default model is $(head -1 <<<"$got")"
[ "$(tail -1 <<<"$got")" = "$("$bin" encode --model "$model" CCO | tail -1)" ] ||
  fail "installed layout: the shipped model encodes differently"
echo "ok   without a model: the command line's default checkpoint, and outside a checkout the one in PREFIX/share/chemvae/models"
