#!/usr/bin/env bash
# `make install` into a temporary prefix, then what a user of the installed tree does:
#   - a C program compiled with `pkg-config --cflags --libs chemvae` against the installed
#     headers and the shared libchemvae.so.0 scores a molecule exactly as `chemvae score`
#     does, and samples molecules from the installed model;
#   - outside the checkout (cd into an empty directory), the installed `chemvae sample`
#     finds the installed model, and `chemvae --version` matches the headers' version;
#   - the sqlite3 shell and Python's sqlite3 load the installed chemvae_sqlite.so, and its
#     chemistry functions give `chemvae query`'s values on the DB that sample wrote.
# Prints "ok   ..." per check and "FAIL ..." on a failure (exit 1).
#
#   tests/check-install.sh [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; exit 1; }
make -s BUILD="$build" install PREFIX="$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH=$tmp/prefix/lib/pkgconfig
pkg-config --exists chemvae || fail "pkg-config does not find chemvae.pc"
version_h=$(sed -n 's/^#define CHEMVAE_VERSION_STRING "\(.*\)"/\1/p' include/chemvae/core/version.h)
[ "$(pkg-config --modversion chemvae)" = "$version_h" ] ||
  fail "chemvae.pc version differs from version.h"
echo "ok   pkg-config finds chemvae $(pkg-config --modversion chemvae)"

cat > "$tmp/example.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <chemvae/chemvae.h>
/* example SMILES [MODEL]: scores SMILES; with MODEL, decodes 16 prior samples greedily
 * (the sample job of the application layer) and prints how many are molecules */
int main(int argc, char **argv) {
    ChemScores s;
    char *canon = NULL;
    if (argc < 2 || !cv_chem_score_smiles(argv[1], &s, &canon)) return 1;
    printf("%s %s %.6f %.6f\n", CHEMVAE_VERSION_STRING, canon, s.logp, s.qed);
    free(canon);
    if (argc < 3) return 0;
    CvModel m;
    CvError err = {0};
    CvSampleConfig cfg = CV_SAMPLE_DEFAULTS;
    cfg.n = 16;
    cfg.seed = 7;
    CvSampleResult res;
    if (cv_model_load(&m, argv[2], 16, &err) || cv_sample(&m, &cfg, NULL, &res, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("sampled 16, %zu molecules\n", res.n_valid);
    int ok = res.n_valid > 0;
    cv_sample_result_free(&res);
    cv_model_free(&m);
    return ok ? 0 : 1;
}
C
# shellcheck disable=SC2046
gcc -std=c11 -o "$tmp/example" "$tmp/example.c" $(pkg-config --cflags --libs chemvae) || fail "the example does not build"
export LD_LIBRARY_PATH=$tmp/prefix/lib
linked=$(ldd "$tmp/example") # (no `ldd | grep -q`: grep's early exit fails the pipe under pipefail)
[[ $linked == *"libchemvae.so.0 => $tmp/prefix/lib/"* ]] || fail "the example is not linked to the installed libchemvae.so.0"
got=$("$tmp/example" 'OC(=O)c1ccccc1O' | head -1) || fail "the example cannot score salicylic acid"
want=$("$build/chemvae" score 'OC(=O)c1ccccc1O' | awk -F, 'NR == 2 { printf "%s %.6f %.6f", $3, $5, $6 }')
[ "$got" = "$version_h $want" ] ||
  fail "installed library: '$got', chemvae score: '$want'"
echo "ok   a program built with pkg-config scores like chemvae score: $got"
sampled=$("$tmp/example" 'C' "$tmp/prefix/share/chemvae/models/zinc24k-small.cvae" | tail -1) ||
  fail "the example cannot sample from the installed model"
echo "ok   the same program, on the shared library, samples from the installed model: $sampled"

mkdir "$tmp/elsewhere"
(cd "$tmp/elsewhere" && "$tmp/prefix/bin/chemvae" sample -n 10 --no-db > samples.csv 2> sample.err) ||
  fail "installed chemvae sample outside the checkout: $(cat "$tmp/elsewhere/sample.err")"
[ "$(wc -l < "$tmp/elsewhere/samples.csv")" -ge 2 ] || fail "installed sample printed no molecules"
echo "ok   installed chemvae sample -n 10 runs outside the checkout"
version=$(cd "$tmp/elsewhere" && "$tmp/prefix/bin/chemvae" --version)
[[ $version == "chemvae $(pkg-config --modversion chemvae) "* ]] || fail "installed chemvae --version: $version"
echo "ok   installed chemvae --version"
for c in $("$tmp/prefix/bin/chemvae" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'); do
  grep -q "^\.B $c\$" "$tmp/prefix/share/man/man1/chemvae.1" || fail "the man page does not describe '$c'"
done
echo "ok   the installed man page describes every command of chemvae --help"

(cd "$tmp/elsewhere" && "$tmp/prefix/bin/chemvae" sample -n 20 --seed 4 --db results.db > /dev/null 2>&1) ||
  fail "installed chemvae sample --db"
sql="SELECT smiles, round(tanimoto(smiles, 'c1ccccc1CC(=O)N'), 6), has_substruct(smiles, 'c1ccccc1'),
            round(qed(smiles), 6), canonical(smiles) = smiles FROM molecules ORDER BY id"
want=$("$tmp/prefix/bin/chemvae" query --db "$tmp/elsewhere/results.db" --csv "$sql" | tail -n +2 | tr -d '"')
[ "$(wc -l <<<"$want")" -ge 5 ] || fail "the sampled DB holds too few molecules"
got=$(sqlite3 -csv "$tmp/elsewhere/results.db" ".load $tmp/prefix/lib/chemvae_sqlite" "$sql" | tr -d '"') ||
  fail "the sqlite3 shell cannot load chemvae_sqlite.so"
[ "$got" = "$want" ] || fail "sqlite3 shell with chemvae_sqlite.so differs from chemvae query"
echo "ok   the sqlite3 shell loads chemvae_sqlite.so: $(wc -l <<<"$got") molecules, same values as chemvae query"
got=$(/usr/bin/python3 - "$tmp/elsewhere/results.db" "$tmp/prefix/lib/chemvae_sqlite" "$sql" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.enable_load_extension(True)
con.load_extension(sys.argv[2])
for row in con.execute(sys.argv[3]):
    print(",".join("" if v is None else str(v) for v in row))
PY
) || fail "Python's sqlite3 cannot load chemvae_sqlite.so"
[ "$got" = "$want" ] || fail "Python sqlite3 with chemvae_sqlite.so differs from chemvae query: $(diff <(echo "$got") <(echo "$want") | head -3)"
echo "ok   Python's sqlite3 loads chemvae_sqlite.so: same values"

# the Python package: chemvae.score like chemvae score (6 decimals), chemvae.connect
smiles=$(cut -f1 tests/fixtures/zinc500.tsv | sed -n '2,41p'; printf '%s\n' 'C1CC' 'c1ccccc1O' 'not a smiles')
want=$(printf '%s\n' "$smiles" | "$build/chemvae" score | tail -n +2)
got=$(printf '%s\n' "$smiles" | PYTHONPATH=$tmp/prefix/lib/python3/dist-packages /usr/bin/python3 -c '
import sys, chemvae
for line in sys.stdin:
    s = chemvae.score(line.rstrip("\n"))
    cols = [s["smiles"], "1" if s["valid"] else "0", s["canonical"] or ""]
    cols += ["%.6f" % s[k] if s["valid"] else "" for k in ("mw", "logp", "qed", "sa", "penalized_logp")]
    print(",".join(cols))
') || fail "import chemvae from the installed tree"
[ "$got" = "$want" ] || fail "chemvae.score differs from chemvae score: $(diff <(echo "$got") <(echo "$want") | head -3)"
n=$(PYTHONPATH=$tmp/prefix/lib/python3/dist-packages /usr/bin/python3 -c '
import sys, chemvae
con = chemvae.connect(sys.argv[1])
print(con.execute("SELECT count(*) FROM molecules WHERE mol_valid(smiles) AND tanimoto(smiles, smiles) = 1").fetchone()[0])
' "$tmp/elsewhere/results.db") || fail "chemvae.connect"
[ "$n" -ge 5 ] || fail "chemvae.connect: $n molecules"
echo "ok   import chemvae: score() gives chemvae score's values for $(wc -l <<<"$got") inputs, connect() has the SQL functions"
