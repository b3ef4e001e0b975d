"""PyTorch side of bench/fft.mjs: torch.fft on the same shapes, and the FNO-style spectral layer written the way
the DSNO/FNO code writes it (rfft, einsum over complex weights on the lowest modes, irfft).
Run: /usr/bin/python3 bench/fft_torch.py [threads]"""
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

x = torch.randn(1024, 256)
xm = torch.randn(64, 256, 16)
xb = torch.randn(1024, 251)
X = torch.fft.rfft(x)
z = torch.randn(1024, 256, dtype=torch.complex64)
w = torch.nn.Parameter(torch.rand(64, 64, 4, dtype=torch.cfloat) / (64 * 64))
h = torch.randn(16, 64, 8, 8, 8)

def spectral(h):
    H = torch.fft.rfft(h, dim=2)
    out = torch.zeros(16, 64, H.shape[2], 8, 8, dtype=torch.cfloat)
    out[:, :, :4] = torch.einsum('bitxy,iot->botxy', H[:, :, :4], w)
    return torch.fft.irfft(out, n=8, dim=2)

def fwd_bwd():
    spectral(h).square().mean().backward(); w.grad = None

with torch.no_grad():
    rows = {
        'rfft_1024x256_ms': median(lambda: torch.fft.rfft(x)),
        'rfft_middle_64x256x16_ms': median(lambda: torch.fft.rfft(xm, dim=1)),
        'rfft_bluestein_1024x251_ms': median(lambda: torch.fft.rfft(xb)),
        'irfft_1024x256_ms': median(lambda: torch.fft.irfft(X, n=256)),
        'fft_c2c_1024x256_ms': median(lambda: torch.fft.fft(z)),
        'spectral_fwd_ms': median(lambda: spectral(h)),
    }
rows['spectral_fwd_bwd_ms'] = median(fwd_bwd)
print(json.dumps({'engine': 'torch ' + torch.__version__, 'threads': threads, 'reps': reps, **rows}, indent=1))
