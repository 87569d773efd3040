#!/usr/bin/env python3
"""Trains XOR through an AOT library with nothing but Python's standard
library (ctypes over the generic C ABI of nncc/nncc.h).

    nncc compile examples/xor.nn -o libxor.so
    python3 examples/host_python/train_xor_ctypes.py ./libxor.so

(examples/host_python/train_xor.py does the same with the nncc module.)

Exit status 0 when XOR is learned and a bad call was refused cleanly."""
import ctypes
import sys

NNCC_F32 = 0

lib = ctypes.CDLL(sys.argv[1] if len(sys.argv) > 1 else "./libxor.so")
lib.nncc_library_model.restype = ctypes.c_void_p
lib.nncc_model_name.argtypes = [ctypes.c_void_p]
lib.nncc_model_name.restype = ctypes.c_char_p
lib.nncc_session_create.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int]
lib.nncc_session_create.restype = ctypes.c_void_p
lib.nncc_session_destroy.argtypes = [ctypes.c_void_p]
lib.nncc_set_input.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                               ctypes.POINTER(ctypes.c_int64)]
lib.nncc_train_step.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_double)]
lib.nncc_forward.argtypes = [ctypes.c_void_p]
lib.nncc_get_output.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int64]
lib.nncc_last_error.argtypes = [ctypes.c_void_p]
lib.nncc_last_error.restype = ctypes.c_char_p
lib.nncc_step.argtypes = [ctypes.c_void_p]
lib.nncc_step.restype = ctypes.c_int64


def floats(values):
    return (ctypes.c_float * len(values))(*values)


def set_input(session, name, values, shape):
    dims = (ctypes.c_int64 * len(shape))(*shape)
    return lib.nncc_set_input(session, name.encode(), NNCC_F32, floats(values), len(shape), dims)


model = lib.nncc_library_model()
print("model", lib.nncc_model_name(model).decode())
session = lib.nncc_session_create(model, 42, 1)
if not session:
    sys.exit("nncc_session_create: " + lib.nncc_last_error(None).decode())

set_input(session, "x", [0, 0, 0, 1, 1, 0, 1, 1], [4, 2])
set_input(session, "y", [0, 1, 1, 0], [4, 1])
loss = ctypes.c_double()
for step in range(1, 2001):
    if lib.nncc_train_step(session, ctypes.byref(loss)) != 0:
        sys.exit("train_step: " + lib.nncc_last_error(session).decode())
    if step % 500 == 0:
        print(f"step {step:4d}  loss {loss.value:.4f}")

lib.nncc_forward(session)
p = (ctypes.c_float * 4)()
lib.nncc_get_output(session, b"p", p, 4)
print("xor(0,0) = %.3f  xor(0,1) = %.3f  xor(1,0) = %.3f  xor(1,1) = %.3f" % tuple(p))

# A wrong shape is refused with a message; the session is unchanged.
set_input(session, "x", [0, 0, 0], [1, 3])
rc = lib.nncc_train_step(session, ctypes.byref(loss))
print("wrong shape:", lib.nncc_last_error(session).decode())
refused = rc != 0 and lib.nncc_step(session) == 2000
lib.nncc_session_destroy(session)

learned = loss.value < 0.01 and p[0] < 0.5 < p[1] and p[2] > 0.5 > p[3]
print("XOR learned" if learned else "XOR NOT learned", "/ bad call refused" if refused else "/ bad call NOT refused")
sys.exit(0 if learned and refused else 1)
