#!/usr/bin/env python3
"""Writes the PyTorch fixture for test/torch-convdenoiser.test.ts: the baselines' ConvDenoiser
(../shared/baselines/models.py) built with a fixed seed at a small size, its state_dict as safetensors, an
input batch, and PyTorch's outputs for it in float32 and float64.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 scripts/make_torch_fixture.py \
        [--baselines DIR] [--out test/fixtures/torch-convdenoiser]

Files written:
  model.safetensors  the state_dict, PyTorch's names ("tmlp.0.weight", "d1.n1.weight", ...), F32
  io.safetensors     x [N,1,H,W] F32, c_noise [N] F32, y32 (the float32 model's output) F32,
                     y64 (the same weights and inputs run in float64) F64; the sizes in __metadata__

Only torch is needed: when the `safetensors` package is missing the files are written by hand in its format
(an 8-byte little-endian header length, the JSON header padded with spaces to 8 bytes, the raw little-endian
tensor bytes back to back).
"""
import argparse, importlib.util, json, os, struct, sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
# the model is small enough that the committed fixture stays under 100 KB, yet every layer kind and both
# resolutions are there (8 -> 4 -> 8 pixels), and u1 has its 1x1 skip conv
SIZES = dict(c1=8, c2=16, temb=16, tdim=32)
N, SIDE, SEED = 3, 8, 0

ST_DTYPE = {torch.float32: "F32", torch.float64: "F64", torch.int32: "I32", torch.int8: "I8", torch.uint8: "U8"}


def write_safetensors(path, tensors, metadata):
    """The safetensors layout with struct/json only; tensors in state_dict order (any order is valid)."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data section starts 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def save(path, tensors, metadata):
    if importlib.util.find_spec("safetensors") is not None:
        from safetensors.torch import save_file
        save_file({k: v.detach().contiguous() for k, v in tensors.items()}, path, metadata=metadata)
    else:
        write_safetensors(path, tensors, metadata)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baselines", default=os.path.join(HERE, "..", "..", "shared", "baselines"),
                    help="folder holding the baselines' models.py")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "test", "fixtures", "torch-convdenoiser"))
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.baselines, "models.py")):
        sys.exit(f"make_torch_fixture: no models.py in {args.baselines} (pass --baselines DIR)")
    sys.path.insert(0, os.path.abspath(args.baselines))
    import models

    torch.manual_seed(SEED)
    net = models.ConvDenoiser(**SIZES).eval()
    with torch.no_grad():
        # GroupNorm starts at weight 1, bias 0: move them off it, or a loader that skipped them would still pass
        for name, p in net.named_parameters():
            if ".n1." in name or ".n2." in name or name.startswith("onorm."):
                p.add_(0.3 * torch.randn_like(p))
    x = torch.randn(N, 1, SIDE, SIDE)
    c_noise = torch.linspace(-1.2, 1.0, N)  # log(sigma) / 4 for sigma from 0.008 to 55, EDM's range
    with torch.no_grad():
        y32 = net(x, c_noise)
        # models.sinusoidal computes in float32 whatever its input; for the float64 reference it runs in float64
        sin32 = models.sinusoidal
        models.sinusoidal = lambda t, dim, max_period=10000.0: _sinusoidal64(t, dim, max_period)
        try:
            y64 = net.double()(x.double(), c_noise.double())
        finally:
            models.sinusoidal = sin32
            net.float()

    os.makedirs(args.out, exist_ok=True)
    meta = {"format": "pt", "torch": torch.__version__, "seed": str(SEED), **{k: str(v) for k, v in SIZES.items()}}
    save(os.path.join(args.out, "model.safetensors"), net.state_dict(), meta)
    save(os.path.join(args.out, "io.safetensors"), {"x": x, "c_noise": c_noise, "y32": y32, "y64": y64}, meta)
    print(f"make_torch_fixture: {sum(p.numel() for p in net.parameters())} parameters, "
          f"max|y32 - y64| = {(y32.double() - y64).abs().max().item():.3e}, written to {args.out}")


def _sinusoidal64(t, dim, max_period):
    import math
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float64) / half)
    a = t.double()[:, None] * freqs[None]
    return torch.cat([torch.cos(a), torch.sin(a)], dim=1)


if __name__ == "__main__":
    main()
