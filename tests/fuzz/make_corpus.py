#!/usr/bin/env python3
"""Writes tests/fuzz/corpus/: malformed .nn inputs that nncc must reject with
exit status 1 and a diagnostic, never a crash. Deterministic (fixed seed);
rerun after changing the examples and commit the result."""
import os
import random
import shutil

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
out = os.path.join(here, "corpus")
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)
rng = random.Random(1234)


def write(name, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(out, name), mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
        f.write(data)


# Truncations of every example, strictly before the model's closing brace.
for ex in sorted(os.listdir(os.path.join(root, "examples"))):
    if not ex.endswith(".nn"):
        continue
    text = open(os.path.join(root, "examples", ex), encoding="utf-8").read()
    end = text.rindex("}")
    for frac in (0.1, 0.3, 0.5, 0.7, 0.9):
        write(f"truncated_{ex[:-3]}_{int(frac * 100)}.nn", text[: int(end * frac)])
    # The example with one token-sized chunk deleted somewhere in the middle.
    cut = rng.randrange(len(text) // 4, end)
    write(f"holed_{ex[:-3]}.nn", text[:cut] + text[cut + 3 :].replace("}", "", 1) if "}" in text[cut + 3 :] else text[:cut])

# Random bytes and random tokens.
for i in range(6):
    write(f"random_bytes_{i}.nn", bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4000))))
tokens = ["model", "m", "{", "}", "(", ")", "[", "]", "input", "param", "x", ":", "f32", "=", "+", "@",
          "**", "-", ".T", "1e3", "0.5", "\n", ";", ",", "relu", "loss", "optimizer", "def", "output"]
for i in range(6):
    write(f"random_tokens_{i}.nn", "model m {\n" + " ".join(rng.choice(tokens) for _ in range(300)))

# Empty and nearly empty files.
write("empty.nn", "")
write("only_whitespace.nn", "   \n\t\n  \n")
write("only_comment.nn", "# nothing but a comment\n")
write("bom_only.nn", b"\xef\xbb\xbf")
write("nul_bytes.nn", b"model m {\n  input x : f32[N]\x00\x00\n}\n")
write("no_model_keyword.nn", "input x : f32[N, 2]\n")
write("two_models.nn", "model a {\n}\nmodel b {\n}\n")
write("missing_brace.nn", "model m {\n  input x : f32[N, 2]\n  loss mean(x)\n")
write("stray_close.nn", "model m {\n}\n}\n")

# Deep nesting and long chains.
write("deep_parens.nn", "model m {\n  input x : f32\n  y = " + "(" * 100000 + "x" + ")" * 100000 + "\n}\n")
write("deep_unclosed_parens.nn", "model m {\n  y = " + "(" * 50000 + "\n}\n")
write("deep_calls.nn", "model m {\n  input x : f32\n  y = " + "exp(" * 20000 + "x" + ")" * 20000 + "\n}\n")
write("deep_unary.nn", "model m {\n  input x : f32\n  y = " + "-" * 100000 + "x\n}\n")
write("deep_lists.nn", "model m {\n  input x : f32[4]\n  y = reshape(x, " + "[" * 30000 + "]" * 30000 + ")\n}\n")
write("long_chain.nn", "model m {\n  input x : f32\n  y = " + " + ".join(["x"] * 60000) + "\n}\n")
write("long_power_chain.nn", "model m {\n  input x : f32\n  y = x" + " ** 2" * 50000 + "\n}\n")
write("long_line.nn", "model m {\n  input x : f32\n  y = x " + "$" * 1_000_000 + "\n}\n")
write("many_errors.nn", "model m {\n" + "  y = zz\n" * 5000 + "}\n")

# Huge and odd numbers.
write("huge_float.nn", "model m {\n  input x : f32\n  y = x * 1e999\n  loss y\n}\n")
write("huge_int_dim.nn", "model m {\n  input x : f32[99999999999999999999999, 2]\n}\n")
write("huge_param.nn", "model m {\n  param W : f32[100000, 100000, 100000]\n}\n")
write("zero_dim.nn", "model m {\n  input x : f32[0, 2]\n}\n")
write("negative_dim.nn", "model m {\n  input x : f32[-1, 2]\n}\n")
write("float_dim.nn", "model m {\n  input x : f32[2.5]\n}\n")
write("bad_exponent.nn", "model m {\n  input x : f32\n  y = x * 1e+\n}\n")
write("number_suffix.nn", "model m {\n  input x : f32\n  y = x * 2x\n}\n")
write("huge_axis.nn", "model m {\n  input x : f32[N, 4]\n  y = softmax(x, axis = 9223372036854775807)\n}\n")
write("min_axis.nn", "model m {\n  input x : f32[N, 4]\n  y = sum(x, axis = -9223372036854775808)\n}\n")
write("huge_onehot.nn", "model m {\n  input y : i32[N]\n  z = onehot(y, 99999999999999999999)\n}\n")

# Unicode.
write("unicode_identifier.nn", "model m {\n  input café : f32[N]\n}\n")
write("unicode_emoji.nn", "model m {\n  input x : f32[N]\n  y = x 🙂 x\n}\n")
write("unicode_zero_width.nn", "model m {\n  input x\u200b : f32[N]\n}\n")
write("unicode_rtl.nn", "model m {\n  input x : f32[N]\n  y = \u202ex + x\n}\n")
write("invalid_utf8.nn", b"model m {\n  input x : f32[N]\n  y = x \xff\xfe x\n}\n")
write("overlong_utf8.nn", b"model m {\n  \xc0\xaf = 1\n}\n")
write("unicode_in_string_position.nn", "model \u00fc {\n}\n")

# Statement-level mistakes.
write("keyword_as_name.nn", "model m {\n  input loss : f32\n}\n")
write("assign_to_number.nn", "model m {\n  2 = 3\n}\n")
write("dangling_operator.nn", "model m {\n  input x : f32\n  y = x +\n}\n")
write("empty_call_args.nn", "model m {\n  input x : f32\n  y = relu(,)\n}\n")
write("kwarg_then_positional.nn", "model m {\n  input x : f32[N, 3]\n  y = softmax(axis = 0, x)\n}\n")
write("bad_transpose.nn", "model m {\n  input x : f32[N, 3]\n  y = x.U\n}\n")
write("recursive_def.nn", "model m {\n  input x : f32\n  def f(a) = f(a)\n  y = f(x)\n}\n")
write("def_duplicate_params.nn", "model m {\n  input x : f32\n  def f(a, a) = a\n}\n")
write("optimizer_without_loss.nn", "model m {\n  input x : f32\n  optimizer adam(lr = 0.1)\n}\n")
write("two_losses.nn", "model m {\n  input x : f32\n  loss x\n  loss x\n}\n")
write("bool_tensor.nn", "model m {\n  input x : f32\n  y = x + true\n}\n")

print(f"{len(os.listdir(out))} files in {out}")
