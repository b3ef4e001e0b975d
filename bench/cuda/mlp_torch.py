"""PyTorch eager, the MLP denoiser training step of bench/cuda/mlp_train.mjs (the GPU baseline of
../shared/baselines/gpu_torch.py, written out here so the device check needs nothing outside the repository):
2 + sinusoidal 64 -> 3 x 256 SiLU -> 2, cosine schedule, Adam lr 1e-3, batch 4096. Run: python3 bench/cuda/mlp_torch.py"""
import json, math, torch, torch.nn as nn

dev = torch.device("cuda")
B, d, temb, h = 4096, 2, 64, 256

def sinusoidal(t, dim, max_period=10000.0):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    a = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(a), torch.sin(a)], dim=1)

net = nn.Sequential(nn.Linear(d + temb, h), nn.SiLU(), nn.Linear(h, h), nn.SiLU(), nn.Linear(h, h), nn.SiLU(),
                    nn.Linear(h, d)).to(dev)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)

def step():
    x0 = torch.randn(B, d, device=dev); t = torch.rand(B, device=dev)
    ab = torch.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2; eps = torch.randn_like(x0)
    xt = ab.sqrt()[:, None] * x0 + (1 - ab).sqrt()[:, None] * eps
    loss = ((net(torch.cat([xt, sinusoidal(t * 1000.0, temb)], dim=1)) - eps) ** 2).mean()
    opt.zero_grad(set_to_none=True); loss.backward(); opt.step()

for _ in range(5): step()
torch.cuda.synchronize()
ts = []
for _ in range(50):
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record(); step(); b.record(); torch.cuda.synchronize(); ts.append(a.elapsed_time(b))
ts.sort()
ms = ts[len(ts) // 2]
print(json.dumps(dict(engine="pytorch", torch=torch.__version__, device=torch.cuda.get_device_name(0), row="mlp_train",
                      batch=B, ms=ms, samples_per_s=B * 1000 / ms)), flush=True)
