"""PyTorch 1.13 side of bench/jvp.mjs: the same conv denoiser (../shared/baselines/models.py), timing
forward, forward + JVP (torch.autograd.forward_ad), backward and create_graph backward.
Run: OMP_NUM_THREADS=N /usr/bin/python3 bench/jvp_torch.py [batch] [threads]"""
import json, os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'baselines'))
import torch
import torch.autograd.forward_ad as fwAD
from models import ConvDenoiser

B = int(sys.argv[1]) if len(sys.argv) > 1 else 32
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
torch.set_num_threads(threads)
torch.manual_seed(0)
net = ConvDenoiser()
x, t = torch.randn(B, 1, 28, 28), torch.rand(B)
tx, tt = torch.randn(B, 1, 28, 28), torch.ones(B)
reps = int(os.environ.get('REPS', 7))

def median(fn):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append((time.perf_counter() - t0) * 1e3)
    ts.sort(); return ts[len(ts) // 2]

def fwd():
    with torch.no_grad(): net(x, t)
def jvp():
    with torch.no_grad(), fwAD.dual_level():
        out = net(fwAD.make_dual(x, tx), fwAD.make_dual(t, tt))
        fwAD.unpack_dual(out).tangent
def fwd_grad():
    net(x, t).square().mean()
def bwd():
    net(x, t).square().mean().backward(); net.zero_grad(set_to_none=True)
xr = x.clone().requires_grad_()
params = list(net.parameters())
def cg():
    y = net(xr, t).square().mean()
    torch.autograd.grad(y, [xr] + params, create_graph=True)

f, j, fg, b, c = median(fwd), median(jvp), median(fwd_grad), median(bwd), median(cg)
print(json.dumps({'engine': 'pytorch ' + torch.__version__, 'threads': threads, 'batch': B, 'forward_ms': f,
                  'forward_jvp_ms': j, 'jvp_ratio': j / f, 'backward_ms': b - fg,
                  'create_graph_backward_ms': c - fg, 'create_graph_ratio': (c - fg) / (b - fg)}, indent=1))
