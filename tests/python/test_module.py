#!/usr/bin/env python3
"""Tests of the Python module (python/nncc) over libnncc.so and an AOT
library: training, JIT against AOT, bad inputs, param views, checkpoints,
diagnostics. Run by ctest with Debian's python3 (exit 77, a skip, where
NumPy is missing). Environment: PYTHONPATH=python, NNCC_LIBRARY (libnncc.so),
NNCC_AOT_DIR (the build's AOT libraries), NNCC_EXAMPLES (examples/),
NNCC_BIN (the nncc tool), NNCC_LIT_INPUTS (tests/lit/cli/Inputs)."""
import gzip
import os
import struct
import subprocess
import sys
import tempfile
import unittest

try:
    import numpy as np
except ImportError:
    print("skipped: NumPy is missing (Debian's python3-numpy; scripts/setup installs it)")
    sys.exit(77)

import nncc

EXAMPLES = os.environ["NNCC_EXAMPLES"]
AOT = os.environ["NNCC_AOT_DIR"]
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
Y = np.array([[0], [1], [1], [0]], np.float32)


def fashion(count):
    """The first `count` Fashion-MNIST training images (flattened, in [0, 1]) and labels."""
    root = "/usr/share/datasets/fashion-mnist"
    with gzip.open(f"{root}/train-images-idx3-ubyte.gz") as f:
        _, _, rows, cols = struct.unpack(">IIII", f.read(16))
        images = np.frombuffer(f.read(count * rows * cols), np.uint8).reshape(count, rows * cols)
    with gzip.open(f"{root}/train-labels-idx1-ubyte.gz") as f:
        f.read(8)
        labels = np.frombuffer(f.read(count), np.uint8)
    return images.astype(np.float32) / 255, labels.astype(np.int32)


class Module(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.jit = nncc.compile(os.path.join(EXAMPLES, "xor.nn"))
        cls.aot = nncc.load_library(os.path.join(AOT, "libxor.so"))

    def test_trains_xor(self):
        s = self.jit.session(seed=42)
        for _ in range(2000):
            loss = s.train_step(x=X, y=Y)
        self.assertLess(loss, 0.01)
        self.assertEqual(s.step, 2000)
        p = s.forward(x=X)["p"]
        self.assertEqual(p.shape, (4, 1))
        np.testing.assert_array_equal(p > 0.5, Y > 0.5)

    def test_jit_and_aot_give_the_same_losses(self):
        a, b = self.jit.session(seed=7), self.aot.session(seed=7)
        for name in a.params:
            np.testing.assert_array_equal(a.params[name], b.params[name])
        for _ in range(50):
            self.assertEqual(a.train_step(x=X, y=Y), b.train_step(x=X, y=Y))

    def test_bad_inputs_raise_and_change_nothing(self):
        s = self.jit.session(seed=1)
        s.train_step(x=X, y=Y)
        before, step = s.params.copy(), s.step
        with self.assertRaisesRegex(nncc.Error, r"input 'x' is f32\[4, 3\], but the model declares f32\[N, 2\]"):
            s.train_step(x=np.zeros((4, 3), np.float32), y=Y)
        with self.assertRaisesRegex(nncc.Error, "missing input 'y'"):
            s.train_step(x=X)
        with self.assertRaisesRegex(nncc.Error, "has no input 'z'"):
            s.train_step(x=X, y=Y, z=Y)
        with self.assertRaisesRegex(nncc.Error, "symbolic dimension N is 4 in input 'x' but 3 in input 'y'"):
            s.train_step(x=X, y=Y[:3])
        self.assertEqual(s.step, step)
        for name, value in before.items():
            np.testing.assert_array_equal(s.params[name], value)

    def test_conversions(self):
        s, t = self.jit.session(seed=3), self.jit.session(seed=3)
        # float64 and a transposed (non-contiguous) array become f32 C order
        self.assertEqual(s.train_step(x=X.astype(np.float64), y=Y), t.train_step(x=np.ascontiguousarray(X.T).T, y=Y))
        labels = nncc.compile(os.path.join(EXAMPLES, "fashion_mlp.nn")).session()
        with self.assertRaisesRegex(nncc.Error, "input 'y' is float32, and the model declares int32"):
            labels.train_step(x=np.zeros((2, 784), np.float32), y=np.zeros(2, np.float32))
        self.assertIsInstance(labels.train_step(x=np.zeros((2, 784), np.float32), y=np.zeros(2, np.int64)), float)

    def test_param_views(self):
        s, reference = self.jit.session(seed=5), self.aot.session(seed=5)
        before = s.params["W2"].copy()
        self.assertEqual(before.shape, (8, 1))
        s.train_step(x=X, y=Y)
        reference.train_step(x=X, y=Y)
        fresh = s.params["W2"]
        self.assertFalse(np.array_equal(fresh, before))
        np.testing.assert_array_equal(fresh, reference.params["W2"])
        # writes through a view are the param
        fresh[:] = 0
        s.params["b2"][:] = 3
        p = s.forward(x=X)["p"]
        np.testing.assert_allclose(p, 1 / (1 + np.exp(-3.0)), rtol=1e-6)
        with self.assertRaises(KeyError):
            s.params["nope"]
        self.assertEqual(sorted(s.params), ["W1", "W2", "b1", "b2"])

    def test_lr_grad_evaluate(self):
        s = self.jit.session()
        self.assertAlmostEqual(s.lr, 0.5)
        s.lr = 0.25
        self.assertAlmostEqual(s.lr, 0.25)
        loss, grads = s.grad(x=X, y=Y)
        self.assertEqual(sorted(grads), ["d_W1", "d_W2", "d_b1", "d_b2"])
        self.assertEqual(grads["d_W1"].shape, (2, 8))
        test_loss, out = s.evaluate(x=X, y=Y)
        self.assertAlmostEqual(test_loss, loss, places=5)  # no dropout: training and inference agree
        self.assertEqual(s.step, 0)

    def test_save_and_load(self):
        s = self.jit.session(seed=9)
        for _ in range(20):
            s.train_step(x=X, y=Y)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "xor.safetensors")
            s.save(path)
            t = self.aot.session(seed=0)
            t.load(path)
            self.assertEqual(t.step, 20)
            np.testing.assert_array_equal(t.forward(x=X)["p"], s.forward(x=X)["p"])
            with self.assertRaisesRegex(nncc.Error, "missing.safetensors"):
                t.load(os.path.join(d, "missing.safetensors"))
            self.assertEqual(t.step, 20)

    def test_diagnostics(self):
        with self.assertRaisesRegex(nncc.Error, r"<string>.nn:3:12: error: unknown name 'b'"):
            nncc.compile("model m {\n  input a : f32[N]\n  loss sum(b)\n}\n")
        with self.assertRaisesRegex(nncc.Error, "not an nncc model library|cannot load"):
            nncc.load_library("/usr/lib/x86_64-linux-gnu/libz.so.1")

    def test_standardized_checkpoint(self):
        """A model trained by `nncc train --standardize`: its checkpoint's
        statistics scale NumPy features as nncc eval does."""
        data = os.path.join(os.environ["NNCC_LIT_INPUTS"], "tabular")
        model_file = os.path.join(os.environ["NNCC_LIT_INPUTS"], "tabular.nn")
        with tempfile.TemporaryDirectory() as d:
            ckpt = os.path.join(d, "tabular.safetensors")
            subprocess.run([os.environ["NNCC_BIN"], "train", model_file, "--data", f"csv:{data}/train.csv,label=label", "--epochs", "20",
                            "--batch", "32", "--threads", "1", "--standardize", "--save", ckpt], check=True, capture_output=True)
            evaluated = subprocess.run([os.environ["NNCC_BIN"], "eval", model_file, "--weights", ckpt, "--data",
                                        f"csv:{data}/test.csv,label=label"], check=True, capture_output=True, text=True).stdout
            s = nncc.compile(model_file).session()
            metadata = s.load(ckpt)
            table = np.loadtxt(os.path.join(data, "test.csv"), delimiter=",", skiprows=1)
            x, y = nncc.standardize(table[:, :3], metadata), table[:, 3].astype(np.int32)
            loss, out = s.evaluate(x=x, y=y)
            accuracy = np.mean(out["logits"].argmax(axis=1) == y)
            self.assertIn(f"accuracy {accuracy:.4f}", evaluated)
            self.assertGreater(accuracy, 0.95)
            with self.assertRaisesRegex(nncc.Error, "not trained with --standardize"):
                nncc.standardize(x, {})

    def test_wheel(self):
        """The wheel `pip install ./python` builds (python/build_backend.py,
        no download) holds the package: imported from it, it compiles a model."""
        sys.path.insert(0, os.path.join(os.path.dirname(nncc.__file__), ".."))
        import build_backend

        with tempfile.TemporaryDirectory() as d:
            wheel = os.path.join(d, build_backend.build_wheel(d))
            code = "import nncc, sys; assert nncc.__file__.startswith(sys.argv[1]); print(nncc.compile(sys.argv[2]).name)"
            env = dict(os.environ, PYTHONPATH=wheel)
            out = subprocess.run([sys.executable, "-c", code, wheel, os.path.join(EXAMPLES, "xor.nn")], env=env, check=True,
                                 capture_output=True, text=True).stdout
            self.assertEqual(out.strip(), "xor")

    def test_fashion_mlp_learns(self):
        x, y = fashion(2500)
        s = nncc.compile(os.path.join(EXAMPLES, "fashion_mlp.nn")).session(seed=0, threads=1)
        for epoch in range(2):
            for i in range(0, 2000, 64):
                s.train_step(x=x[i : i + 64], y=y[i : i + 64])
        loss, out = s.evaluate(x=x[2000:], y=y[2000:])
        accuracy = float(np.mean(out["logits"].argmax(axis=1) == y[2000:]))
        print(f"fashion_mlp on 2000 images, 2 epochs: held-out loss {loss:.3f}, accuracy {accuracy:.3f}")
        self.assertGreater(accuracy, 0.7)


if __name__ == "__main__":
    unittest.main(verbosity=2)
