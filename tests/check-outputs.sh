#!/usr/bin/env bash
# Every command's file outputs written to a symlink (the link stays a link, its target gets
# the content), to a character device (it stays a device; skipped where mknod is not
# permitted), to a directory (refused before any work); every command's stdout written to
# /dev/full (exit 1 with a message naming the failed write).
#
#   tests/check-outputs.sh BUILD/chemvae
set -uo pipefail
BIN=$(realpath "$1")
W=$(mktemp -d /tmp/chemvae-outputs-XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
head -201 datasets/zinc5k.csv > "$W/in.csv"
printf 'CCO\nc1ccccc1O\n' > "$W/mols.smi"
"$BIN" ingest "$W/in.csv" -o "$W/data.cvds" --rejects "$W/rej.csv" -q -j 1 > /dev/null || fail "setup ingest"
"$BIN" train --data "$W/data.cvds" --out "$W/model.cvae" --preset tiny --epochs 1 --batch 16 \
  --no-db --quiet --threads 1 --recon-sample 0 > /dev/null || fail "setup train"
M=$W/model.cvae
"$BIN" sample --model "$M" -n 4 --db "$W/r.db" > /dev/null 2>&1 || fail "setup sample" # for query, report
"$BIN" encode --model "$M" --input "$W/mols.smi" > "$W/z.csv" || fail "setup encode"
printf 'stage s score\n  args CCO\n' > "$W/p.pipe"

# one file output: $1 = label, $2 = the output path, rest = the command (with @OUT@ for it)
file_output() {
  local label=$1 target=$2
  shift 2
  local args=() a
  for a in "$@"; do args+=("${a//@OUT@/$target}"); done
  "${args[@]}" > "$W/stdout" 2> "$W/stderr"
}

check_symlink() { # $1 = label, rest = command with @OUT@
  local label=$1
  shift
  rm -f "$W/target.$label" "$W/link.$label"
  echo old > "$W/target.$label"
  ln -s "target.$label" "$W/link.$label"
  if ! file_output "$label" "$W/link.$label" "$@"; then fail "$label symlink: exit $?"; tail -3 "$W/stderr"; return; fi
  [ -L "$W/link.$label" ] || fail "$label symlink: the link was replaced"
  ! cmp -s <(echo old) "$W/target.$label" || fail "$label symlink: the target was not written"
  echo "ok   $label symlink"
}

check_device() {
  local label=$1
  shift
  [ -c "$W/dev.null" ] || return 0
  if ! file_output "$label" "$W/dev.null" "$@"; then fail "$label device: exit $?"; tail -3 "$W/stderr"; return; fi
  [ -c "$W/dev.null" ] || fail "$label device: no longer a character device"
  echo "ok   $label device"
}

check_directory() {
  local label=$1
  shift
  mkdir -p "$W/adir"
  file_output "$label" "$W/adir" "$@"
  local rc=$?
  [ "$rc" -eq 1 ] || fail "$label directory: exit $rc"
  grep -q "is a directory" "$W/stderr" || { fail "$label directory: unclear message"; tail -2 "$W/stderr"; }
  [ -d "$W/adir" ] || fail "$label directory: the directory is gone"
  [ "$rc" -eq 1 ] && echo "ok   $label directory"
}

mknod "$W/dev.null" c 1 3 2> /dev/null || echo "(mknod not permitted: device outputs not checked)"
while IFS='|' read -r label cmd; do
  [ -n "$label" ] || continue
  eval "set -- $cmd"
  check_symlink "$label" "$@"
  check_device "$label" "$@"
  check_directory "$label" "$@"
done <<EOF
ingest-o|"$BIN" ingest "$W/in.csv" -o @OUT@ --rejects "$W/r2.csv" -q -j 1
ingest-rejects|"$BIN" ingest "$W/in.csv" -o "$W/d2.cvds" --rejects @OUT@ -q -j 1
ingest-vocab-out|"$BIN" ingest "$W/in.csv" -o "$W/d3.cvds" --rejects "$W/r3.csv" --vocab-out @OUT@ -q -j 1
vocab|"$BIN" vocab build "$W/in.csv" -o @OUT@
train|"$BIN" train --data "$W/data.cvds" --out @OUT@ --preset tiny --epochs 1 --batch 16 --no-db --quiet --threads 1 --recon-sample 0
export|"$BIN" train --export "$M" --out @OUT@
report|"$BIN" report --db "$W/r.db" --out @OUT@
EOF

# stdout to /dev/full: exit 1 and a message
while IFS='|' read -r label cmd; do
  [ -n "$label" ] || continue
  eval "set -- $cmd"
  "$@" > /dev/full 2> "$W/stderr"
  rc=$?
  if [ "$rc" -ne 1 ] || ! grep -q -i "writ" "$W/stderr"; then
    fail "$label > /dev/full: exit $rc"; tail -2 "$W/stderr"
  else
    echo "ok   $label > /dev/full"
  fi
done <<EOF
ingest|"$BIN" ingest "$W/in.csv" -o "$W/d4.cvds" --rejects "$W/r4.csv" -q -j 1
vocab|"$BIN" vocab show "$W/data.cvds"
encode|"$BIN" encode --model "$M" --input "$W/mols.smi"
decode|"$BIN" decode --model "$M" --input "$W/z.csv"
eval|"$BIN" eval --model "$M" --data "$W/data.cvds" -n 4 --samples 4 --no-db
metrics|"$BIN" metrics "$W/mols.smi" --test "$W/in.csv"
sample|"$BIN" sample --model "$M" -n 4 --no-db
optimize|"$BIN" optimize --model "$M" --start CCO --steps 2 --decodes 2 --no-db
interpolate|"$BIN" interpolate --model "$M" --from CCO --to c1ccccc1O --steps 2 --no-db
score|"$BIN" score --input "$W/mols.smi"
query|"$BIN" query --db "$W/r.db" --csv "SELECT id FROM runs"
report|"$BIN" report --db "$W/r.db" --out "$W/rep.html"
pipeline|"$BIN" pipeline run "$W/p.pipe" --state "$W/pst" --db "$W/r.db"
EOF
echo "output check: $fails failure(s)"
[ "$fails" -eq 0 ]
