#!/usr/bin/python3
"""Writes tests/fixtures/torch_nn.txt: PyTorch reference values for the C nn ops.

Run with Debian's python3-torch:  /usr/bin/python3 tests/gen_torch_fixtures.py
Inputs and weights are drawn in float32 (so C sees the same numbers) and the reference is
computed in float64 from them. Loss = sum(r * y) with a stored random r, so the stored
gradients are exactly what the C backward receives as dy = r.

Format: a sequence of records "name count" on one line followed by `count` numbers
(%.9g), whitespace separated. Layouts are those of the C API (time-major GRU, channels-
last conv), noted per record below.
"""
import sys
import torch

torch.manual_seed(20240521)
out = []


def put(name, t):
    v = t.detach().reshape(-1).double().tolist()
    out.append("%s %d\n" % (name, len(v)))
    for i in range(0, len(v), 8):
        out.append(" ".join("%.9g" % x for x in v[i:i + 8]) + "\n")


def f32(*shape, scale=1.0):
    return (torch.rand(*shape) * 2 - 1).mul(scale).float().double()


def make_gru(L, H, inp):
    """A float64 torch.nn.GRU whose weights are float32-representable."""
    gru = torch.nn.GRU(inp, H, L).double()
    with torch.no_grad():
        for p in gru.parameters():
            p.copy_(f32(*p.shape, scale=0.6))
    return gru


# ---- GRU, dense input: L=3, T=5, B=3, I=4, H=6. x (T, B, I), h0 (L, B, H). ----------------
L, T, B, I, H = 3, 5, 3, 4, 6
gru = make_gru(L, H, I)
x = f32(T, B, I).requires_grad_()
h0 = f32(L, B, H, scale=0.5).requires_grad_()
r = f32(T, B, H)
y, _ = gru(x, h0)
(y * r).sum().backward()
put("gru.dims", torch.tensor([L, T, B, I, H]))
for n, p in gru.named_parameters():
    put("gru." + n, p)
put("gru.x", x)
put("gru.h0", h0)
put("gru.r", r)
put("gru.y", y)
put("gru.dx", x.grad)
put("gru.dh0", h0.grad)
for n, p in gru.named_parameters():
    put("gru.d" + n, p.grad)

# ---- GRU, decoder token input [c ; onehot(tok)]: L=2, T=6, B=3, D=3, V=4, H=5. -------------
# c (B, D), tok (T, B) token fed at step t, h0 zeros (omitted).
L, T, B, D, V, H = 2, 6, 3, 3, 4, 5
gru = make_gru(L, H, D + V)
c = f32(B, D).requires_grad_()
tok = torch.randint(0, V, (T, B))
r = f32(T, B, H)
xin = torch.cat([c.unsqueeze(0).expand(T, B, D),
                 torch.nn.functional.one_hot(tok, V).double()], dim=2)
y, _ = gru(xin)
(y * r).sum().backward()
put("grutok.dims", torch.tensor([L, T, B, D, V, H]))
for n, p in gru.named_parameters():
    put("grutok." + n, p)
put("grutok.c", c)
put("grutok.tok", tok)
put("grutok.r", r)
put("grutok.y", y)
put("grutok.dc", c.grad)
for n, p in gru.named_parameters():
    put("grutok.d" + n, p.grad)

# ---- Conv1d: B=2, L=10, Cin=4, Cout=3, K=3. x (B, L, Cin) channels-last, y (B, Lo, Cout). --
B, Lx, Cin, Cout, K = 2, 10, 4, 3, 3
conv = torch.nn.Conv1d(Cin, Cout, K).double()
with torch.no_grad():
    conv.weight.copy_(f32(Cout, Cin, K))
    conv.bias.copy_(f32(Cout))
x = f32(B, Lx, Cin).requires_grad_()
y = conv(x.permute(0, 2, 1)).permute(0, 2, 1)
r = f32(*y.shape)
(y * r).sum().backward()
put("conv.dims", torch.tensor([B, Lx, Cin, Cout, K]))
put("conv.w", conv.weight)
put("conv.b", conv.bias)
put("conv.x", x)
put("conv.r", r)
put("conv.y", y)
put("conv.dx", x.grad)
put("conv.dw", conv.weight.grad)
put("conv.db", conv.bias.grad)

# ---- BatchNorm1d train mode on conv features (B, L, C) = (3, 4, 5), momentum 0.1. ---------
B, Lx, C = 3, 4, 5
bn = torch.nn.BatchNorm1d(C, eps=1e-5, momentum=0.1).double()
with torch.no_grad():
    bn.weight.copy_(f32(C) + 1.0)
    bn.bias.copy_(f32(C))
    bn.running_mean.copy_(f32(C))
    bn.running_var.copy_(f32(C) + 1.5)
put("bn.dims", torch.tensor([B, Lx, C]))
put("bn.gamma", bn.weight)
put("bn.beta", bn.bias)
put("bn.run_mean0", bn.running_mean)
put("bn.run_var0", bn.running_var)
x = f32(B, Lx, C, scale=3.0).requires_grad_()
y = bn(x.permute(0, 2, 1)).permute(0, 2, 1)
r = f32(*y.shape)
(y * r).sum().backward()
put("bn.x", x)
put("bn.r", r)
put("bn.y", y)
put("bn.dx", x.grad)
put("bn.dgamma", bn.weight.grad)
put("bn.dbeta", bn.bias.grad)
put("bn.run_mean1", bn.running_mean)
put("bn.run_var1", bn.running_var)

path = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/torch_nn.txt"
with open(path, "w") as f:
    f.write("".join(out))
print("wrote", path, "torch", torch.__version__)
