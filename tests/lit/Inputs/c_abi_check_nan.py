#!/usr/bin/env python3
"""One train step of XOR through the C ABI of an AOT library built with
--check-nan, with an inf in input x: prints the call's status, the step
count after it, and nncc_last_error. Usage: c_abi_check_nan.py libxor.so"""
import ctypes
import sys

lib = ctypes.CDLL(sys.argv[1])
lib.nncc_library_model.restype = ctypes.c_void_p
lib.nncc_session_create.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int]
lib.nncc_session_create.restype = ctypes.c_void_p
lib.nncc_set_input.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                               ctypes.POINTER(ctypes.c_int64)]
lib.nncc_train_step.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_double)]
lib.nncc_last_error.argtypes = [ctypes.c_void_p]
lib.nncc_last_error.restype = ctypes.c_char_p
lib.nncc_step.argtypes = [ctypes.c_void_p]
lib.nncc_step.restype = ctypes.c_int64


def set_input(session, name, values, shape):
    data = (ctypes.c_float * len(values))(*values)
    dims = (ctypes.c_int64 * len(shape))(*shape)
    lib.nncc_set_input(session, name.encode(), 0, data, len(shape), dims)


session = lib.nncc_session_create(lib.nncc_library_model(), 42, 1)
set_input(session, "x", [0, 0, 0, 1, 1, float("inf"), 1, 1], [4, 2])
set_input(session, "y", [0, 1, 1, 0], [4, 1])
status = lib.nncc_train_step(session, None)
print("status", status, "step", lib.nncc_step(session))
print(lib.nncc_last_error(session).decode())
