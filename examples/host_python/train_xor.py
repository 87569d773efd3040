#!/usr/bin/env python3
"""Trains XOR with the nncc Python module (python/nncc): the model compiled
in this process, or an AOT library when one is given.

    PYTHONPATH=python python3 examples/host_python/train_xor.py [libxor.so]

Exit status 0 when XOR is learned and a bad call was refused cleanly."""
import os
import sys

import numpy as np

import nncc

here = os.path.dirname(os.path.abspath(__file__))
model = nncc.load_library(sys.argv[1]) if len(sys.argv) > 1 else nncc.compile(os.path.join(here, "..", "xor.nn"))
print("model", model.name, "inputs", model.inputs())
s = model.session(seed=42)
x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
y = np.array([[0], [1], [1], [0]], np.float32)
for step in range(1, 2001):
    loss = s.train_step(x=x, y=y)
    if step % 500 == 0:
        print(f"step {step:4d}  loss {loss:.4f}")
p = s.forward(x=x)["p"].ravel()
print("xor(0,0) = %.3f  xor(0,1) = %.3f  xor(1,0) = %.3f  xor(1,1) = %.3f" % tuple(p))

# A wrong shape raises nncc.Error with the runtime's message; the session is unchanged.
try:
    s.train_step(x=np.zeros((1, 3), np.float32), y=y[:1])
    refused = False
except nncc.Error as e:
    print("wrong shape:", e)
    refused = s.step == 2000

learned = loss < 0.01 and p[0] < 0.5 < p[1] and p[2] > 0.5 > p[3]
print("XOR learned" if learned else "XOR NOT learned", "/ bad call refused" if refused else "/ bad call NOT refused")
sys.exit(0 if learned and refused else 1)
