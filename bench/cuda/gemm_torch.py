"""PyTorch on the same GPU, for bench/cuda/gemm.mjs and add.mjs: GEMM 4096^3 / 8192^3 in fp32 (TF32 off), TF32 and
BF16; elementwise add of 2^28 float32 and the device copy (read + write bandwidth). CUDA-event medians, one JSON line
per row. Run: python3 bench/cuda/gemm_torch.py"""
import json, torch

dev = torch.device("cuda")
name = torch.cuda.get_device_name(0)
def emit(**r): print(json.dumps(dict(engine="pytorch", torch=torch.__version__, device=name, **r)), flush=True)

def median_ms(fn, warm=3, reps=20):
    for _ in range(warm): fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(); fn(); b.record(); torch.cuda.synchronize(); ts.append(a.elapsed_time(b))
    ts.sort()
    return ts[len(ts) // 2]

for n in (4096, 8192):
    for prec, dtype, tf32 in (("fp32", torch.float32, False), ("tf32", torch.float32, True), ("bf16", torch.bfloat16, False)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        a = torch.randn(n, n, device=dev, dtype=dtype); b = torch.randn(n, n, device=dev, dtype=dtype)
        c = torch.empty(n, n, device=dev, dtype=dtype)
        ms = median_ms(lambda: torch.mm(a, b, out=c), reps=10 if n >= 8192 else 20)
        emit(row=f"gemm_{prec}", shape=f"{n}^3", ms=ms, tflops=2 * n ** 3 / ms / 1e9)
        del a, b, c
torch.backends.cuda.matmul.allow_tf32 = False

n = 2 ** 28
a = torch.randn(n, device=dev); b = torch.randn(n, device=dev); c = torch.empty(n, device=dev)
ms = median_ms(lambda: torch.add(a, b, out=c))
emit(row="add_2^28", ms=ms, gbps=3 * 4 * n / ms / 1e6)
ms = median_ms(lambda: c.copy_(a))
emit(row="copy_2^28", ms=ms, gbps=2 * 4 * n / ms / 1e6)
