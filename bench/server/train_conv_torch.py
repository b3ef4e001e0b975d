"""PyTorch's conv U-Net training step (ConvDenoiser + EDM, batch 128, Adam 2e-4: bench/train.mjs conv's model),
in fp32 and under CPU autocast to bfloat16, median ms per step after warm-up, one JSON line each. The model comes
from the project's baselines (models.py): pass its folder. Run:
  OMP_NUM_THREADS=T python3 bench/server/train_conv_torch.py T BASELINES_DIR [steps]"""
import json, sys, time, torch

T = int(sys.argv[1])
sys.path.insert(0, sys.argv[2])
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 12
from models import ConvDenoiser, EDMPrecond  # noqa: E402

torch.set_num_threads(T)
B = 128
for precision in ("fp32", "bf16-autocast"):
    torch.manual_seed(0)
    net = EDMPrecond(ConvDenoiser())
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    data = torch.randn(4096, 1, 28, 28)

    def step():
        idx = torch.randint(0, data.shape[0], (B,))
        x0 = data[idx]
        sigma = (torch.randn(B) * 1.2 - 1.2).exp()
        n = torch.randn_like(x0) * sigma[:, None, None, None]
        w = (sigma ** 2 + 0.25) / (sigma * 0.5) ** 2
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision != "fp32"):
            D = net(x0 + n, sigma)
        loss = (w[:, None, None, None] * (D.float() - x0) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    try:
        for _ in range(3):
            step()
    except RuntimeError as e:  # PyTorch 1.13's CPU autocast has no bf16 group_norm with float32 weights
        print(json.dumps(dict(engine="pytorch", version=torch.__version__, precision=precision, threads=T,
                              error=str(e).splitlines()[0])), flush=True)
        continue
    ts = []
    for _ in range(steps):
        s = time.perf_counter(); step(); ts.append(time.perf_counter() - s)
    ts.sort()
    ms = ts[len(ts) // 2] * 1e3
    print(json.dumps(dict(engine="pytorch", version=torch.__version__, precision=precision, threads=T, batch=B,
                          ms=ms, samples_per_s=B * 1e3 / ms)), flush=True)
