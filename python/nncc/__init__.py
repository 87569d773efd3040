"""nncc from Python: compile `.nn` models in this process (the JIT, through
libnncc.so) or load the shared libraries `nncc compile` writes (AOT), and
train them on NumPy arrays.

    import nncc, numpy as np
    model = nncc.compile("examples/xor.nn")            # or nncc.load_library("libxor.so")
    s = model.session(seed=42)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    y = np.array([[0], [1], [1], [0]], np.float32)
    for _ in range(2000):
        loss = s.train_step(x=x, y=y)
    print(s.forward(x=x)["p"])

Everything goes through the C ABI of nncc/nncc.h with ctypes (no compiled
extension): every failed call raises `nncc.Error` with the runtime's message
and leaves the session as it was; the GIL is released while compiled code
runs (ctypes does so for every call into the library).
"""
import ctypes
import json
import os
import struct

import numpy as np

__all__ = ["Error", "Model", "Session", "checkpoint_metadata", "compile", "load_library", "standardize"]


class Error(Exception):
    """A failed nncc call; the message is the runtime's (nncc_last_error)."""


_DTYPES = {"f32": np.dtype(np.float32), "f64": np.dtype(np.float64), "i32": np.dtype(np.int32)}
_CODES = {np.dtype(np.float32): 0, np.dtype(np.float64): 1, np.dtype(np.int32): 2}  # NNCC_F32, NNCC_F64, NNCC_I32
_PRECISIONS = {"f32": 0, "bf16": 1}  # NNCC_PRECISION_*
_MAX_RANK = 8

_p, _i, _i64, _u64, _d, _s = ctypes.c_void_p, ctypes.c_int, ctypes.c_int64, ctypes.c_uint64, ctypes.c_double, ctypes.c_char_p
_SIGNATURES = {  # name: (restype, argtypes), as declared in nncc/nncc.h and nncc/nncc_jit.h
    "nncc_model_name": (_s, [_p]),
    "nncc_model_json": (_s, [_p]),
    "nncc_session_create": (_p, [_p, _u64, _i]),
    "nncc_session_destroy": (None, [_p]),
    "nncc_set_input": (_i, [_p, _s, _i, _p, _i, ctypes.POINTER(_i64)]),
    "nncc_clear_inputs": (_i, [_p]),
    "nncc_train_step": (_i, [_p, ctypes.POINTER(_d)]),
    "nncc_grad": (_i, [_p, ctypes.POINTER(_d)]),
    "nncc_forward": (_i, [_p]),
    "nncc_evaluate": (_i, [_p, ctypes.POINTER(_d)]),
    "nncc_output_shape": (_i, [_p, _s, ctypes.POINTER(_i), ctypes.POINTER(_i64)]),
    "nncc_get_output": (_i, [_p, _s, _p, _i64]),
    "nncc_param": (_p, [_p, _s, ctypes.POINTER(_i64)]),
    "nncc_set_lr": (_i, [_p, _d]),
    "nncc_lr": (_d, [_p]),
    "nncc_step": (_i64, [_p]),
    "nncc_save": (_i, [_p, _s]),
    "nncc_load": (_i, [_p, _s]),
    "nncc_last_error": (_s, [_p]),
    "nncc_library_model": (_p, []),
    "nncc_compile": (_p, [_s, _s, _i, _i, _i]),
    "nncc_model_release": (None, [_p]),
}


def _open(path):
    lib = ctypes.CDLL(path)
    for name, (restype, argtypes) in _SIGNATURES.items():
        if hasattr(lib, name):
            f = getattr(lib, name)
            f.restype, f.argtypes = restype, argtypes
    return lib


def _libnncc_path():
    """$NNCC_LIBRARY, else the build tree's build/lib/libnncc.so next to
    this package's source, else libnncc.so on the loader's path."""
    if os.environ.get("NNCC_LIBRARY"):
        return os.environ["NNCC_LIBRARY"]
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.join(here, "..", "..", "build", "lib", "libnncc.so")
    return built if os.path.exists(built) else "libnncc.so"


_libnncc = None


def _jit():
    global _libnncc
    if _libnncc is None:
        try:
            _libnncc = _open(_libnncc_path())
        except OSError as e:
            raise Error(f"cannot load libnncc.so ({e}): build nncc (scripts/build) or set NNCC_LIBRARY") from None
    return _libnncc


def compile(model, opt=2, precision="f32", data_parallel=False):
    """Compiles a model: the path of a `.nn` file, or its text. `opt` is the
    LLVM level 0..3, `precision` "f32" or "bf16" (matrix products in bf16
    with f32 accumulation), `data_parallel` builds apply_update too. Entry
    points are compiled at their first call (and kept in nncc's on-disk
    cache). Raises Error with the file's diagnostics."""
    if precision not in _PRECISIONS:
        raise Error(f"precision {precision!r}: 'f32' or 'bf16'")
    lib = _jit()
    is_source = "{" in model and not os.path.exists(model)
    path, source = ("<string>.nn", model) if is_source else (model, None)
    handle = lib.nncc_compile(path.encode(), source.encode() if source else None, int(opt), _PRECISIONS[precision],
                              1 if data_parallel else 0)
    if not handle:
        raise Error(lib.nncc_last_error(None).decode())
    return Model(lib, handle, owned=True)


def load_library(path):
    """A library written by `nncc compile` (no LLVM needed); raises Error
    when it cannot be loaded or is no nncc model library."""
    try:
        lib = _open(os.path.abspath(path) if os.path.exists(path) else path)
    except OSError as e:
        raise Error(f"cannot load '{path}': {e}") from None
    if not hasattr(lib, "nncc_library_model"):
        raise Error(f"'{path}' is not an nncc model library (no nncc_library_model)")
    if not hasattr(lib, "nncc_clear_inputs"):
        raise Error(f"'{path}' was built by an older nncc (it has no nncc_clear_inputs): compile it again with nncc compile")
    return Model(lib, lib.nncc_library_model(), owned=False)


def checkpoint_metadata(path):
    """The metadata of a safetensors checkpoint (model, step, lr, nncc
    train's position and --standardize statistics, ...) as a dict of strings."""
    try:
        with open(path, "rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(length))
    except (OSError, ValueError, struct.error) as e:
        raise Error(f"cannot read the checkpoint '{path}': {e}") from None
    return dict(header.get("__metadata__", {}))


def standardize(array, metadata, field="x"):
    """`array` (rows of features) scaled as `nncc train --standardize` scaled
    field `field` of its training data: (x - mean) / scale per column, with
    the statistics in a checkpoint's metadata (checkpoint_metadata, or what
    Session.load returns). Returns a new f32 array."""
    try:
        mean = np.array([float(v) for v in metadata[f"standardize.{field}.mean"].split(",")])
        scale = np.array([float(v) for v in metadata[f"standardize.{field}.scale"].split(",")])
    except KeyError:
        raise Error(f"the checkpoint has no statistics of field '{field}': it was not trained with --standardize") from None
    a = np.asarray(array, np.float64)
    if a.ndim != 2 or a.shape[1] != mean.size:
        raise Error(f"standardize: an array of shape {a.shape}, and the statistics are of {mean.size} columns")
    return ((a - mean) / scale).astype(np.float32)


class Model:
    """A compiled model: its name, its description (`description`: params,
    inputs and results of each entry point, as nncc_model_json gives it), and
    sessions on it."""

    def __init__(self, lib, handle, owned):
        self._lib, self._handle, self._owned = lib, handle, owned
        self.name = lib.nncc_model_name(handle).decode()
        self.description = json.loads(lib.nncc_model_json(handle).decode())

    def session(self, seed=0, threads=None):
        """A session: params initialized from `seed` (the same values as the
        C++ API's and an AOT library's with that seed); `threads`: the thread
        count of oneDNN and the generated loops (None: $OMP_NUM_THREADS if
        set, else all cores)."""
        return Session(self, seed, threads)

    def inputs(self, function="train_step"):
        """{name: (dtype, shape)} of an entry point's inputs; symbolic
        dimensions are their names ("N")."""
        fn = next((f for f in self.description["functions"] if f["name"] == function), None)
        if fn is None:
            raise Error(f"model '{self.name}' has no {function} function")
        symbols = self.description["symbols"]
        return {a["name"]: (a["dtype"], [symbols[d["symbol"]] if isinstance(d, dict) else d for d in a["shape"]])
                for a in fn["args"] if a["kind"] == "input"}

    def __del__(self):
        if getattr(self, "_owned", False) and self._handle:
            self._lib.nncc_model_release(self._handle)
            self._handle = None


class Session:
    """A model's params, optimizer state and step count, and its entry points
    on NumPy arrays passed by keyword (`s.train_step(x=..., y=...)`).

    Arrays are converted to the dtype the model declares when NumPy casts
    them within their kind (float64 to f32, int64 to i32) and made
    C-contiguous; an array of another kind (floats for i32 labels) raises
    Error, as do wrong shapes and missing inputs (the runtime's message)."""

    def __init__(self, model, seed, threads):
        self.model = model  # kept alive as long as the session
        self._lib = model._lib
        self._s = self._lib.nncc_session_create(model._handle, int(seed), int(threads or 0))
        if not self._s:
            raise Error(self._lib.nncc_last_error(None).decode())
        self._declared = {}
        for f in model.description["functions"]:
            for a in f["args"]:
                if a["kind"] == "input":
                    self._declared[a["name"]] = _DTYPES[a["dtype"]]
        self.params = Params(self)

    def close(self):
        """Frees the session now (also done when it is garbage-collected)."""
        if getattr(self, "_s", None):
            self._lib.nncc_session_destroy(self._s)
            self._s = None

    def __del__(self):
        self.close()

    def _check(self, status):
        if status != 0:
            raise Error(self._lib.nncc_last_error(self._s).decode())

    def _set_inputs(self, arrays):
        """This call's inputs, and only these (the C ABI keeps inputs between calls)."""
        self._check(self._lib.nncc_clear_inputs(self._s))
        for name, value in arrays.items():
            wanted = self._declared.get(name)
            if wanted is None:
                raise Error(f"model '{self.model.name}' has no input '{name}' (inputs: {', '.join(self._declared)})")
            a = np.asarray(value)
            if a.dtype != wanted and not np.can_cast(a.dtype, wanted, casting="same_kind"):
                raise Error(f"input '{name}' is {a.dtype}, and the model declares {wanted} (not converted: another kind of number)")
            a = np.ascontiguousarray(a, dtype=wanted)
            if a.ndim > _MAX_RANK:
                raise Error(f"input '{name}' has rank {a.ndim} (at most {_MAX_RANK})")
            shape = (ctypes.c_int64 * max(a.ndim, 1))(*a.shape)
            self._check(self._lib.nncc_set_input(self._s, name.encode(), _CODES[wanted], a.ctypes.data_as(ctypes.c_void_p), a.ndim, shape))

    def _output(self, name):
        rank, shape = ctypes.c_int(), (ctypes.c_int64 * _MAX_RANK)()
        self._check(self._lib.nncc_output_shape(self._s, name.encode(), ctypes.byref(rank), shape))
        dtype = next(_DTYPES[r["dtype"]] for f in self.model.description["functions"] for r in f["results"] if r["name"] == name)
        out = np.empty(tuple(shape[: rank.value]), dtype)
        self._check(self._lib.nncc_get_output(self._s, name.encode(), out.ctypes.data_as(ctypes.c_void_p), out.size))
        return out

    def _results(self, function):
        fn = next(f for f in self.model.description["functions"] if f["name"] == function)
        return {r["name"]: self._output(r["name"]) for r in fn["results"] if r["name"] != "loss"}

    def train_step(self, **arrays):
        """Forward, backward and the optimizer update as one compiled call;
        returns the loss."""
        self._set_inputs(arrays)
        loss = ctypes.c_double()
        self._check(self._lib.nncc_train_step(self._s, ctypes.byref(loss)))
        return loss.value

    def forward(self, **arrays):
        """The model's outputs in inference mode (dropout off), by name."""
        self._set_inputs(arrays)
        self._check(self._lib.nncc_forward(self._s))
        return self._results("forward")

    def evaluate(self, **arrays):
        """(loss, outputs) in inference mode: the test loss and the scores."""
        self._set_inputs(arrays)
        loss = ctypes.c_double()
        self._check(self._lib.nncc_evaluate(self._s, ctypes.byref(loss)))
        return loss.value, self._results("evaluate")

    def grad(self, **arrays):
        """(loss, {"d_<param>": gradient}) in training mode, without update."""
        self._set_inputs(arrays)
        loss = ctypes.c_double()
        self._check(self._lib.nncc_grad(self._s, ctypes.byref(loss)))
        return loss.value, self._results("grad")

    @property
    def lr(self):
        """The learning rate (a run-time value: set it between steps)."""
        return self._lib.nncc_lr(self._s)

    @lr.setter
    def lr(self, value):
        self._check(self._lib.nncc_set_lr(self._s, float(value)))

    @property
    def step(self):
        """Completed train steps."""
        return self._lib.nncc_step(self._s)

    def save(self, path):
        """A safetensors checkpoint: params, optimizer state, step, lr (atomic)."""
        self._check(self._lib.nncc_save(self._s, os.fspath(path).encode()))

    def load(self, path):
        """Restores a checkpoint (every tensor is checked before anything
        changes) and returns its metadata (see standardize)."""
        self._check(self._lib.nncc_load(self._s, os.fspath(path).encode()))
        return checkpoint_metadata(path)


class Params:
    """The session's params by name, as NumPy arrays viewing the session's
    own buffers: writes change the param, and a view shows the params as
    they are until the next train_step or load (updates go to a second
    buffer) — take `params[name].copy()` to keep values, or call
    `params.copy()` for all of them."""

    def __init__(self, session):
        self._session = session
        self._shapes = {p["name"]: (_DTYPES[p["dtype"]], tuple(p["shape"])) for p in session.model.description["params"]}

    def __getitem__(self, name):
        if name not in self._shapes:
            raise KeyError(name)
        dtype, shape = self._shapes[name]
        s = self._session
        numel = ctypes.c_int64()
        pointer = s._lib.nncc_param(s._s, name.encode(), ctypes.byref(numel))
        if not pointer:
            raise Error(s._lib.nncc_last_error(s._s).decode())
        buffer = (ctypes.c_char * (numel.value * dtype.itemsize)).from_address(pointer)
        view = np.frombuffer(buffer, dtype).reshape(shape)
        view.flags.writeable = True
        return view

    def __contains__(self, name):
        return name in self._shapes

    def __iter__(self):
        return iter(self._shapes)

    def __len__(self):
        return len(self._shapes)

    def keys(self):
        return self._shapes.keys()

    def items(self):
        return ((name, self[name]) for name in self._shapes)

    def copy(self):
        """{name: a copy of the param's values now}."""
        return {name: self[name].copy() for name in self._shapes}
