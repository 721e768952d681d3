#!/usr/bin/env bash
# `make install` into a temporary prefix, then what a user of the installed tree does:
#   - a C program compiled with `pkg-config --cflags --libs chemvae` against the installed
#     headers and libraries scores a molecule exactly as `chemvae score` does;
#   - outside the checkout (cd into an empty directory), the installed `chemvae sample`
#     finds the installed model, and `chemvae --version` matches the headers' version.
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
