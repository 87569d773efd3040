#!/usr/bin/env python3
"""Compares the f32/f64 tensors of two safetensors checkpoints: each must
agree within a relative tolerance, per tensor max |a - b| over max |b|
(--metric max, the default) or ||a - b|| over ||b|| in the L2 norm
(--metric norm). usage: compare_checkpoints.py A B [--rtol X] [--metric
max|norm]; exit 1 and the worst tensor when they do not."""
import argparse
import json
import math
import struct
import sys


def tensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        code = {"F32": "f", "F64": "d"}.get(e["dtype"])
        if code is None:
            continue
        begin, end = e["data_offsets"]
        out[name] = struct.unpack(f"<{(end - begin) // struct.calcsize(code)}{code}", body[begin:end])
    return out


ap = argparse.ArgumentParser()
ap.add_argument("a")
ap.add_argument("b")
ap.add_argument("--rtol", type=float, default=1e-5)
ap.add_argument("--metric", choices=["max", "norm"], default="max")
args = ap.parse_args()
a, b = tensors(args.a), tensors(args.b)
if a.keys() != b.keys():
    sys.exit(f"different tensors: {sorted(a)} vs {sorted(b)}")


def difference(x, y):
    if args.metric == "max":
        return max(abs(p - q) for p, q in zip(x, y)) / max(max(abs(q) for q in y), 1e-30)
    return math.sqrt(sum((p - q) ** 2 for p, q in zip(x, y))) / max(math.sqrt(sum(q * q for q in y)), 1e-30)


worst = max((difference(a[k], b[k]), k) for k in a)
if worst[0] > args.rtol:
    sys.exit(f"tensor {worst[1]} differs by {worst[0]:.3g} relative (tolerance {args.rtol:g})")
print(f"{len(a)} tensors agree within {args.rtol:g}" + (" in norm" if args.metric == "norm" else ""))
