#!/usr/bin/env python3
"""examples/fashion_cnn.nn (or, with --bn, examples/fashion_cnn_bn.nn)
trained in PyTorch eager on Fashion-MNIST as `nncc train` trains it: the
same layers and initializers (He-uniform convolutions and first dense
layer, Glorot-uniform last layer, zero biases, batch norm gamma 1 beta 0),
Adam 1e-3, batch 64, pixels / 255, the training set shuffled each epoch,
with --cosine the lr annealed to 0 over all steps (CosineAnnealingLR stepped
per batch, as `nncc train --schedule cosine`); prints the test accuracy after
each epoch. The reference for the accuracy targets (Debian's python3-torch;
data from dataset-fashion-mnist).

usage: fashion_cnn_torch_train.py [--bn] [--cosine] [--epochs E] [--threads T] [--seed S]"""
import argparse
import time

import torch
from torch import nn

from torch_reference import idx  # bench/ is this script's directory


def model(bn):
    def conv_block(cin, cout):
        layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=not bn)]
        if bn:
            layers.append(nn.BatchNorm2d(cout))
        return layers + [nn.ReLU(), nn.MaxPool2d(2)]

    net = nn.Sequential(*conv_block(1, 32), *conv_block(32, 64), nn.Flatten(),
                        nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            last = isinstance(m, nn.Linear) and m.out_features == 10
            if last:
                nn.init.xavier_uniform_(m.weight)
            else:  # he_uniform: bound sqrt(6 / fan_in)
                bound = (6 / m.weight[0].numel()) ** 0.5
                nn.init.uniform_(m.weight, -bound, bound)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return net


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bn", action="store_true")
    p.add_argument("--cosine", action="store_true")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x = idx("train-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
    y = idx("train-labels-idx1-ubyte.gz").long()
    tx = idx("t10k-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
    ty = idx("t10k-labels-idx1-ubyte.gz").long()
    net = model(a.bn)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    steps = (len(x) + 63) // 64
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs * steps) if a.cosine else None
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        net.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            b = order[i:i + 64]
            opt.zero_grad()
            loss_fn(net(x[b]), y[b]).backward()
            opt.step()
            if schedule:
                schedule.step()
        net.eval()
        with torch.no_grad():
            acc = sum((net(tx[i:i + 1000]).argmax(1) == ty[i:i + 1000]).sum().item() for i in range(0, len(tx), 1000)) / len(tx)
        print(f"epoch {epoch}/{a.epochs}  test_acc {acc:.4f}  {time.perf_counter() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
