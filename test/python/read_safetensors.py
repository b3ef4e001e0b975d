#!/usr/bin/env python3
"""Reads a safetensors file written by tensorfield into torch tensors and compares them with expected values.

    python3 read_safetensors.py FILE EXPECTED.json [FILE EXPECTED.json ...]

EXPECTED.json: {"metadata": {str: str}, "tensors": {name: {"dtype": "F32", "shape": [...], "values": [...]}}} with
values flattened in row-major order; floats are JSON numbers (float64 holds every float32 exactly) or the strings
"nan", "inf", "-inf", "-0". The file is parsed by hand (struct + json; needs only torch) and its layout checked;
when the safetensors package is installed, safetensors.torch.load_file must give the same tensors. A file whose
metadata holds tensorfield.data_sha256 must have a data section (the bytes after the header) with that SHA-256. Prints an OK
line per file that matches; prints each mismatch to stderr and exits 1 if any file does not (2 on usage errors).
"""
import hashlib
import json
import struct
import sys

import torch

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
SPECIAL = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf"), "-0": -0.0}


def parse(path):
    """Returns ({name: tensor} in file order, metadata, problems with the layout)."""
    with open(path, "rb") as f:
        buf = f.read()
    problems = []
    if len(buf) < 8:
        raise ValueError("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", buf[:8])
    if 8 + n > len(buf):
        raise ValueError("header length %d past the end of the %d-byte file" % (n, len(buf)))
    if n % 8 != 0:
        problems.append("header length %d is not a multiple of 8" % n)
    text = buf[8:8 + n].decode("utf-8")
    if text.rstrip(" ") != text.strip():
        problems.append("header padding is not trailing spaces")
    header = json.loads(text)
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    entries = sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"]))
    tensors = {}
    cursor = 0
    for name, info in entries:
        begin, end = info["data_offsets"]
        if begin != cursor:
            problems.append("tensor %r starts at %d, expected %d" % (name, begin, cursor))
        cursor = end
        dtype = DTYPES[info["dtype"]]
        shape = info["shape"]
        itemsize = torch.empty((), dtype=dtype).element_size()
        numel = 1
        for d in shape:
            numel *= d
        if end - begin != numel * itemsize:
            problems.append("tensor %r: %d bytes for shape %s" % (name, end - begin, shape))
        if (base + begin) % itemsize != 0:
            problems.append("tensor %r is not aligned to its element size in the file" % name)
        raw = bytearray(buf[base + begin:base + end])
        if numel == 0:
            t = torch.empty(shape, dtype=dtype)
        else:
            t = torch.frombuffer(raw, dtype=dtype)
            if sys.byteorder == "big" and itemsize > 1:
                t = t.view(torch.uint8).view(-1, itemsize).flip(1).contiguous().view(dtype)
            t = t.reshape(shape)
        tensors[name] = t
    if base + cursor != len(buf):
        problems.append("tensors end at %d, the file at %d" % (base + cursor, len(buf)))
    digest = metadata.get("tensorfield.data_sha256")
    if digest is not None and hashlib.sha256(buf[base:]).hexdigest() != digest:
        problems.append("the data section does not match tensorfield.data_sha256")
    return tensors, metadata, problems


def raw_bytes(t):
    return t.contiguous().reshape(-1).view(torch.uint8)


def expected_tensor(spec):
    dtype = DTYPES[spec["dtype"]]
    values = [SPECIAL[v] if isinstance(v, str) else v for v in spec["values"]]
    if dtype.is_floating_point:
        return torch.tensor(values, dtype=torch.float64).reshape(spec["shape"])
    return torch.tensor(values, dtype=torch.int64).reshape(spec["shape"])


def compare(name, got, spec):
    """Exact comparison: dtype, shape, every value (NaN positions and the sign of zero included)."""
    want_dtype = DTYPES[spec["dtype"]]
    if got.dtype != want_dtype:
        return ["%s: dtype %s, expected %s" % (name, got.dtype, want_dtype)]
    if list(got.shape) != list(spec["shape"]):
        return ["%s: shape %s, expected %s" % (name, list(got.shape), spec["shape"])]
    want = expected_tensor(spec)
    if got.dtype.is_floating_point:
        g = got.to(torch.float64)  # exact for float32
        same = (g == want) | (torch.isnan(g) & torch.isnan(want))
        same &= (torch.signbit(g) == torch.signbit(want)) | torch.isnan(want)
    else:
        same = got.to(torch.int64) == want
    if not bool(same.all()):
        idx = (~same).flatten().nonzero().flatten()[:5].tolist()
        return ["%s: element %d is %r, expected %r" % (name, i, got.flatten()[i].item(), want.flatten()[i].item()) for i in idx]
    return []


def check(path, expected_path):
    """Problems found in one file (an empty list when it matches) and a summary line."""
    with open(expected_path) as f:
        expected = json.load(f)
    tensors, metadata, problems = parse(path)
    if metadata != expected.get("metadata", {}):
        problems.append("metadata %r, expected %r" % (metadata, expected.get("metadata", {})))
    want = expected["tensors"]
    if sorted(tensors) != sorted(want):
        problems.append("tensor names %s, expected %s" % (sorted(tensors), sorted(want)))
    for name, spec in want.items():
        if name in tensors:
            problems += compare(name, tensors[name], spec)
    checked_with = "by hand"
    try:
        from safetensors.torch import load_file  # optional: the reference reader must agree
    except ImportError:
        load_file = None
    if load_file is not None:
        checked_with += " and with safetensors"
        ref = load_file(path)
        for name, t in tensors.items():
            r = ref.get(name)
            if r is None or r.dtype != t.dtype or r.shape != t.shape or not torch.equal(raw_bytes(r), raw_bytes(t)):
                problems.append("%s: safetensors.torch.load_file disagrees with the hand parser" % name)
    return problems, "%d tensors, %d metadata keys (read %s, torch %s)" % (
        len(tensors), len(metadata), checked_with, torch.__version__)


def main(argv):
    """Any number of FILE EXPECTED pairs; exit status 1 when any of them mismatches."""
    if len(argv) < 3 or len(argv) % 2 != 1:
        print(__doc__, file=sys.stderr)
        return 2
    status = 0
    for path, expected_path in zip(argv[1::2], argv[2::2]):
        try:
            problems, summary = check(path, expected_path)
        except (ValueError, KeyError, TypeError) as e:  # unreadable file: a mismatch, not a crash
            problems, summary = ["cannot parse: %r" % (e,)], ""
        if problems:
            status = 1
            for p in problems:
                print("MISMATCH %s: %s" % (path, p), file=sys.stderr)
        else:
            print("OK %s: %s" % (path, summary))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
