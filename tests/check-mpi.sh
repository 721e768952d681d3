#!/usr/bin/env bash
# Data-parallel training under mpirun (a build with MPI; run by tests/test_dist.c), on 1,000
# ZINC molecules:
#   - one step at global batch 128 (`small` preset): the gradient summed over 2 processes,
#     and over 3 (uneven shards), equals one process's within 1e-5 (relative norm), plain
#     and with word dropout, augmentation and free bits on;
#   - 50 steps (`tiny` preset, batch 128, the same knobs): the loss of every step on 2
#     processes equals one process's within 1e-4 (relative);
#   - --resume with any N: 1 epoch on 2 processes resumed for a 2nd on 1, and the other way
#     round, give the 2nd epoch's train loss of an uninterrupted run on 1 within 1e-4;
#     rank 0 alone prints epoch lines; the validation loss of 2 processes (each validates
#     its share of the split) is one process's within 1e-4;
#   - one process killed mid-run: mpirun ends the job with a message naming the killed
#     rank, and --resume (1 process) continues from rank 0's last checkpoint.
# Prints "ok   ..." per check and "FAIL ..." on a failure (exit 1).
#
#   tests/check-mpi.sh [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$(realpath "$build/chemvae")
drv=$(realpath "$build/bench/bench_dist")
tmp=$(mktemp -d /tmp/chemvae-mpi-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; exit 1; }
export OPENBLAS_NUM_THREADS=1
mpi=(timeout 300 mpirun --oversubscribe --bind-to none -x OPENBLAS_NUM_THREADS)
[ "$(id -u)" -ne 0 ] || mpi+=(--allow-run-as-root)

head -1001 datasets/zinc5k.csv > "$tmp/in.csv"
"$bin" ingest "$tmp/in.csv" -o "$tmp/data.cvds" --rejects "$tmp/rej.csv" -q -j 1 > /dev/null ||
  fail "ingest exited $?"
data=$tmp/data.cvds

for recipe in "" recipe; do
  "$drv" grads "$data" small 128 "$tmp/g1" $recipe || fail "grads on 1 process exited $?"
  for n in 2 3; do
    "${mpi[@]}" -np $n "$drv" grads "$data" small 128 "$tmp/g$n" $recipe ||
      fail "grads on $n processes exited $?"
    out=$("$drv" compare "$tmp/g1" "$tmp/g$n" 1e-5) || fail "gradient on $n processes ${recipe:-plain}: $out"
    echo "ok   one step, batch 128, ${recipe:-plain}: $n processes' gradient = 1 process's ($out)"
  done
done

"$drv" curve "$data" tiny 128 50 "$tmp/c1" recipe || fail "curve on 1 process exited $?"
"${mpi[@]}" -np 2 "$drv" curve "$data" tiny 128 50 "$tmp/c2" recipe || fail "curve on 2 exited $?"
worst=$(paste "$tmp/c1" "$tmp/c2" |
  awk 'NF == 6 { n++; d = ($1 - $4) / $1; if (d < 0) d = -d; if (d > m) m = d } END { print n, m + 0 }')
read -r steps diff <<<"$worst"
[ "$steps" = 50 ] || fail "loss curves of $steps steps, expected 50"
awk -v d="$diff" 'BEGIN { exit !(d <= 1e-4) }' || fail "loss curves differ by $diff (relative)"
echo "ok   50 steps: the loss curve on 2 processes = 1 process's (largest relative difference $diff)"

# --resume with any N; epoch lines on rank 0 only
train=(train --data "$data" --preset tiny --batch 64 --no-db --threads 1 --recon-sample 0)
loss2() { sed -n 's/^epoch *2 .* train loss \([0-9.]*\) .*/\1/p' "$1"; }
"$bin" "${train[@]}" --out "$tmp/a.cvae" --epochs 2 2> "$tmp/a.err" || fail "train 2 epochs exited $?"
"${mpi[@]}" -np 2 "$bin" "${train[@]}" --out "$tmp/b.cvae" --epochs 1 2> "$tmp/b1.err" ||
  fail "train on 2 processes exited $?"
[ "$(grep -c '^epoch' "$tmp/b1.err")" = 1 ] || fail "2 processes printed $(grep -c '^epoch' "$tmp/b1.err") epoch lines, expected 1"
"$bin" "${train[@]}" --out "$tmp/b.cvae" --epochs 2 --resume 2> "$tmp/b2.err" ||
  fail "resume on 1 process exited $?"
"$bin" "${train[@]}" --out "$tmp/c.cvae" --epochs 1 2> /dev/null || fail "train 1 epoch exited $?"
"${mpi[@]}" -np 2 "$bin" "${train[@]}" --out "$tmp/c.cvae" --epochs 2 --resume 2> "$tmp/c2.err" ||
  fail "resume on 2 processes exited $?"
ref=$(loss2 "$tmp/a.err")
[ -n "$ref" ] || fail "no epoch 2 line in an uninterrupted run"
for f in b2 c2; do
  got=$(loss2 "$tmp/$f.err")
  awk -v a="$ref" -v b="$got" 'BEGIN { d = (a - b) / a; if (d < 0) d = -d; exit !(b != "" && d <= 1e-4) }' ||
    fail "epoch 2 train loss after a resume ($f): '$got', uninterrupted $ref"
done
echo "ok   --resume across 2 -> 1 and 1 -> 2 processes: epoch 2 train loss $ref as uninterrupted"
# validation split between the processes: epoch 1's validation loss as on one (within the
# drift of the weights batchnorm cancels, see src/model/README.md)
v1=$(sed -n 's/^epoch *1 .* valid loss \([0-9.]*\) .*/\1/p' "$tmp/a.err")
v2=$(sed -n 's/^epoch *1 .* valid loss \([0-9.]*\) .*/\1/p' "$tmp/b1.err")
awk -v a="$v1" -v b="$v2" 'BEGIN { d = (a - b) / a; if (d < 0) d = -d; exit !(b != "" && d <= 1e-4) }' ||
  fail "epoch 1 valid loss on 2 processes '$v2', on 1 $v1"
echo "ok   validation split between 2 processes: epoch 1 valid loss $v2 (1 process: $v1)"

# one process killed mid-run: the job ends with mpirun's message, the checkpoint resumes
slow=(train --data "$data" --preset small --batch 32 --no-db --threads 1 --recon-sample 0)
"${mpi[@]}" -np 2 "$bin" "${slow[@]}" --quiet --out "$tmp/k.cvae" --epochs 50 > "$tmp/k.out" 2>&1 &
job=$!
for _ in $(seq 600); do [ -e "$tmp/k.cvae" ] && break; sleep 0.1; done
[ -e "$tmp/k.cvae" ] || fail "no checkpoint after 60 s"
victim=
for p in $(pgrep -f "$tmp/k.cvae" || true); do
  tr '\0' '\n' < /proc/$p/environ 2> /dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1' && victim=$p && break
done
[ -n "$victim" ] || fail "rank 1 not found"
kill -9 "$victim"
rc=0
wait $job || rc=$?
[ $rc -ne 0 ] || fail "the job exited 0 after a process was killed"
grep -q "rank 1" "$tmp/k.out" || fail "mpirun's message does not name rank 1: $(tail -5 "$tmp/k.out")"
"$bin" "${slow[@]}" --out "$tmp/k.cvae" --epochs 4 --resume 2> "$tmp/k2.err" ||
  fail "resume after the kill exited $?: $(tail -3 "$tmp/k2.err")"
grep -q "resuming .* at epoch" "$tmp/k2.err" || fail "resume did not say where it continues"
echo "ok   a killed process ends the job (exit $rc, mpirun names rank 1); --resume continues: $(grep -o 'at epoch [0-9]*, step [0-9]*' "$tmp/k2.err")"
