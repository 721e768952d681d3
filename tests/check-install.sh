#!/usr/bin/env bash
# `make install` into a temporary prefix, then what a user of the installed tree does:
#   - a C program compiled with `pkg-config --cflags --libs chemvae` against the installed
#     headers and libraries scores a molecule exactly as `chemvae score` does;
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
[ "$(pkg-config --modversion chemvae)" = "$(sed -n 's/^#define CHEMVAE_VERSION_STRING "\(.*\)"/\1/p' include/chemvae/version.h)" ] ||
  fail "chemvae.pc version differs from version.h"
echo "ok   pkg-config finds chemvae $(pkg-config --modversion chemvae)"

cat > "$tmp/example.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <chemvae/chem.h>
#include <chemvae/version.h>
int main(int argc, char **argv) {
    ChemScores s;
    char *canon = NULL;
    if (argc < 2 || !chem_score_smiles(argv[1], &s, &canon)) return 1;
    printf("%s %s %.6f %.6f\n", CHEMVAE_VERSION_STRING, canon, s.logp, s.qed);
    free(canon);
    return 0;
}
C
# shellcheck disable=SC2046
gcc -std=c11 -o "$tmp/example" "$tmp/example.c" $(pkg-config --cflags --libs chemvae) || fail "the example does not build"
got=$("$tmp/example" 'OC(=O)c1ccccc1O') || fail "the example cannot score salicylic acid"
want=$("$build/chemvae" score 'OC(=O)c1ccccc1O' | awk -F, 'NR == 2 { printf "%s %.6f %.6f", $3, $5, $6 }')
[ "$got" = "$(sed -n 's/^#define CHEMVAE_VERSION_STRING "\(.*\)"/\1/p' include/chemvae/version.h) $want" ] ||
  fail "installed library: '$got', chemvae score: '$want'"
echo "ok   a program built with pkg-config scores like chemvae score: $got"

mkdir "$tmp/elsewhere"
(cd "$tmp/elsewhere" && "$tmp/prefix/bin/chemvae" sample -n 10 --no-db > samples.csv 2> sample.err) ||
  fail "installed chemvae sample outside the checkout: $(cat "$tmp/elsewhere/sample.err")"
[ "$(wc -l < "$tmp/elsewhere/samples.csv")" -ge 2 ] || fail "installed sample printed no molecules"
echo "ok   installed chemvae sample -n 10 runs outside the checkout"
(cd "$tmp/elsewhere" && "$tmp/prefix/bin/chemvae" --version) | grep -q "^chemvae $(pkg-config --modversion chemvae) " ||
  fail "installed chemvae --version"
echo "ok   installed chemvae --version"

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
