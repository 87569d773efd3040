#!/usr/bin/env python3
"""Trains the Fashion-MNIST MLP (examples/fashion_mlp.nn) from NumPy arrays
with the nncc Python module, prints the test accuracy per epoch and the
time per train step.

    PYTHONPATH=python python3 examples/host_python/train_fashion_mlp.py [--epochs 2] [--batch 128] [--threads 1]"""
import argparse
import gzip
import os
import struct
import time

import numpy as np

import nncc

ROOT = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist


def idx(name):
    with gzip.open(os.path.join(ROOT, name)) as f:
        magic, count = struct.unpack(">II", f.read(8))
        dims = struct.unpack(f">{(magic & 0xFF) - 1}I", f.read(4 * ((magic & 0xFF) - 1)))
        return np.frombuffer(f.read(), np.uint8).reshape(count, *dims)


ap = argparse.ArgumentParser()
ap.add_argument("--epochs", type=int, default=2)
ap.add_argument("--batch", type=int, default=128)
ap.add_argument("--threads", type=int, default=1)
a = ap.parse_args()
x_train = idx("train-images-idx3-ubyte.gz").reshape(-1, 784)
y_train = idx("train-labels-idx1-ubyte.gz").astype(np.int32)
x_test = idx("t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255
y_test = idx("t10k-labels-idx1-ubyte.gz").astype(np.int32)

here = os.path.dirname(os.path.abspath(__file__))
s = nncc.compile(os.path.join(here, "..", "fashion_mlp.nn")).session(seed=0, threads=a.threads)
order = np.random.default_rng(0)
step_seconds = []
for epoch in range(1, a.epochs + 1):
    perm = order.permutation(len(x_train))
    for i in range(0, len(perm), a.batch):
        rows = perm[i : i + a.batch]
        x = x_train[rows].astype(np.float32) / 255  # images stay u8; each batch is converted
        start = time.perf_counter()
        s.train_step(x=x, y=y_train[rows])
        step_seconds.append(time.perf_counter() - start)
    loss, out = s.evaluate(x=x_test, y=y_test)
    accuracy = np.mean(out["logits"].argmax(axis=1) == y_test)
    print(f"epoch {epoch}/{a.epochs}  test_loss {loss:.4f}  test_acc {accuracy:.4f}")
print(f"train_step from Python: {1e6 * np.median(step_seconds):.0f} us (median of {len(step_seconds)}, batch {a.batch}, {a.threads} thread(s))")
