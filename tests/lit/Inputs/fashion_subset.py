#!/usr/bin/env python3
"""Writes the first N Fashion-MNIST training images and labels as raw IDX
files DIR/images and DIR/labels (an `idx:` dataset small enough for tests).
usage: fashion_subset.py DIR N"""
import gzip
import struct
import sys

out, n = sys.argv[1], int(sys.argv[2])
root = "/usr/share/datasets/fashion-mnist"
with gzip.open(f"{root}/train-images-idx3-ubyte.gz") as f:
    magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
    images = f.read(n * rows * cols)
with gzip.open(f"{root}/train-labels-idx1-ubyte.gz") as f:
    f.read(8)
    labels = f.read(n)
with open(f"{out}/images", "wb") as f:
    f.write(struct.pack(">IIII", magic, n, rows, cols) + images)
with open(f"{out}/labels", "wb") as f:
    f.write(struct.pack(">II", 0x801, n) + labels)
