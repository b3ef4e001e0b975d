"""PyTorch side of bench/linalg.mjs: torch.linalg.cholesky and torch.linalg.solve_triangular on the same shapes.
Run: /usr/bin/python3 bench/linalg_torch.py [threads]"""
import json, os, sys, time

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
# OpenBLAS keeps its own thread pool: left at its default it spins beside torch's threads (a 512 x 512 potrf took
# 52 ms at torch.set_num_threads(1), 6.6 ms with OpenBLAS at one thread too)
os.environ.setdefault('OPENBLAS_NUM_THREADS', str(threads))
import torch
torch.set_num_threads(threads)
torch.manual_seed(0)
reps = int(os.environ.get('REPS', 21))

def median(fn):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append((time.perf_counter() - t0) * 1e3)
    ts.sort(); return ts[len(ts) // 2]

def spd(b, n):
    m = torch.randn(b, n, n)
    return m @ m.transpose(-2, -1) / n + torch.eye(n)

A, A1 = spd(64, 48), spd(1, 512)
L, L1 = torch.linalg.cholesky(A), torch.linalg.cholesky(A1)
B, B1 = torch.randn(64, 48, 16), torch.randn(1, 512, 16)
with torch.no_grad():
    rows = {
        'cholesky_64x48x48_ms': median(lambda: torch.linalg.cholesky(A)),
        'trisolve_64x48x48_k16_ms': median(lambda: torch.linalg.solve_triangular(L, B, upper=False)),
        'cholesky_512_ms': median(lambda: torch.linalg.cholesky(A1)),
        'trisolve_512_k16_ms': median(lambda: torch.linalg.solve_triangular(L1, B1, upper=False)),
    }
print(json.dumps({'engine': 'torch ' + torch.__version__, 'threads': threads, 'reps': reps, **rows}, indent=1))
