#!/usr/bin/python3
"""PyTorch CPU reference for tests/bench/bench_gru.c: torch.nn.GRU forward and backward
(loss = sum(y * r)) at the same shapes, best of --reps after one warm-up, with a fixed
thread count. Prints key=value lines read by tests/bench/gru.sh. Debian's python3-torch."""
import argparse
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--B", type=int, default=128)
ap.add_argument("--T", type=int, default=120)
ap.add_argument("--input", type=int, default=231)
ap.add_argument("--H", type=int, default=488)
ap.add_argument("--layers", type=int, default=3)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--reps", type=int, default=2)
a = ap.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)
gru = torch.nn.GRU(a.input, a.H, a.layers)
x = torch.randn(a.T, a.B, a.input)
r = torch.randn(a.T, a.B, a.H)
best_f = best_b = float("inf")
for rep in range(a.reps + 1):
    gru.zero_grad()
    t0 = time.perf_counter()
    y, _ = gru(x)
    t1 = time.perf_counter()
    (y * r).sum().backward()
    t2 = time.perf_counter()
    if rep > 0:
        best_f = min(best_f, t1 - t0)
        best_b = min(best_b, t2 - t1)
print("torch_version=%s threads=%d" % (torch.__version__, torch.get_num_threads()))
print("torch_fwd_s=%.4f torch_bwd_s=%.4f" % (best_f, best_b))
