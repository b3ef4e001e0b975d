"""PyTorch 1.13 (Debian) int8 Linear on 256x1024x1024, for bench/int8_compare.mjs's table: fp32 nn.Linear, dynamic
quantized Linear (qint8 weights) and static quantized Linear (quint8 in and out) on each quantized engine this torch
has. Median of 21 timed calls after warm-up. Run: OMP_NUM_THREADS=T /usr/bin/python3 bench/int8_torch.py T"""
import sys, time, torch, torch.nn as nn
import torch.ao.nn.quantized as nnq

T = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(T)
torch.manual_seed(0)
M, K, N = 256, 1024, 1024
ops = 2.0 * M * K * N

def median(fn, n=21):
    for _ in range(3):
        fn()
    ts = []
    for _ in range(n):
        s = time.perf_counter(); fn(); ts.append(time.perf_counter() - s)
    ts.sort()
    return ts[n // 2] * 1e3

x = torch.randn(M, K)
lin = nn.Linear(K, N).eval()
rows = []
with torch.no_grad():
    ref = lin(x)
    rows.append(("fp32 nn.Linear", median(lambda: lin(x))))
    for eng in torch.backends.quantized.supported_engines:
        if eng == "none":
            continue
        torch.backends.quantized.engine = eng
        dq = torch.ao.quantization.quantize_dynamic(nn.Sequential(lin), {nn.Linear}, dtype=torch.qint8).eval()
        rows.append((f"dynamic quantized Linear [{eng}]", median(lambda: dq(x))))
        w = lin.weight.detach()
        qw = torch.quantize_per_channel(w, w.abs().amax(1) / 127, torch.zeros(N, dtype=torch.long), 0, torch.qint8)
        sx = (x.max() - x.min()).item() / 255; zx = int(round(-x.min().item() / sx))
        qx = torch.quantize_per_tensor(x, sx, zx, torch.quint8)
        sy = (ref.max() - ref.min()).item() / 255; zy = int(round(-ref.min().item() / sy))
        sq = nnq.Linear(K, N); sq.set_weight_bias(qw, lin.bias.detach()); sq.scale = sy; sq.zero_point = zy
        rows.append((f"static quantized Linear u8 in/out [{eng}]", median(lambda: sq(qx))))
print(f"PyTorch {torch.__version__}, {T} thread(s), engines {torch.backends.quantized.supported_engines}")
print("| engine | path | ms | GOP/s |")
print("|---|---|---|---|")
for name, ms in rows:
    print(f"| PyTorch | {name} | {ms:.2f} | {ops / ms / 1e6:.1f} |")
