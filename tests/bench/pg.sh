#!/usr/bin/env bash
# The PostgreSQL results store beside the SQLite one, on a throwaway local cluster
# (pg_virtualenv, dropped at the end), one process each:
#   - batched generation inserts (bench_store, PG_BENCH_ROWS rows, default 20000) into an
#     SQLite file and into PostgreSQL over its Unix socket: rows/s and the ratio;
#   - the 24,445 molecules of datasets/zinc24k.csv (stored by bench_similarity) copied with
#     `chemvae db copy`, then `query similar` (k 10) and `query substruct` (every match)
#     timed end to end on both, best of PG_BENCH_PASSES (3): SQLite's tanimoto() /
#     has_substruct() against the RDKit cartridge's tanimoto_sml / @> (GiST-indexed).
# No target: the numbers say what a team pays for a shared server. Needs postgresql-15 and
# postgresql-15-rdkit (`make test` installs them).
#   BUILD=build tests/bench/pg.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
if [ -z "${CHEMVAE_PG_INSIDE:-}" ]; then
  if ! command -v pg_virtualenv > /dev/null ||
    [ ! -e /usr/share/postgresql/15/extension/rdkit.control ]; then
    echo "skip: no PostgreSQL 15 server with the RDKit cartridge (postgresql-15-rdkit)"
    exit 0
  fi
  export CHEMVAE_PG_INSIDE=1
  exec pg_virtualenv -v 15 -t bash "$0" "$@"
fi
rows=${PG_BENCH_ROWS:-20000}
passes=${PG_BENCH_PASSES:-3}
bin=$(realpath "$build/chemvae")
tmp=$(mktemp -d /tmp/chemvae-pgbench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
createdb ins
createdb mols

rate() { awk '$1 == 1024 { print $4 }' "$1"; }
"$build/bench/bench_store" "$rows" > "$tmp/lite.txt"
"$build/bench/bench_store" "$rows" postgresql:///ins > "$tmp/pg.txt"
awk -v l="$(rate "$tmp/lite.txt")" -v p="$(rate "$tmp/pg.txt")" 'BEGIN {
  printf "generation inserts, batch 1024: SQLite %d rows/s, PostgreSQL %d rows/s (%.2fx)\n", l, p, p / l }'

/usr/bin/python3 -c 'import csv, sys
for row in csv.DictReader(open(sys.argv[1])): print(row["smiles"].strip())' datasets/zinc24k.csv > "$tmp/mols.smi"
"$build/bench/bench_similarity" "$tmp/mols.smi" "$tmp/m.db" 1 1 > /dev/null
"$bin" db copy "$tmp/m.db" postgresql:///mols > /dev/null

# best wall time of `passes` runs of a query, in ms
best() {
  local b=""
  for _ in $(seq "$passes"); do
    local t0 t1
    t0=$(date +%s%N)
    "$bin" query --format csv "$@" > "$tmp/out.csv"
    t1=$(date +%s%N)
    local ms=$(((t1 - t0) / 1000000))
    [ -z "$b" ] || [ "$ms" -lt "$b" ] && b=$ms
  done
  echo "$b"
}
n=$("$bin" query --format csv --db "$tmp/m.db" "SELECT count(*) AS n FROM molecules" | tail -1)
for q in "similar CC(=O)Oc1ccccc1C(=O)O -k 10" "substruct c1ccncc1 -n 1000000"; do
  # shellcheck disable=SC2086
  l=$(best --db "$tmp/m.db" $q)
  # shellcheck disable=SC2086
  p=$(best --db postgresql:///mols $q)
  # shellcheck disable=SC2086
  "$bin" query --format csv --db "$tmp/m.db" $q > "$tmp/a.csv"
  # shellcheck disable=SC2086
  "$bin" query --format csv --db postgresql:///mols $q > "$tmp/b.csv"
  cmp -s "$tmp/a.csv" "$tmp/b.csv" && same=same || same=DIFFERENT
  echo "query $q over $n molecules: SQLite $l ms, PostgreSQL + cartridge $p ms ($same rows)"
done
