"""PyTorch side of bench/fdp_inner.mjs: the same Gabor INR 4x64 with per-sample weights as bmm, 3 inner SGD steps
on the code's spectral inner loss (torch.fft.rfft, norm='ortho', weights b/r, mean over the full spectrum's modes,
elementwise clip 1), then the outer spectral loss; second order by torch.autograd.grad(create_graph=True).
Written independently from the description in lib/models/fdp (no shared code).
Run: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/fdp_inner_torch.py [threads]"""
import json, math, os, sys, time

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
os.environ.setdefault('OPENBLAS_NUM_THREADS', str(threads))
import torch
torch.set_num_threads(threads)
torch.manual_seed(0)
reps = int(os.environ.get('REPS', 11))
B, P, H, L = int(os.environ.get('B', 32)), 64, 64, 4

def median(fn):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append((time.perf_counter() - t0) * 1e3)
    ts.sort(); return ts[len(ts) // 2]

# per-mode tables of the heat process (f = integer frequency), rfft multiplicities
k = torch.arange(P // 2 + 1, dtype=torch.float64)
w2 = k ** 2
b = 1 / (w2 + 0.3) + ((w2 + 2) / 33 ** 2) ** 0.25
r = (64 ** 2 / 23.27) / (w2 + 2)
mult = torch.full_like(k, 2.0); mult[0] = 1; mult[-1] = 1
weight = (b / r * mult).float()

def sq_err(a, c):  # a, c: [B, P] -> [B]
    d = torch.fft.rfft(a, norm='ortho') - torch.fft.rfft(c, norm='ortho')
    return (d.real ** 2 + d.imag ** 2).mul(weight).sum(-1)

# INR parameters [in, out] with the SIREN-like init of the JS side
params = []
for l in range(L + 1):
    fan_in = 2 if l == 0 else H + 2
    out = 1 if l == L else H
    bound = 1 / fan_in if l == 0 else math.sqrt(6 / fan_in) / 30
    params += [(torch.rand(fan_in, out) * 2 - 1).mul(bound).requires_grad_(), (torch.rand(out) * 2 - 1).mul(bound).requires_grad_()]

coords = (2 * torch.arange(P) / P - 1).float()
t = 0.05 + 0.9 * torch.arange(B) / B
inp = torch.stack([coords.expand(B, P), (2 * t - 1)[:, None].expand(B, P)], -1)  # [B, P, 2]
x0 = torch.randn(B, P) * 0.5
y = x0 + torch.randn(B, P) * 0.3

def inr(ps, x):
    h = x
    for l in range(L + 1):
        h = torch.bmm(h, ps[2 * l]) + ps[2 * l + 1]
        if l < L:
            h = torch.sin(30 * h) * torch.exp(-10 * h * h)
            h = torch.cat([h, x], -1)
    return h[..., 0]

def predict(create_graph):
    phi = [p.unsqueeze(0).expand(B, *p.shape) if p.dim() == 2 else p.reshape(1, 1, -1).expand(B, 1, p.shape[0]) for p in params]
    for _ in range(3):
        loss = sq_err(inr(phi, inp), y).sum() / P
        gs = torch.autograd.grad(loss, phi, create_graph=create_graph, retain_graph=True)
        phi = [p - 1e-2 * g.clamp(-1, 1) for p, g in zip(phi, gs)]
    return inr(phi, inp)

def step(create_graph):
    for p in params: p.grad = None
    sq_err(predict(create_graph), x0).mean().backward()

rows = {
    'device': 'cpu', 'threads': torch.get_num_threads(), 'torch': torch.__version__, 'batch': B, 'points': P,
    'params': sum(p.numel() for p in params),
    'adapt_first_order_ms': median(lambda: predict(False)),
    'step_first_order_ms': median(lambda: step(False)),
    'step_second_order_ms': median(lambda: step(True)),
}
print(json.dumps(rows, indent=1))
