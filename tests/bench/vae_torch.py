#!/usr/bin/python3
"""PyTorch CPU reference of chemvae's `paper` VAE (src/model/README.md "Architecture"), for
side-by-side speed.

Same architecture as src/model/vae.c: conv encoder (V->9 k9, 9->9 k9, 9->10 k11, tanh+BN),
Dense 196 tanh BN, mu/logvar Dense(Z); decoder Dense(Z->196) tanh, teacher-forced 3-layer
GRU(H) on [h_z ; onehot(y_{t-1})], Dense(H->V) softmax; property head on mu
(67-66-65-P, tanh). Loss = masked CE + beta*KL + lambda*MSE, Adam.

Usage: vae_torch.py train  --batch 128 --steps 3 --threads 2 [--T 120 --V 35 --H 488 --Z 196]
       vae_torch.py decode --batch 256 --threads 2   (greedy batched decoding, mol/s)
Prints one line `torch_<mode> mol_per_s=<x> ...` so scripts can parse it.
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class VAE(nn.Module):
    def __init__(self, V, T, Z, H, P, layers=3):
        super().__init__()
        self.V, self.T, self.Z, self.H = V, T, Z, H
        self.c1, self.b1 = nn.Conv1d(V, 9, 9), nn.BatchNorm1d(9)
        self.c2, self.b2 = nn.Conv1d(9, 9, 9), nn.BatchNorm1d(9)
        self.c3, self.b3 = nn.Conv1d(9, 10, 11), nn.BatchNorm1d(10)
        L = T - 8 - 8 - 10
        self.d, self.bd = nn.Linear(10 * L, 196), nn.BatchNorm1d(196)
        self.mu, self.lv = nn.Linear(196, Z), nn.Linear(196, Z)
        self.dz = nn.Linear(Z, 196)
        self.gru = nn.GRU(196 + V, H, layers)
        self.out = nn.Linear(H, V)
        self.prop = nn.Sequential(nn.Linear(Z, 67), nn.Tanh(), nn.Linear(67, 66), nn.Tanh(),
                                  nn.Linear(66, 65), nn.Tanh(), nn.Linear(65, P))

    def encode(self, x):  # x (B, T, V)
        h = x.transpose(1, 2)
        h = self.b1(torch.tanh(self.c1(h)))
        h = self.b2(torch.tanh(self.c2(h)))
        h = self.b3(torch.tanh(self.c3(h)))
        h = self.bd(torch.tanh(self.d(h.flatten(1))))
        return self.mu(h), self.lv(h)

    def decode_tf(self, z, ytm1):  # ytm1 (T, B, V) one-hot of previous tokens
        hz = torch.tanh(self.dz(z))
        inp = torch.cat([hz.unsqueeze(0).expand(ytm1.shape[0], -1, -1), ytm1], dim=2)
        o, _ = self.gru(inp)
        return self.out(o)  # (T, B, V)


def random_batch(B, T, V, gen):
    lengths = torch.randint(20, T, (B,), generator=gen)
    ids = torch.randint(4, V, (B, T), generator=gen)
    pos = torch.arange(T).unsqueeze(0)
    ids[pos == lengths.unsqueeze(1)] = 2
    ids[pos > lengths.unsqueeze(1)] = 0
    return ids, lengths


def bench_train(a):
    gen = torch.Generator().manual_seed(0)
    m = VAE(a.V, a.T, a.Z, a.H, 3)
    opt = torch.optim.Adam(m.parameters(), lr=4e-4)
    ids, _ = random_batch(a.batch, a.T, a.V, gen)
    props = torch.randn(a.batch, 3, generator=gen)
    x = F.one_hot(ids, a.V).float()
    prev = torch.cat([torch.full((a.batch, 1), 1), ids[:, :-1]], 1)
    ytm1 = F.one_hot(prev, a.V).float().transpose(0, 1).contiguous()
    mask = (ids != 0).float().t()

    def step():
        opt.zero_grad()
        mu, lv = m.encode(x)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        logits = m.decode_tf(z, ytm1)
        ce = F.cross_entropy(logits.reshape(-1, a.V), ids.t().reshape(-1), reduction="none")
        recon = (ce * mask.reshape(-1)).sum() / a.batch
        kl = -0.5 * torch.sum(1 + lv - mu * mu - lv.exp()) / a.batch
        prop = F.mse_loss(m.prop(mu), props)
        loss = recon + 0.01 * kl + 0.5 * prop
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 50.0)
        opt.step()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    dt = time.perf_counter() - t0
    print(f"torch_train mol_per_s={a.steps * a.batch / dt:.2f} step_s={dt / a.steps:.3f} "
          f"batch={a.batch} T={a.T} V={a.V} H={a.H} threads={torch.get_num_threads()}")


@torch.no_grad()
def bench_decode(a):
    m = VAE(a.V, a.T, a.Z, a.H, 3).eval()
    z = torch.randn(a.batch, a.Z, generator=torch.Generator().manual_seed(0))

    def run():
        hz = torch.tanh(m.dz(z))
        tok = torch.full((a.batch,), 1)
        h = None
        for _ in range(a.T):
            inp = torch.cat([hz, F.one_hot(tok, a.V).float()], 1).unsqueeze(0)
            o, h = m.gru(inp, h)
            tok = m.out(o[0]).argmax(1)

    run()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        run()
    dt = time.perf_counter() - t0
    print(f"torch_decode mol_per_s={a.steps * a.batch / dt:.2f} batch={a.batch} T={a.T} "
          f"H={a.H} threads={torch.get_num_threads()}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train", "decode"])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--T", type=int, default=120)
    p.add_argument("--V", type=int, default=35)
    p.add_argument("--H", type=int, default=488)
    p.add_argument("--Z", type=int, default=196)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    (bench_train if a.mode == "train" else bench_decode)(a)


if __name__ == "__main__":
    main()
