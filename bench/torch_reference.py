#!/usr/bin/env python3
"""PyTorch eager references for bench/side_by_side.py (Debian's python3-torch
under /usr/bin/python3; bench/setup installs it with OpenBLAS).

  torch_reference.py step --model M --opt O --batch B [--threads T] [--steps K]
      times train steps (forward, loss, backward, optimizer) on random data
      as `nncc bench` does: the median of K steps after a warm-up of K/10
      (at least 3); prints {"us_per_step": ...}.
  torch_reference.py train [--epochs E] [--batch B] [--threads T]
      trains examples/fashion_mlp.nn's MLP on Fashion-MNIST as `nncc train`
      does (He-uniform hidden layers, Glorot-uniform last layer, zero
      biases, Adam 1e-3, pixels / 255, reshuffled each epoch, test accuracy
      after each epoch); prints {"test_acc": ...}.

Models (M): xor (2-8-1, tanh, sigmoid, binary cross-entropy), mlp:784,128,10
(relu between layers, cross-entropy), cnn (examples/fashion_cnn.nn),
chartf (examples/char_transformer.nn on random ids, as nncc bench draws them).
Optimizers (O): sgd:LR, adam:LR, adamw:LR (weight decay 0.1, gradients
clipped to norm 1, as char_transformer.nn)."""
import argparse
import gzip
import json
import time

import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


class CharTransformer(nn.Module):
    """examples/char_transformer.nn: 2 pre-LN blocks, 4 heads of 32, d_model
    128, GELU MLP 4x, learned positions, 128-id vocabulary, context 64,
    dropout 0.2 on the embeddings and each sublayer's output and 0.1 on the
    attention weights, output scores by the embedding (tied)."""

    def __init__(self, vocab=128, context=64, d=128, heads=4, layers=2):
        super().__init__()
        self.heads = heads
        self.E = nn.Embedding(vocab, d)
        self.P = nn.Parameter(torch.randn(context, d) * 0.02)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            self.blocks.append(nn.ModuleDict({
                "na": nn.LayerNorm(d), "q": nn.Linear(d, d, bias=False), "k": nn.Linear(d, d, bias=False),
                "v": nn.Linear(d, d, bias=False), "o": nn.Linear(d, d), "nm": nn.LayerNorm(d),
                "up": nn.Linear(d, 4 * d), "down": nn.Linear(4 * d, d)}))
        self.nf = nn.LayerNorm(d)
        self.out = nn.Linear(d, vocab, bias=False)
        self.out.weight = self.E.weight  # tied, as char_transformer.nn's logits = ... @ E.T
        self.attention_drop = nn.Dropout(0.1)
        self.drop = nn.Dropout(0.2)
        self.register_buffer("causal", torch.tril(torch.ones(context, context, dtype=torch.bool)))

    def forward(self, x):
        n, t = x.shape
        h = self.drop(self.E(x) + self.P)
        for b in self.blocks:
            a = b["na"](h)
            q, k, v = (b[w](a).view(n, t, self.heads, -1).transpose(1, 2) for w in "qkv")
            s = (q @ k.transpose(-2, -1)) * (q.shape[-1] ** -0.5)
            s = s.masked_fill(~self.causal, float("-inf"))
            a = (self.attention_drop(s.softmax(-1)) @ v).transpose(1, 2).reshape(n, t, -1)
            h = h + self.drop(b["o"](a))
            h = h + self.drop(b["down"](nn.functional.gelu(b["up"](b["nm"](h)))))
        return self.out(self.nf(h))


def build(model, batch):
    """The network, its loss and a random batch (x, y)."""
    if model == "xor":
        net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())
        return net, nn.BCELoss(), torch.rand(batch, 2), torch.randint(0, 2, (batch, 1)).float()
    if model == "chartf":
        vocab = nn.CrossEntropyLoss()
        return (CharTransformer(), lambda z, y: vocab(z.reshape(-1, z.shape[-1]), y.reshape(-1)),
                torch.randint(0, 128, (batch, 64)), torch.randint(0, 128, (batch, 64)))
    if model == "cnn":
        return cnn(), nn.CrossEntropyLoss(), torch.rand(batch, 1, 28, 28), torch.randint(0, 10, (batch,))
    sizes = [int(s) for s in model.split(":")[1].split(",")]
    return mlp(sizes), nn.CrossEntropyLoss(), torch.rand(batch, sizes[0]), torch.randint(0, sizes[-1], (batch,))


def optimizer(spec, params):
    name, lr = spec.split(":")
    if name == "adamw":  # with clipping, as char_transformer.nn's adamw(lr, weight_decay = 0.1, clip_norm = 1.0)
        return torch.optim.AdamW(params, lr=float(lr), weight_decay=0.1)
    return (torch.optim.Adam if name == "adam" else torch.optim.SGD)(params, lr=float(lr))


def step_command(a):
    net, loss_fn, x, y = build(a.model, a.batch)
    opt = optimizer(a.opt, net.parameters())

    def step():
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        if a.opt.startswith("adamw"):
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
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


def idx(name):
    raw = gzip.open(f"{DATA}/{name}", "rb").read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return torch.frombuffer(bytearray(raw[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def train_command(a):
    x = idx("train-images-idx3-ubyte.gz").reshape(-1, 784).float().div(255)
    y = idx("train-labels-idx1-ubyte.gz").long()
    tx = idx("t10k-images-idx3-ubyte.gz").reshape(-1, 784).float().div(255)
    ty = idx("t10k-labels-idx1-ubyte.gz").long()
    net = mlp([784, 512, 256, 10])
    for m in net.modules():
        if isinstance(m, nn.Linear):
            if m.out_features == 10:
                nn.init.xavier_uniform_(m.weight)
            else:  # he_uniform: bound sqrt(6 / fan_in)
                bound = (6 / m.in_features) ** 0.5
                nn.init.uniform_(m.weight, -bound, bound)
            nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    acc = 0.0
    for _ in range(a.epochs):
        order = torch.randperm(len(x))
        for i in range(0, len(x), a.batch):
            b = order[i:i + a.batch]
            opt.zero_grad()
            loss_fn(net(x[b]), y[b]).backward()
            opt.step()
        with torch.no_grad():
            acc = (net(tx).argmax(1) == ty).float().mean().item()
    print(json.dumps({"test_acc": acc}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("step")
    s.add_argument("--model", required=True)
    s.add_argument("--opt", required=True)
    s.add_argument("--batch", type=int, required=True)
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--steps", type=int, default=30)
    t = sub.add_parser("train")
    t.add_argument("--epochs", type=int, default=5)
    t.add_argument("--batch", type=int, default=128)
    t.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    (step_command if a.command == "step" else train_command)(a)


if __name__ == "__main__":
    main()
