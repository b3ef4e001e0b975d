"""PyTorch fp32 GEMM (torch.mm: OpenBLAS when libopenblas0-pthread is installed) on bench/gemm.mjs's shapes, same
timing rule (median of timed calls after warm-up), one JSON line per shape. Run: OMP_NUM_THREADS=T /usr/bin/python3 bench/gemm_torch.py T [fp32|bf16]
(bf16: bfloat16 tensors in and out, torch.mm's CPU bf16 path: oneDNN where PyTorch has it)"""
import json, sys, time, torch

T = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(T)
precision = sys.argv[2] if len(sys.argv) > 2 else "fp32"
dt = torch.bfloat16 if precision == "bf16" else torch.float32
shapes = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (256, 512, 512), (256, 1024, 1024)]

def median(fn, budget=2.0):
    for _ in range(3):
        fn()
    ts = []
    t0 = time.perf_counter()
    while len(ts) < 7 or (time.perf_counter() - t0 < budget and len(ts) < 300):
        s = time.perf_counter(); fn(); ts.append(time.perf_counter() - s)
    ts.sort()
    return ts[len(ts) // 2] * 1e3

for (M, K, N) in shapes:
    a, b = torch.randn(M, K).to(dt), torch.randn(K, N).to(dt)
    c = torch.empty(M, N, dtype=dt)
    ms = median(lambda: torch.mm(a, b, out=c))
    print(json.dumps(dict(engine="pytorch", precision=precision, version=torch.__version__, threads=T, shape=f"{M}x{K}x{N}", ms=ms, gflops=2 * M * K * N / ms / 1e6)))
