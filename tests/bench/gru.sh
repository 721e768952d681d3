#!/usr/bin/env bash
# GRU forward + backward at the paper sizes (B=128, T=120, H=488, 3 layers), same thread
# count everywhere (THREADS, default 2):
#   C dense input 231 (the issue's shape), C decoder token input [c(196) ; onehot(35)]
#   (the same 231 inputs, fed the way the VAE decoder feeds them), this machine's sgemm
#   rate measured in the same process, and torch.nn.GRU on dense input 231.
# Prints GFLOP/s, the ratio to sgemm and the speed-up over PyTorch. The machine may be
# shared: the load average is printed before and after; numbers are best-of-reps.
set -euo pipefail
BUILD=${BUILD:-build}
THREADS=${THREADS:-2}
REPS=${REPS:-3}
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS
SHAPE="--B 128 --T 120 --H 488 --layers 3"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

val() { sed -n "s/.*\<$2=\([^ ]*\).*/\1/p" <<<"$1" | head -1; }

dense=$("$BUILD/bench/bench_gru" $SHAPE --input 231 --reps "$REPS")
tok=$("$BUILD/bench/bench_gru" $SHAPE --tokens 196 35 --reps "$REPS")
echo "$dense"
echo "$tok"
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  torch=$(/usr/bin/python3 tests/bench/bench_gru_torch.py --B 128 --T 120 --H 488 --layers 3 \
          --input 231 --threads "$THREADS" --reps 2)
  echo "$torch"
  tt=$(awk -v f="$(val "$torch" torch_fwd_s)" -v b="$(val "$torch" torch_bwd_s)" 'BEGIN{print f+b}')
  for run in dense tok; do
    out=${!run}
    awk -v name="$run" -v cf="$(val "$out" c_fwd_s)" -v cb="$(val "$out" c_bwd_s)" \
        -v tf="$(val "$torch" torch_fwd_s)" -v tb="$(val "$torch" torch_bwd_s)" -v tt="$tt" \
        -v r="$(val "$out" ratio_to_sgemm)" \
        'BEGIN{printf "%-6s fwd+bwd %.3f s = %.2f of sgemm rate; vs PyTorch: fwd %.2fx bwd %.2fx fwd+bwd %.2fx\n",
               name, cf+cb, r, tf/cf, tb/cb, tt/(cf+cb)}'
  done
else
  echo "python3-torch not installed: PyTorch comparison skipped"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
