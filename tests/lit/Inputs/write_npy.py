#!/usr/bin/env python3
"""usage: write_npy.py OUT DESCR SHAPE VALUES — writes a .npy file (format
1.0) without NumPy: DESCR like '<f4', '<i8', '|u1'; SHAPE and VALUES
comma-separated ('3,2' and '1,2,3,4,5,6', or a range 'A..B' of whole
numbers; SHAPE '' for a scalar)."""
import struct
import sys

out, descr, shape_text, values_text = sys.argv[1:5]
shape = tuple(int(d) for d in shape_text.split(",") if d)
codes = {"<f4": "f", "<f8": "d", "<i4": "i", "<i8": "q", "|u1": "B"}
if ".." in values_text:
    first, last = values_text.split("..")
    values_text = ",".join(str(v) for v in range(int(first), int(last) + 1))
values = [float(v) if descr.startswith("<f") else int(v) for v in values_text.split(",") if v]
shape_repr = "(" + "".join(f"{d}," for d in shape) + ")" if len(shape) == 1 else str(shape)
header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_repr}, }}"
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
with open(out, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<" + codes[descr] * len(values), *values))
