#!/usr/bin/env python3
"""The model of examples/fashion_cnn.nn in PyTorch eager (Debian's
python3-torch: oneDNN inside for convolutions), timed as `nncc bench` times
it: median µs per train step (forward, cross-entropy, backward, Adam) on
random data, after a warm-up.

usage: fashion_cnn_torch.py --batch B [--threads T] [--steps K]
prints {"us_per_step": ...}"""
import argparse
import json
import time

import torch
from torch import nn


def model():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=30)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(a.batch, 1, 28, 28)
    y = torch.randint(0, 10, (a.batch,))

    def step():
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    for _ in range(max(3, a.steps // 10)):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e6)
    times.sort()
    print(json.dumps({"us_per_step": times[len(times) // 2]}))


if __name__ == "__main__":
    main()
