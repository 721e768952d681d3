#!/usr/bin/env bash
# The PostgreSQL results store (--db postgresql:///NAME) against the SQLite one, end to end,
# on a throwaway PostgreSQL 15 cluster the script starts itself (pg_virtualenv, dropped at
# the end) and the shipped model (run by tests/test_pg_store.c):
#   - the same `sample` run (seed 7, n 200) stored in a new SQLite file and in a new
#     PostgreSQL DB prints the same `query top --by qed -n 20`, `query similar` (aspirin,
#     -k 10) and `query runs` but for the times (started_at, finished_at; pid, host when
#     printed);
#   - `db copy` of that SQLite file into an empty PostgreSQL DB prints `query runs` (every
#     column), `query top` and `query similar` byte for byte as the file does;
#   - after an `interpolate` run into both, `report` from the PostgreSQL DB is the report
#     from the SQLite file but for the line naming the database and the runs' times;
#   - four `sample` processes (seeds 11..14, n 300) writing one new PostgreSQL DB at once
#     all exit 0 and leave 4 runs 'ok', each seed's generation count that of the same run
#     into its own SQLite file, and the molecules the union of the four files' (sorted
#     SMILES lists equal);
#   - the RDKit cartridge: a `sample` run of 1,020 into PostgreSQL fills the columns mol
#     (type mol) and mfp (type bfp), both GiST-indexed, for every molecule RDKit reads back
#     (a stored SMILES that does not parse again has neither, as it has no fingerprint in
#     SQLite); `query substruct` (the cartridge's mol @> qmol) finds the
#     same SMILES as on the SQLite file (has_substruct) for 20 SMARTS;
#   - `db copy` of three SQLite files (seeds 31..33, n 150) into a new SQLite file and into
#     a new PostgreSQL DB: runs and generations the sums of the files', molecules the union
#     of their SMILES; both copies print the same `query runs` and `query top`;
#   - `query` is read-only on PostgreSQL: INSERT, a data-modifying WITH, two statements
#     and CREATE TABLE exit non-zero and change nothing; a login role (alice) in a role
#     granted only CONNECT and SELECT (chemvae_reader) reads `query runs` and `query
#     similar` as the owner does, its `SELECT current_user` is alice or chemvae_reader and
#     has_table_privilege('runs', 'INSERT') is false.
# Prints "ok   ..." per check and "FAIL ..." on a failure (exit 1); "skip: ..." (exit 0)
# without a PostgreSQL 15 server or its RDKit cartridge (postgresql-15, postgresql-15-rdkit).
#
#   tests/check-pg.sh [BUILD=build]
set -euo pipefail
self=$(realpath "$0")
cd "$(dirname "$self")/.."
build=${1:-build}

# Outside a cluster: start one (a temporary directory even as root, so concurrent runs and
# an existing 15/regress cluster do not clash) and run again inside it. pg_virtualenv sets
# PGHOST, PGPORT, PGUSER (a superuser) and PGPASSWORD and drops the cluster when this exits.
if [ -z "${CHEMVAE_PG_INSIDE:-}" ]; then
  if ! command -v pg_virtualenv > /dev/null || [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
    echo "skip: no PostgreSQL server (postgresql-15)"
    exit 0
  fi
  if "$build/chemvae" query runs --db postgresql:///chemvae_probe 2>&1 |
    grep -q "built without PostgreSQL"; then
    echo "skip: this chemvae was built without PostgreSQL (make PG=0)"
    exit 0
  fi
  if [ ! -e /usr/share/postgresql/15/extension/rdkit.control ]; then
    echo "skip: no RDKit cartridge (postgresql-15-rdkit)"
    exit 0
  fi
  export CHEMVAE_PG_INSIDE=1
  exec pg_virtualenv -v 15 -t bash "$self" "$build"
fi

bin=$(realpath "$build/chemvae")
tmp=$(mktemp -d /tmp/chemvae-pg-XXXXXX)
trap 'kill $(jobs -p) 2> /dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; exit 1; }
export OPENBLAS_NUM_THREADS=1
model=results/models/zinc24k-small.cvae
aspirin='CC(=O)Oc1ccccc1C(=O)O'

# chemvae with a time limit, so a writer waiting on a lock forever fails the check
cv() { timeout 120 "$bin" "$@"; }
# samples N SEED DB [SEED DB ...]: `sample -n N` runs, one per (seed, DB), started together;
# fails unless every one exits 0
samples() {
  local n=$1 i pids=() what=()
  shift
  while [ $# -gt 0 ]; do
    timeout 120 "$bin" sample -m "$model" -n "$n" --seed "$1" -j 1 --db "$2" > /dev/null \
      2> "$tmp/sample${#pids[@]}.err" &
    pids+=($!)
    what+=("--seed $1 --db $2")
    shift 2
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || fail "sample -n $n ${what[$i]} exited $?: $(tail -3 "$tmp/sample$i.err")"
  done
}
# view DB FILE ARGS...: `chemvae query ARGS` on DB as CSV into FILE
view() {
  local db=$1 out=$2
  shift 2
  cv query --db "$db" --format csv "$@" > "$out" 2> "$tmp/query.err" ||
    fail "query $* --db $db exited $?: $(cat "$tmp/query.err")"
}
# val DB SQL: sets v to the one value the statement returns
val() {
  view "$1" "$tmp/val.csv" "$2"
  v=$(tail -n +2 "$tmp/val.csv")
}
# col NAME FILE: the column NAME of a CSV file, header left out (no field holds a comma)
col() {
  awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
                        c { print $c } END { exit !c }' "$2"
}
# no_times FILE: the CSV without the columns started_at, finished_at, pid and host
no_times() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) keep[i] = $i !~ /^(started_at|finished_at|pid|host)$/ }
           { s = sep = ""; for (i = 1; i <= NF; i++) if (keep[i]) { s = s sep $i; sep = "," } print s }' "$1"
}
# same A B WHAT: fails naming WHAT unless files A and B are equal
same() { cmp -s "$1" "$2" || fail "$3 differ: $(diff "$1" "$2" | head -6 | tr '\n' ' ')"; }
# smiles DB FILE: every stored SMILES of DB, byte-sorted, into FILE
smiles() {
  view "$1" "$tmp/smiles.csv" "SELECT smiles FROM molecules"
  col smiles "$tmp/smiles.csv" | LC_ALL=C sort > "$2" || fail "no smiles column from $1"
}
rows() { echo $(($(wc -l < "$1") - 1)); }
for d in a copydb conc subs ecopy; do createdb "$d" || fail "createdb $d exited $?"; done

# a. one sample run in SQLite and in PostgreSQL
pa=postgresql:///a
samples 200 7 "$tmp/a.db" 7 "$pa"
for db in "$tmp/a.db" "$pa"; do
  k=${db##*/}
  view "$db" "$tmp/$k.top" top --by qed -n 20
  view "$db" "$tmp/$k.similar" similar "$aspirin" -k 10
  view "$db" "$tmp/$k.runs" runs
  no_times "$tmp/$k.runs" > "$tmp/$k.runs-t"
done
{ [ "$(rows "$tmp/a.db.top")" = 20 ] && [ "$(rows "$tmp/a.db.similar")" = 10 ]; } ||
  fail "SQLite: query top printed $(rows "$tmp/a.db.top") rows, similar $(rows "$tmp/a.db.similar")"
same "$tmp/a.db.top" "$tmp/a.top" "query top --by qed -n 20 on SQLite and PostgreSQL"
same "$tmp/a.db.similar" "$tmp/a.similar" "query similar on SQLite and PostgreSQL"
same "$tmp/a.db.runs-t" "$tmp/a.runs-t" "query runs (times aside) on SQLite and PostgreSQL"
echo "ok   sample --seed 7 -n 200 into SQLite and PostgreSQL: the same query top (20 rows)," \
  "similar (10) and runs (times aside)"

# b. db copy of the SQLite file into an empty PostgreSQL DB
pc=postgresql:///copydb
cv db copy "$tmp/a.db" "$pc" > "$tmp/copy.out" 2>&1 ||
  fail "db copy $tmp/a.db $pc exited $?: $(tail -3 "$tmp/copy.out")"
view "$pc" "$tmp/copydb.top" top --by qed -n 20
view "$pc" "$tmp/copydb.similar" similar "$aspirin" -k 10
view "$pc" "$tmp/copydb.runs" runs
same "$tmp/a.db.runs" "$tmp/copydb.runs" "query runs of the SQLite file and its copy"
same "$tmp/a.db.top" "$tmp/copydb.top" "query top of the SQLite file and its copy"
same "$tmp/a.db.similar" "$tmp/copydb.similar" "query similar of the SQLite file and its copy"
echo "ok   db copy SQLite -> PostgreSQL: query runs (every column), top and similar byte for byte"

# b'. the report reads PostgreSQL as SQLite: an interpolation run into both, then report
for db in "$tmp/a.db" "$pc"; do
  cv interpolate -m "$model" 'CC(=O)Oc1ccccc1C(=O)O' 'c1ccc2ccccc2c1O' --db "$db" > /dev/null \
    2> "$tmp/interp.err" || fail "interpolate --db $db exited $?: $(tail -3 "$tmp/interp.err")"
  out=$tmp/report-$(basename "$db").html
  cv report --db "$db" --out "$out" > /dev/null 2> "$tmp/report.err" ||
    fail "report --db $db exited $?: $(tail -3 "$tmp/report.err")"
  grep -v '<p class="meta">Database ' "$out" |
    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/TIME/g' > "$out.body"
done
same "$tmp/report-a.db.html.body" "$tmp/report-copydb.html.body" "report of the SQLite file and of its PostgreSQL copy"
sections=$(grep -c '<h2>' "$tmp/report-copydb.html")
echo "ok   report --db postgresql://: the SQLite file's report ($sections sections) but for the" \
  "database's name and the runs' times"

# c. four writers at once
pw=postgresql:///conc
samples 300 11 "$pw" 12 "$pw" 13 "$pw" 14 "$pw"
samples 300 11 "$tmp/c11.db" 12 "$tmp/c12.db" 13 "$tmp/c13.db" 14 "$tmp/c14.db"
per_seed="SELECT r.seed, count(g.id) FROM runs r LEFT JOIN generations g ON g.run_id = r.id
          GROUP BY r.seed ORDER BY r.seed"
view "$pw" "$tmp/c.pg" "$per_seed"
tail -n +2 "$tmp/c.pg" > "$tmp/c.pg-counts"
: > "$tmp/c.lite-counts"
: > "$tmp/c.lite-smiles"
for s in 11 12 13 14; do
  view "$tmp/c$s.db" "$tmp/c.lite" "$per_seed"
  tail -n +2 "$tmp/c.lite" >> "$tmp/c.lite-counts"
  smiles "$tmp/c$s.db" "$tmp/c.one"
  cat "$tmp/c.one" >> "$tmp/c.lite-smiles"
done
same "$tmp/c.lite-counts" "$tmp/c.pg-counts" "generations per seed (seed,count) of 4 SQLite files and the shared PostgreSQL DB"
val "$pw" "SELECT count(*) FROM runs WHERE status = 'ok'"
[ "$v" = 4 ] || fail "4 concurrent writers left $v runs 'ok'"
val "$pw" "SELECT count(*) FROM runs"
[ "$v" = 4 ] || fail "4 concurrent writers left $v runs"
LC_ALL=C sort -u "$tmp/c.lite-smiles" > "$tmp/c.union"
smiles "$pw" "$tmp/c.pg-smiles"
same "$tmp/c.union" "$tmp/c.pg-smiles" "the union of 4 SQLite files' molecules and the shared DB's"
val "$pw" "SELECT count(*) FROM generations"
echo "ok   4 sample processes writing one PostgreSQL DB at once: 4 runs ok, $v generations" \
  "(each seed's as alone in SQLite), $(wc -l < "$tmp/c.union") molecules (the union)"

# d. the RDKit cartridge: its columns, and substructure search as has_substruct's
ps=postgresql:///subs
samples 1020 21 "$tmp/d.db" 21 "$ps"
val "$tmp/d.db" "SELECT count(*) FROM molecules"
n=$v
val "$ps" "SELECT count(*) FROM molecules"
[ "$v" = "$n" ] || fail "sample -n 1020 stored $n molecules in SQLite, $v in PostgreSQL"
# A stored canonical SMILES RDKit cannot read back (a few decodes in a thousand) has no mol in
# the cartridge, as has_substruct() cannot parse it either; no fingerprint either.
val "$tmp/d.db" "SELECT sum(mol_valid(smiles)) FROM molecules"
parsable=$v
val "$ps" "SELECT count(*) FROM molecules WHERE mol IS NOT NULL"
[ "$v" = "$parsable" ] || fail "$v of $n molecules have a cartridge mol, $parsable parse in SQLite"
val "$tmp/d.db" "SELECT count(fp) FROM molecules"
fps=$v
val "$ps" "SELECT count(*) FROM molecules WHERE mfp IS NOT NULL"
[ "$v" = "$fps" ] || fail "$v of $n molecules have a cartridge mfp, $fps a fingerprint in SQLite"
types=$(psql -XAtq -d subs -c "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod),
  ', ' ORDER BY attname) FROM pg_attribute WHERE attrelid = 'molecules'::regclass
  AND attname IN ('mol', 'mfp') AND NOT attisdropped") || fail "psql: the molecules columns"
[ "$types" = "mfp bfp, mol mol" ] || fail "molecules.mol and .mfp: '$types', expected 'mfp bfp, mol mol'"
gist=$(psql -XAtq -d subs -c "SELECT string_agg(a.attname, ',' ORDER BY a.attname)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
  WHERE i.indrelid = 'molecules'::regclass AND am.amname = 'gist'") || fail "psql: the indexes"
[ "$gist" = "mfp,mol" ] || fail "GiST indexes of molecules on '$gist', expected 'mfp,mol'"
echo "ok   RDKit cartridge: the $parsable of $n molecules of sample -n 1020 that RDKit reads back" \
  "have mol, $fps have mfp (GiST-indexed)"

smarts=(
  'c1ccccc1'                       # benzene
  'c1ccncc1'                       # pyridine
  'c1ccsc1'                        # thiophene
  '[nH]'                           # aromatic NH (pyrrole, indole, imidazole)
  'C1CCNCC1'                       # piperidine / piperazine
  '[CX3](=O)[OX2H1,OX1-]'          # carboxylic acid or carboxylate
  '[NX3][CX3](=[OX1])[#6]'         # amide
  '[NX3][CX3](=[OX1])[NX3]'        # urea
  '[#6][CX3](=O)[OX2H0][#6]'       # ester
  '[SX4](=[OX1])(=[OX1])[NX3]'     # sulfonamide
  '[F,Cl,Br,I]'                    # halogen
  'C(F)(F)F'                       # trifluoromethyl
  '[N+](=O)[O-]'                   # nitro
  'C#N'                            # nitrile
  '[CX4][OX2H]'                    # aliphatic alcohol
  'c[OX2][#6]'                     # aryl ether
  '[#7+]'                          # positively charged N
  '[R]'                            # ring atom
  '[r5]'                           # atom of a 5-membered ring
  '[R2]'                           # atom of two rings (fused)
)
hits=0
matched=0
for p in "${smarts[@]}"; do
  view "$tmp/d.db" "$tmp/s.lite" substruct "$p" -n 1000000
  view "$ps" "$tmp/s.pg" substruct "$p" -n 1000000
  col smiles "$tmp/s.lite" | LC_ALL=C sort > "$tmp/s.lite-smiles" || fail "substruct '$p': no smiles column in SQLite"
  col smiles "$tmp/s.pg" | LC_ALL=C sort > "$tmp/s.pg-smiles" || fail "substruct '$p': no smiles column in PostgreSQL"
  same "$tmp/s.lite-smiles" "$tmp/s.pg-smiles" "substruct '$p' molecules of SQLite (<) and PostgreSQL (>)"
  k=$(wc -l < "$tmp/s.lite-smiles")
  hits=$((hits + k))
  [ "$k" = 0 ] || matched=$((matched + 1))
done
[ "$matched" -ge 10 ] || fail "only $matched of ${#smarts[@]} SMARTS match any of the $n molecules"
echo "ok   query substruct, cartridge vs has_substruct: the same molecules for ${#smarts[@]} SMARTS" \
  "($matched matching, $hits hits)"

# e. db copy of three SQLite files into a new SQLite file and a new PostgreSQL DB
pe=postgresql:///ecopy
samples 150 31 "$tmp/e1.db" 32 "$tmp/e2.db" 33 "$tmp/e3.db"
src=("$tmp/e1.db" "$tmp/e2.db" "$tmp/e3.db")
runs=0
gens=0
: > "$tmp/e.smiles"
for f in "${src[@]}"; do
  val "$f" "SELECT count(*) FROM runs"
  runs=$((runs + v))
  val "$f" "SELECT count(*) FROM generations"
  gens=$((gens + v))
  smiles "$f" "$tmp/e.one"
  cat "$tmp/e.one" >> "$tmp/e.smiles"
done
LC_ALL=C sort -u "$tmp/e.smiles" > "$tmp/e.union"
for dst in "$tmp/e.db" "$pe"; do
  cv db copy "${src[@]}" "$dst" > "$tmp/copy.out" 2>&1 ||
    fail "db copy of 3 SQLite files into $dst exited $?: $(tail -3 "$tmp/copy.out")"
  val "$dst" "SELECT count(*) FROM runs"
  [ "$v" = "$runs" ] || fail "db copy of 3 files into $dst: $v runs, the files have $runs"
  val "$dst" "SELECT count(*) FROM generations"
  [ "$v" = "$gens" ] || fail "db copy of 3 files into $dst: $v generations, the files have $gens"
  smiles "$dst" "$tmp/e.copy"
  same "$tmp/e.union" "$tmp/e.copy" "the union of 3 SQLite files' molecules and those of their copy into $dst"
  view "$dst" "$tmp/e.runs.${dst##*/}" runs
  view "$dst" "$tmp/e.top.${dst##*/}" top --by qed -n 20
done
same "$tmp/e.runs.e.db" "$tmp/e.runs.ecopy" "query runs of the SQLite and PostgreSQL copies"
same "$tmp/e.top.e.db" "$tmp/e.top.ecopy" "query top of the SQLite and PostgreSQL copies"
echo "ok   db copy of 3 SQLite files into SQLite and into PostgreSQL: $runs runs, $gens generations," \
  "$(wc -l < "$tmp/e.union") molecules (the union), the same query runs and top"

# f. read-only queries, and a reader role (the DB as check b' left it)
view "$pc" "$tmp/copydb.runs" runs
view "$pc" "$tmp/copydb.similar" similar "$aspirin" -k 10
val "$pc" "SELECT count(*) FROM runs"
nruns=$v
for sql in "INSERT INTO runs(kind) VALUES('x')" \
  "WITH d AS (DELETE FROM runs RETURNING id) SELECT count(*) FROM d" \
  "SELECT 1; DELETE FROM runs" \
  "CREATE TABLE t(x int)"; do
  rc=0
  cv query --db "$pc" "$sql" > /dev/null 2>&1 || rc=$?
  [ "$rc" -ne 0 ] || fail "query \"$sql\" on PostgreSQL exited 0"
done
val "$pc" "SELECT count(*) FROM runs"
[ "$v" = "$nruns" ] || fail "runs: $nruns before the refused writes, $v after"
view "$pc" "$tmp/f.runs" runs
same "$tmp/copydb.runs" "$tmp/f.runs" "query runs before and after the refused writes"
[ "$(psql -XAtq -d copydb -c "SELECT to_regclass('t') IS NULL")" = t ] || fail "CREATE TABLE t made a table"
# statements that return no rows are refused before they run, even for a superuser
mark=/tmp/chemvae-pg-copy-$$
rm -f "$mark"
for sql in "COPY (SELECT 1) TO PROGRAM 'touch $mark'" \
  "DO \$\$BEGIN PERFORM pg_sleep(0); END\$\$"; do
  rc=0
  cv query --db "$pc" "$sql" > /dev/null 2> "$tmp/refused.err" || rc=$?
  [ "$rc" -ne 0 ] || fail "query \"$sql\" on PostgreSQL exited 0"
  grep -q "returns no rows" "$tmp/refused.err" || fail "query \"$sql\": $(cat "$tmp/refused.err")"
done
[ ! -e "$mark" ] || { rm -f "$mark"; fail "COPY ... TO PROGRAM ran"; }
echo "ok   query on PostgreSQL is read-only: INSERT, WITH ... DELETE, two statements and" \
  "CREATE TABLE exit non-zero, the $nruns runs unchanged; COPY TO PROGRAM and DO refused" \
  "before they run"

psql -XAtq -v ON_ERROR_STOP=1 -d copydb > /dev/null <<'SQL' || fail "psql: creating the reader roles"
REVOKE CONNECT ON DATABASE copydb FROM PUBLIC;
CREATE ROLE chemvae_reader NOLOGIN;
CREATE ROLE alice LOGIN PASSWORD 'pw' IN ROLE chemvae_reader;
GRANT CONNECT ON DATABASE copydb TO chemvae_reader;
GRANT USAGE ON SCHEMA public TO chemvae_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO chemvae_reader;
SQL
host=${PGHOST:-localhost}
port=${PGPORT:-5432}
case $host in
  /*) url="postgresql://alice:pw@/copydb?host=$host&port=$port" ;; # a socket directory
  *) url="postgresql://alice:pw@$host:$port/copydb" ;;
esac
view "$url" "$tmp/alice.runs" runs
same "$tmp/copydb.runs" "$tmp/alice.runs" "query runs as the owner and as alice"
view "$url" "$tmp/alice.similar" similar "$aspirin" -k 10
same "$tmp/copydb.similar" "$tmp/alice.similar" "query similar as the owner and as alice"
val "$url" "SELECT current_user"
who=$v
[ "$who" = alice ] || [ "$who" = chemvae_reader ] || fail "SELECT current_user as alice: '$who'"
val "$url" "SELECT has_table_privilege('runs', 'INSERT')"
case $v in f | false | 0) ;; *) fail "has_table_privilege('runs', 'INSERT') as alice: '$v'" ;; esac
# a wrong password: the message shows the URI with *** and never the password
bad=${url/alice:pw@/alice:Secr3tWord@}
rc=0
cv query runs --db "$bad" > /dev/null 2> "$tmp/badpw.err" || rc=$?
[ "$rc" -ne 0 ] || fail "query with a wrong password exited 0"
! grep -q Secr3tWord "$tmp/badpw.err" || fail "the password shows: $(cat "$tmp/badpw.err")"
grep -q 'alice:\*\*\*@' "$tmp/badpw.err" || fail "no alice:***@ in: $(cat "$tmp/badpw.err")"
echo "ok   a reader role (alice in chemvae_reader: CONNECT, SELECT): query runs and similar as the" \
  "owner's, current_user $who, no INSERT privilege; a wrong password never printed"
