#!/usr/bin/python3
# Issue 26's "PyTorch's quantized model on the same CPU" comparison, part 2 of 2: a run's trained EDM U-Net
# (lib/nn/models/unet.ts, inside lib/models/edm's EDMNet) rebuilt in PyTorch op for op from the state that
# bench/quant_torch_dump.mjs wrote, checked against tensorfield's float32 outputs on the dumped inputs (relative L2
# error < 1e-5 at every level, else exit 1: the oracle that the mirror is the same network), then quantized with
# PyTorch's own static post-training quantization (FX graph mode, prepare_fx / convert_fx, onednn engine, with
# get_default_qconfig_mapping('onednn'): per-channel symmetric int8 weights (PerChannelMinMaxObserver) and
# per-tensor affine uint8 activations (HistogramObserver, full range), calibrated on the dumped evaluation inputs
# plus the dumped calibration batches (training images at log-uniform levels over the sampler's range). Falls back
# to the qnnpack engine (and says so) if onednn fails.
# Measures, in one process on this CPU: median ms of one forward (no grad) at batch B for PyTorch float32 and
# PyTorch int8 (warm-up, then rounds alternating the two), images/s, each output's relative L2 error against
# tensorfield float32 and the int8 output's against PyTorch float32, and which modules / ops FX quantized;
# tensorfield's own float32 time (measured by the dump script, in its own process) is shown for reference.
# Prints a table and writes <out dir>/torch.json.
# Run:
#   npm run build:ts
#   TENSORFIELD_ADDON=cpu TENSORFIELD_NUM_THREADS=1 node bench/quant_torch_dump.mjs <run dir> <out dir> [batch=64]
#   /usr/bin/python3 bench/quant_torch.py <out dir> [threads=1] [batch=64] [rounds=15]
# (Debian's PyTorch 1.13 and numpy; no other packages. The batch must not exceed the dumped batch.)
import json
import math
import os
import platform
import struct
import sys
import time

if len(sys.argv) < 2:
    print('usage: /usr/bin/python3 bench/quant_torch.py <out dir> [threads=1] [batch=64] [rounds=15]', file=sys.stderr)
    sys.exit(2)
OUT = sys.argv[1]
T = int(sys.argv[2]) if len(sys.argv) > 2 else 1
B = int(sys.argv[3]) if len(sys.argv) > 3 else 64
R = int(sys.argv[4]) if len(sys.argv) > 4 else 15
# thread pools are sized when the libraries load: set them before importing torch (OpenBLAS is Debian's pthread build)
for k in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[k] = str(T)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(T)
torch.set_num_interop_threads(1)
torch.manual_seed(0)


# ---- safetensors (the format lib/io/safetensors.ts writes) -------------------------------------------------------
ST_DTYPES = {'F32': np.float32, 'F64': np.float64, 'I32': np.int32, 'I8': np.int8, 'U8': np.uint8}


def load_safetensors(file):
    with open(file, 'rb') as f:
        buf = f.read()
    (n,) = struct.unpack('<Q', buf[:8])
    header = json.loads(buf[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        a, b = e['data_offsets']
        arr = np.frombuffer(buf, dtype=np.dtype(ST_DTYPES[e['dtype']]).newbyteorder('<'), count=(b - a) // np.dtype(ST_DTYPES[e['dtype']]).itemsize, offset=base + a)
        out[name] = torch.from_numpy(arr.astype(arr.dtype.newbyteorder('='), copy=True).reshape(e['shape']))
    return out, meta


# ---- the mirror of lib/nn/models/unet.ts (module names as tensorfield's state dict names them) ---------------------
# Shapes are static (spatial sizes fixed at construction from imageSize) so that FX traces the network without
# shape arithmetic; nothing reads a tensor's shape at run time.

class SinusoidalEmbedding(nn.Module):
    """lib/nn/layers.ts SinusoidalEmbedding + functional.ts sinusoidalEmbedding: [cos(s t f), sin(s t f)],
    f_i = maxPeriod^(-i / half) computed in float64 and rounded to float32, zero column if dim is odd."""

    def __init__(self, dim, max_period, scale):
        super().__init__()
        self.dim, self.scale = dim, float(scale)
        half = dim // 2
        fd = np.exp(-math.log(max_period) * np.arange(half, dtype=np.float64) / half).astype(np.float32)
        self.register_buffer('freqs', torch.from_numpy(fd), persistent=False)

    def forward(self, t):
        a = (t * self.scale)[:, None] * self.freqs
        e = torch.cat([torch.cos(a), torch.sin(a)], 1)
        if self.dim % 2:
            e = torch.cat([e, torch.zeros_like(e[:, :1])], 1)
        return e


def rms_norm(x, eps):  # functional.ts rmsNorm over the last dim, no weight
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb_dim, groups, adaptive, double_norm):
        super().__init__()
        self.cout, self.adaptive, self.double_norm = cout, adaptive, double_norm
        self.n1 = nn.GroupNorm(min(groups, cin), cin, eps=1e-5)
        self.act1 = nn.SiLU()
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * cout if adaptive else cout)
        self.n2 = nn.GroupNorm(min(groups, cout), cout, eps=1e-5)
        self.act2 = nn.SiLU()
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)  # dropout: identity in eval
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.c1(self.act1(self.n1(x)))  # n1.forwardSilu
        e = self.emb(emb)
        if self.adaptive:
            scale, shift = e[:, :self.cout], e[:, self.cout:]
            if self.double_norm:
                scale, shift = rms_norm(scale, 1e-8), rms_norm(shift, 1e-8)
            else:
                scale = scale + 1
            h = self.act2(self.n2(h) * scale[:, :, None, None] + shift[:, :, None, None])
        else:
            h = self.act2(self.n2(h + e[:, :, None, None]))
        h = self.c2(h)
        return (self.skip(x) if self.skip is not None else x) + h


class MultiheadAttention(nn.Module):
    """layers.ts MultiheadAttention (self-attention, separate q/k/v/out Linears), over [N, L, E]."""

    def __init__(self, dim, heads, length):
        super().__init__()
        self.dim, self.heads, self.length = dim, heads, length
        self.q, self.k, self.v, self.out = (nn.Linear(dim, dim) for _ in range(4))
        self.scale = 1 / math.sqrt(dim // heads)

    def forward(self, x):
        L, h, d = self.length, self.heads, self.dim // self.heads
        split = lambda t: t.reshape(-1, L, h, d).transpose(1, 2)  # noqa: E731  [N, h, L, d]
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        a = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * self.scale, -1)
        a = torch.matmul(a, v)
        return self.out(a.transpose(1, 2).reshape(-1, L, self.dim))


class AttentionBlock2d(nn.Module):
    """layers.ts AttentionBlock2d: GroupNorm, pixels as tokens, self-attention, residual (res: the static side)."""

    def __init__(self, channels, heads, groups, res):
        super().__init__()
        self.channels, self.res = channels, res
        self.norm = nn.GroupNorm(min(groups, channels), channels, eps=1e-5)
        self.attn = MultiheadAttention(channels, heads, res * res)

    def forward(self, x):
        C, S = self.channels, self.res
        tok = self.norm(x).reshape(-1, C, S * S).transpose(1, 2)
        return x + self.attn(tok).transpose(1, 2).reshape(-1, C, S, S)


class Level(nn.Module):  # holds a level's 'res{i}', 'attn{i}', 'pool' / 'upconv' under tensorfield's names
    pass


class UNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C = cfg.get('baseChannels', 64)
        mult = cfg.get('channelMult', [1, 2, 2])
        nb = cfg.get('numResBlocks', 2)
        g = cfg.get('groups', 8)
        heads = cfg.get('heads', 1)
        attn_res = cfg.get('attnResolutions', [])
        dn = cfg.get('doubleNorm', False)
        ad = dn or cfg.get('adaptiveScale', True)
        E = 4 * C
        self.mult, self.nb = mult, nb
        self.embed = SinusoidalEmbedding(C, cfg.get('maxPeriod', 10000), cfg.get('noiseScale', 1))
        self.t1 = nn.Linear(C, E)
        self.act_t = nn.SiLU()
        self.t2 = nn.Linear(E, E)
        self.act_e = nn.SiLU()
        # a class-conditional net has a label Linear; EDMNet passes no labels, so it is loaded and never used
        self.label = nn.Linear(cfg['numClasses'], E, bias=False) if cfg.get('numClasses') else None
        self.inc = nn.Conv2d(cfg['inChannels'], C, 3, padding=1)
        skip_ch = [C]
        ch, res = C, cfg['imageSize']
        self.down_levels, self.up_levels = [], []
        for level, m in enumerate(mult):
            lv, has_attn = Level(), []
            for i in range(nb):
                setattr(lv, f'res{i}', ResBlock(ch, C * m, E, g, ad, dn))
                ch = C * m
                has_attn.append(res in attn_res)
                if res in attn_res:
                    setattr(lv, f'attn{i}', AttentionBlock2d(ch, heads, g, res))
                skip_ch.append(ch)
            last = level == len(mult) - 1
            if not last:
                lv.pool = nn.Conv2d(ch, ch, 3, stride=2, padding=1)
                skip_ch.append(ch)
                res //= 2
            setattr(self, f'down{level}', lv)
            self.down_levels.append((f'down{level}', has_attn, not last))
        self.mid1 = ResBlock(ch, ch, E, g, ad, dn)
        self.midAttn = AttentionBlock2d(ch, heads, g, res)
        self.mid2 = ResBlock(ch, ch, E, g, ad, dn)
        for level in reversed(range(len(mult))):
            m = mult[level]
            lv, has_attn = Level(), []
            for i in range(nb + 1):
                setattr(lv, f'res{i}', ResBlock(ch + skip_ch.pop(), C * m, E, g, ad, dn))
                ch = C * m
                has_attn.append(res in attn_res)
                if res in attn_res:
                    setattr(lv, f'attn{i}', AttentionBlock2d(ch, heads, g, res))
            if level > 0:
                lv.upconv = nn.Conv2d(ch, ch, 3, padding=1)
                res *= 2
            setattr(self, f'up{level}', lv)
            self.up_levels.append((f'up{level}', has_attn, level > 0))
        self.outNorm = nn.GroupNorm(min(g, ch), ch, eps=1e-5)
        self.act_out = nn.SiLU()
        self.outc = nn.Conv2d(ch, cfg.get('outChannels', cfg['inChannels']), 3, padding=1)

    def forward(self, x, t):
        emb = self.act_e(self.t2(self.act_t(self.t1(self.embed(t)))))
        h = self.inc(x)
        skips = [h]
        for name, has_attn, pool in self.down_levels:
            lv = getattr(self, name)
            for i in range(self.nb):
                h = getattr(lv, f'res{i}')(h, emb)
                if has_attn[i]:
                    h = getattr(lv, f'attn{i}')(h)
                skips.append(h)
            if pool:
                h = lv.pool(h)
                skips.append(h)
        h = self.mid2(self.midAttn(self.mid1(h, emb)), emb)
        for name, has_attn, up in self.up_levels:
            lv = getattr(self, name)
            for i in range(self.nb + 1):
                h = getattr(lv, f'res{i}')(torch.cat([h, skips.pop()], 1), emb)
                if has_attn[i]:
                    h = getattr(lv, f'attn{i}')(h)
            if up:
                h = lv.upconv(F.interpolate(h, scale_factor=2, mode='nearest'))  # = upsampleNearest(h, 2)
        return self.outc(self.act_out(self.outNorm(h)))


class EDMNet(nn.Module):  # lib/models/edm/method.ts: F(c_in x, c_noise) = unet(x, c_noise)
    def __init__(self, cfg):
        super().__init__()
        self.unet = UNet(cfg)

    def forward(self, x, c_noise):
        return self.unet(x, c_noise)


# ---- helpers -----------------------------------------------------------------------------------------------------
def rel(a, ref):
    a, ref = a.double(), ref.double()
    return float(torch.linalg.norm((a - ref).flatten()) / torch.linalg.norm(ref.flatten()))


def fmt_errs(errs):
    return ' / '.join(f'{e:.1e}' for e in errs)


def main():
    weights, wmeta = load_safetensors(os.path.join(OUT, 'weights.safetensors'))
    inputs, imeta = load_safetensors(os.path.join(OUT, 'inputs.safetensors'))
    with open(os.path.join(OUT, 'tf.json')) as f:
        tfrec = json.load(f)
    cfg = json.loads(wmeta['unet_config'])
    levels = json.loads(imeta['levels'])
    dumped_b = inputs['eval_x0'].shape[0]
    if B > dumped_b:
        print(f'batch {B} exceeds the dumped batch {dumped_b}: rerun quant_torch_dump.mjs with a larger batch', file=sys.stderr)
        sys.exit(2)
    evals = [(inputs[f'eval_x{i}'][:B].contiguous(), inputs[f'eval_c{i}'][:B].contiguous(), inputs[f'eval_y{i}'][:B].contiguous())
             for i in range(len(levels))]
    calib = [(inputs[f'calib_x{j}'], inputs[f'calib_c{j}']) for j in range(len([k for k in inputs if k.startswith('calib_x')]))]

    net = EDMNet(cfg).eval()
    own = net.state_dict()
    missing = sorted(set(own) - set(weights))
    unexpected = sorted(set(weights) - set(own))
    badshape = [k for k in own if k in weights and tuple(own[k].shape) != tuple(weights[k].shape)]
    if missing or unexpected or badshape:
        print(f'state mismatch: missing {missing}, unexpected {unexpected}, shapes {badshape}', file=sys.stderr)
        sys.exit(1)
    net.load_state_dict(weights, strict=True)
    nparams = sum(p.numel() for p in net.parameters())
    print(f'{OUT}: run {wmeta.get("run")} step {wmeta.get("step")}, U-Net {json.dumps(cfg)}, {nparams} parameters ({len(weights)} tensors loaded, strict)')
    print(f'torch {torch.__version__}, numpy {np.__version__}, python {platform.python_version()}, {T} thread(s) '
          f'(interop 1), quantized engines {torch.backends.quantized.supported_engines}, input [{B}, {", ".join(map(str, evals[0][0].shape[1:]))}]')

    # 1. the oracle: PyTorch float32 against tensorfield float32 on the dumped inputs
    with torch.no_grad():
        f32_out = [net(x, c) for x, c, _ in evals]
    mirror_errs = [rel(y, ref) for y, (_, _, ref) in zip(f32_out, evals)]
    print(f'mirror check, PyTorch float32 vs tensorfield float32, rel L2 at sigma {" / ".join(map(str, levels))}: {fmt_errs(mirror_errs)}')
    if not all(e < 1e-5 for e in mirror_errs):
        print('MISMATCH: the PyTorch mirror does not reproduce tensorfield\'s outputs (rel L2 >= 1e-5)', file=sys.stderr)
        sys.exit(1)

    # 2. static post-training quantization, FX graph mode
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import prepare_fx, convert_fx
    import copy
    calib_set = [(x, c) for x, c, _ in evals] + calib
    q, engine, failures = None, None, []
    for eng in ('onednn', 'qnnpack'):
        if eng not in torch.backends.quantized.supported_engines:
            continue
        try:
            torch.backends.quantized.engine = eng
            qmap = get_default_qconfig_mapping(eng)
            t0 = time.perf_counter()
            prepared = prepare_fx(copy.deepcopy(net).eval(), qmap, example_inputs=(evals[0][0], evals[0][1]))
            with torch.no_grad():
                for x, c in calib_set:
                    prepared(x, c)
            qm = convert_fx(prepared)
            with torch.no_grad():
                qm(evals[0][0], evals[0][1])  # the engine runs it
            q, engine, qseconds = qm, eng, time.perf_counter() - t0
            break
        except Exception as e:  # noqa: BLE001
            failures.append(f'{eng}: {type(e).__name__}: {e}')
            print(f'engine {eng} failed: {type(e).__name__}: {e}', file=sys.stderr)
    if q is None:
        print('quantization failed on every engine', file=sys.stderr)
        sys.exit(1)
    qc = get_default_qconfig_mapping(engine).global_qconfig
    qconfig_desc = f'get_default_qconfig_mapping({engine!r}): activation {qc.activation.p.func.__name__}{qc.activation.p.keywords}, weight {qc.weight.p.func.__name__}{qc.weight.p.keywords}'
    print(f'quantized with engine {engine} ({qconfig_desc}); calibration on {len(calib_set)} batches, {qseconds:.1f} s')

    # what FX quantized: module types of the converted graph, per original module, and the graph's functional ops
    orig_mods = {n: type(m) for n, m in net.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear, nn.GroupNorm, nn.SiLU))}
    qmods = dict(q.named_modules())
    per_type = {}
    for n, t in orig_mods.items():
        nt = qmods.get(n)
        key = f'{t.__name__} -> {type(nt).__module__.replace("torch.ao.nn.", "").replace("torch.nn.", "")}.{type(nt).__name__}' if nt is not None else f'{t.__name__} -> (gone: folded into the graph)'
        per_type.setdefault(key, []).append(n)
    ops = {}
    for node in q.graph.nodes:
        if node.op == 'call_function':
            tgt = node.target
            if isinstance(tgt, (torch._ops.OpOverloadPacket, torch._ops.OpOverload)):
                name = str(tgt)  # 'quantized.add', ...
            else:
                mod = getattr(tgt, '__module__', None) or ''
                short = {'torch.nn.functional': 'F', '_operator': 'operator'}.get(mod, 'torch')
                name = f'{short}.{getattr(tgt, "__name__", str(tgt))}'
        elif node.op == 'call_method':
            name = f'Tensor.{node.target}'
        else:
            continue
        ops[name] = ops.get(name, 0) + 1
    print('modules after convert_fx (original type -> converted type: count):')
    for k, names in sorted(per_type.items()):
        print(f'  {k}: {len(names)}')
    print('functions and methods in the converted graph: ' + ', '.join(f'{k} {v}' for k, v in sorted(ops.items(), key=lambda kv: -kv[1])))

    # 3. accuracy of int8
    with torch.no_grad():
        q_out = [q(x, c) for x, c, _ in evals]
    q_vs_tf = [rel(y, ref) for y, (_, _, ref) in zip(q_out, evals)]
    q_vs_f32 = [rel(y, f) for y, f in zip(q_out, f32_out)]

    # 4. timing: one forward at batch B (the sigma = 1 input), warm-up, then rounds alternating the two models
    xt, ct = evals[min(1, len(evals) - 1)][0], evals[min(1, len(evals) - 1)][1]
    models = [('float32', net), (f'int8 (FX, {engine})', q)]
    times = {name: [] for name, _ in models}
    with torch.no_grad():
        for _, m in models:
            for _ in range(3):
                m(xt, ct)
        for _ in range(R):
            for name, m in models:
                s = time.perf_counter()
                m(xt, ct)
                times[name].append((time.perf_counter() - s) * 1e3)
    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    base = med['float32']

    # where the time goes: one profiled forward of each model, ops by self CPU time (the profiler adds overhead;
    # the shares, not the totals, are the point)
    profile = {}
    for name, m in models:
        with torch.no_grad(), torch.autograd.profiler.profile() as prof:
            m(xt, ct)
        ev = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
        total = sum(e.self_cpu_time_total for e in ev) or 1
        profile[name] = [{'op': e.key, 'calls': e.count, 'self ms': e.self_cpu_time_total / 1e3, 'share': e.self_cpu_time_total / total}
                         for e in ev[:10]]
        print(f'profile, torch {name} (one forward, self CPU time): ' +
              ', '.join(f'{p["op"]} x{p["calls"]} {100 * p["share"]:.0f}%' for p in profile[name][:8]))

    tf_ms = tfrec['float32MedianMs']
    same_b = tfrec['batch'] == B
    # the dump measured tensorfield at its own thread count: say so when it is not this run's (else the ratio
    # column would compare, say, tensorfield on one thread with PyTorch on two)
    same_t = tfrec['threads'] == T
    rows = [
        {'engine': 'tensorfield', 'model': 'float32' + ('' if same_b else f' (batch {tfrec["batch"]})') + ('' if same_t else f' ({tfrec["threads"]} thread(s))'), 'median ms': tf_ms,
         'images/s': tfrec['batch'] / tf_ms * 1e3, 'speed vs torch float32': base / tf_ms * (tfrec['batch'] / B),
         'rel err vs tf float32': [0.0] * len(levels), 'rel err vs torch float32': None,
         'note': f'measured by quant_torch_dump.mjs in its own process, {tfrec["threads"]} thread(s), {tfrec["rounds"]} rounds'},
        {'engine': 'pytorch', 'model': 'float32', 'median ms': base, 'images/s': B / base * 1e3, 'speed vs torch float32': 1.0,
         'rel err vs tf float32': mirror_errs, 'rel err vs torch float32': [0.0] * len(levels), 'note': ''},
        {'engine': 'pytorch', 'model': f'int8 (FX, {engine})', 'median ms': med[models[1][0]], 'images/s': B / med[models[1][0]] * 1e3,
         'speed vs torch float32': base / med[models[1][0]], 'rel err vs tf float32': q_vs_tf, 'rel err vs torch float32': q_vs_f32, 'note': ''},
    ]
    head = ['engine', 'model', 'median ms', 'images/s', 'speed vs torch f32', f'rel err vs tf f32 (sigma {" / ".join(map(str, levels))})', 'rel err vs torch f32']
    table = [head] + [[r['engine'], r['model'], f'{r["median ms"]:.1f}', f'{r["images/s"]:.0f}', f'{r["speed vs torch float32"]:.2f}',
                       fmt_errs(r['rel err vs tf float32']), '-' if r['rel err vs torch float32'] is None else fmt_errs(r['rel err vs torch float32'])]
                      for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    print(f'\nbatch {B}, {T} thread(s), median of {R} rounds after 3 warm-up calls ({platform.processor() or platform.machine()}; cpu {tfrec.get("cpu")})')
    for j, row in enumerate(table):
        print(' | '.join(c.ljust(w) for c, w in zip(row, widths)))
        if j == 0:
            print('-+-'.join('-' * w for w in widths))
    print(f'int8 / float32 time ratio (PyTorch): {med[models[1][0]] / base:.2f}; tensorfield float32 / PyTorch float32: {tf_ms / base:.2f}'
          + ('' if same_b else ' (different batches)') + ('' if same_t else f' (tensorfield at {tfrec["threads"]} thread(s), PyTorch at {T})'))

    rec = {
        'out': os.path.abspath(OUT), 'run': wmeta.get('run'), 'step': wmeta.get('step'), 'unetConfig': cfg, 'parameters': nparams,
        'batch': B, 'threads': T, 'interopThreads': 1, 'rounds': R, 'levels': levels,
        'torch': torch.__version__, 'numpy': np.__version__, 'python': platform.python_version(), 'cpu': tfrec.get('cpu'),
        'engine': engine, 'engineFailures': failures, 'qconfig': qconfig_desc, 'calibrationBatches': len(calib_set),
        'mirrorRelErr': mirror_errs, 'int8RelErrVsTfFloat32': q_vs_tf, 'int8RelErrVsTorchFloat32': q_vs_f32,
        'medianMs': {'tensorfield float32': tf_ms, 'torch float32': base, 'torch int8': med[models[1][0]]},
        'int8OverFloat32': med[models[1][0]] / base, 'timesMs': times, 'tensorfield': tfrec,
        'convertedModules': {k: names for k, names in sorted(per_type.items())}, 'convertedGraphOps': ops, 'profile': profile, 'rows': rows,
    }
    with open(os.path.join(OUT, 'torch.json'), 'w') as f:
        json.dump(rec, f, indent=1)
    print(f'wrote {os.path.join(OUT, "torch.json")}')


if __name__ == '__main__':
    main()
