#!/usr/bin/env python3
"""Writes text IR too deep or too long to write by hand, to stdout.
  big_ir.py deep N    an attribute list opened N times and never closed
  big_ir.py chain N   one function, a chain of N elementwise ops"""
import sys

kind, n = sys.argv[1], int(sys.argv[2])
if kind == "deep":
    body = ["    %y = reshape(%x) {shape = " + "[" * n + "} : f32[3]", "    return y = %y"]
    sig = "input %x : f32[3]"
else:
    ops = ("exp", "tanh", "neg")
    body = ["    %v0 = relu(%x) : f32[N, 8]"]
    body += [f"    %v{i} = {ops[i % 3]}(%v{i - 1}) : f32[N, 8]" for i in range(1, n)]
    body.append(f"    return y = %v{n - 1}")
    sig = "input %x : f32[N, 8]"
print("module @m {\n  func @f(" + sig + ") {\n" + "\n".join(body) + "\n  }\n}")
