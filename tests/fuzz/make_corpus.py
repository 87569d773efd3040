#!/usr/bin/env python3
"""Writes the hand-made part of tests/fuzz/corpus/FORMAT/: hostile .nn,
.nnir, checkpoint, .npy, IDX and CSV inputs that nncc must refuse with exit
status 1 and a message, never a crash (run_corpus.py says how each format is
fed to nncc). The files named fuzz_* are left alone: pick_corpus.py adds
those from fuzzing runs. Deterministic (fixed seed); rerun after changing
the examples or the seeds and commit the result."""
import gzip
import json
import os
import random
import struct
import zlib

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
rng = random.Random(1234)
fmt = "nn"  # the format write() puts files under


def write(name, data):
    out = os.path.join(here, "corpus", fmt)
    os.makedirs(out, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(out, name), mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
        f.write(data)


for f in ("nn", "nnir", "checkpoint", "npy", "idx", "csv"):
    d = os.path.join(here, "corpus", f)
    for name in os.listdir(d) if os.path.isdir(d) else []:
        if not name.startswith("fuzz_"):
            os.unlink(os.path.join(d, name))


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
write("huge_input_type.nn", "model m {\n  input x : f32[N, 2000000000, 2000000000, 2000000000]\n}\n")
write("huge_broadcast.nn", "model m {\n  input a : f32[N, 2000000000, 1]\n  input b : f32[2000000000]\n  c = a * b\n}\n")
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


# --- Text IR (nncc opt): syntax, types, SSA form, depth and size.
fmt = "nnir"
seed_ir = open(os.path.join(here, "seeds", "nnir", "opt_fuse.nnir"), encoding="utf-8").read()
start = seed_ir.index("module @")
body = seed_ir[start : seed_ir.index("\n}", start) + 2]  # the module, not the FileCheck lines after it
for frac in (0.2, 0.5, 0.8, 0.95):
    write(f"truncated_opt_fuse_{int(frac * 100)}.nnir", body[: int(len(body) * frac)])
head = "module @m {\n  func @f(input %x : f32[N, 3]) {\n"
tail = "    return y = %y\n  }\n}\n"
write("empty.nnir", "")
write("random_bytes.nnir", bytes(rng.randrange(256) for _ in range(3000)))
write("undefined_operand.nnir", head + "    %y = relu(%z) : f32[N, 3]\n" + tail)
write("defined_twice.nnir", head + "    %y = relu(%x) : f32[N, 3]\n    %y = exp(%x) : f32[N, 3]\n" + tail)
write("use_before_def.nnir", head + "    %y = relu(%w) : f32[N, 3]\n    %w = exp(%x) : f32[N, 3]\n" + tail)
write("wrong_result_type.nnir", head + "    %y = relu(%x) : f32[N, 4]\n" + tail)
write("unknown_op.nnir", head + "    %y = frobnicate(%x) : f32[N, 3]\n" + tail)
write("wrong_arity.nnir", head + "    %y = add(%x) : f32[N, 3]\n" + tail)
write("unknown_dtype.nnir", head + "    %y = relu(%x) : f31[N, 3]\n" + tail)
write("unknown_attribute.nnir", head + "    %y = relu(%x) {speed = 11} : f32[N, 3]\n" + tail)
write("huge_dim.nnir", head + "    %y = reshape(%x) {shape = [99999999999999999999]} : f32[99999999999999999999]\n" + tail)
write("huge_shape.nnir", head + "    %y = broadcast_to(%x) {shape = [4294967296, 4294967296, N, 3]} : f32[4294967296, 4294967296, N, 3]\n" + tail)
write("malformed_number.nnir", head + "    %y = const() {value = ..0, dtype = f32} : f32\n" + tail)
write("deep_attribute_brackets.nnir", head + "    %y = reshape(%x) {shape = " + "[" * 100000 + "} : f32[3]\n" + tail)
write("deep_type_brackets.nnir", head + "    %y = relu(%x) : f32" + "[" * 100000 + "\n" + tail)
write("no_return.nnir", head + "    %y = relu(%x) : f32[N, 3]\n  }\n}\n")
write("return_undefined.nnir", head + "    return y = %nothing\n  }\n}\n")
write("many_errors.nnir", head + "    %y = relu(%q) : f32[N, 3]\n" * 3000 + tail)
write("long_line.nnir", head + "    %y = relu(%x) " + "$" * 1_000_000 + "\n" + tail)
write("invalid_utf8.nnir", (head + "    %y = relu(%x\xff\xfe) : f32[N, 3]\n" + tail).encode("latin-1"))

# --- Checkpoints (nncc eval examples/xor.nn --weights FILE): the seed is a
# good checkpoint of xor; each file breaks one thing about it.
fmt = "checkpoint"
ckpt = open(os.path.join(here, "seeds", "checkpoint", "xor_sgd.safetensors"), "rb").read()
(hlen,) = struct.unpack("<Q", ckpt[:8])
header, data = json.loads(ckpt[8 : 8 + hlen]), ckpt[8 + hlen :]


def safetensors(h, d=None):
    text = json.dumps(h, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + (data if d is None else d)


def edited(change):
    h = json.loads(json.dumps(header))
    change(h)
    return safetensors(h)


for frac in (0.0, 0.01, 0.3, 0.6, 0.9, 0.99):
    write(f"truncated_{int(frac * 100)}.safetensors", ckpt[: int(len(ckpt) * frac)])
for i, at in enumerate((9, ckpt.index(b"[2,8]") + 3, 8 + hlen + 1, len(ckpt) - 1)):
    flipped = bytearray(ckpt)
    flipped[at] ^= 0x10
    write(f"bit_flip_{i}.safetensors", bytes(flipped))
write("header_length_2_63.safetensors", struct.pack("<Q", 1 << 63) + ckpt[8:])
write("header_not_json.safetensors", struct.pack("<Q", 5) + b"{oops" + data)
write("header_is_list.safetensors", struct.pack("<Q", 2) + b"[]" + data)
write("shape_2_80_bytes.safetensors", edited(lambda h: h["W1"].update(shape=[1 << 40, 1 << 40])))
write("negative_shape.safetensors", edited(lambda h: h["W1"].update(shape=[-2, -8])))
write("offsets_past_end.safetensors", edited(lambda h: h["b2"].update(data_offsets=[128, 4096])))
write("offsets_reversed.safetensors", edited(lambda h: h["b2"].update(data_offsets=[132, 128])))
write("overlapping_tensors.safetensors", edited(lambda h: h["b1"].update(data_offsets=[64, 96])))
write("dtype_f16.safetensors", edited(lambda h: h["W1"].update(dtype="F16")))
write("missing_tensor.safetensors", edited(lambda h: h.pop("W2")))
write("other_model.safetensors", edited(lambda h: h.update(W3=h.pop("W2"))))
write("extra_tensor.safetensors", edited(lambda h: h.update(W0={"dtype": "F32", "shape": [0], "data_offsets": [132, 132]})))
write("data_after_tensors.safetensors", safetensors(header, data + bytes(4)))
write("crc_changed.safetensors", edited(lambda h: h["__metadata__"].update(nncc_data_crc32="00000000")))
write("step_not_number.safetensors", edited(lambda h: h["__metadata__"].update(step="many")))
write("step_number_prefix.safetensors", edited(lambda h: h["__metadata__"].update(step="12abc")))
write("step_negative.safetensors", edited(lambda h: h["__metadata__"].update(step="-3")))
write("metadata_not_strings.safetensors", edited(lambda h: h["__metadata__"].update(step=[1, 2])))

# --- .npy arrays (nncc train examples/window_ner.nn --data npy:x=FILE,x_c=FILE).
fmt = "npy"


def npy(header_text, payload=b"", version=1):
    text = header_text.encode("latin-1")
    text += b" " * (-(len(text) + 11) % 16) + b"\n"
    size = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + size + text + payload


good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 20), }"
write("empty.npy", b"")
write("bad_magic.npy", b"\x93NUMPX" + npy(good, bytes(160))[6:])
write("version_9.npy", npy(good, bytes(160))[:6] + b"\x09" + npy(good, bytes(160))[7:])
write("header_length_past_end.npy", b"\x93NUMPY\x01\x00\xff\xff{'descr'")
write("no_shape.npy", npy("{'descr': '<f4', 'fortran_order': False, }", bytes(160)))
write("no_descr.npy", npy("{'fortran_order': False, 'shape': (2, 20), }", bytes(160)))
write("big_endian.npy", npy(good.replace("<f4", ">f4"), bytes(160)))
write("complex.npy", npy(good.replace("<f4", "<c8"), bytes(320)))
write("object.npy", npy(good.replace("<f4", "|O"), bytes(320)))
write("fortran_order.npy", npy(good.replace("False", "True"), bytes(160)))
write("rows_10_12.npy", npy(good.replace("(2, 20)", "(1000000000000, 20)"), bytes(160)))
write("shape_overflows.npy", npy(good.replace("(2, 20)", "(4294967296, 4294967296, 4294967296)"), bytes(160)))
write("negative_shape.npy", npy(good.replace("(2, 20)", "(-2, 20)"), bytes(160)))
write("shape_not_numbers.npy", npy(good.replace("(2, 20)", "(two, 20)"), bytes(160)))
write("data_truncated.npy", npy(good, bytes(100)))
write("data_too_long.npy", npy(good, bytes(400)))
write("zero_rows.npy", npy(good.replace("(2, 20)", "(0, 20)")))
write("nan_values.npy", npy(good, struct.pack("<40f", *([float("nan")] * 40))))
write("inf_values.npy", npy(good, struct.pack("<40f", *([1.0] * 39 + [float("inf")]))))
write("version_2_truncated.npy", npy(good, bytes(160), version=2)[:14])

# --- IDX (nncc train examples/fashion_mlp.nn --data idx:images=FILE,labels=FILE):
# raw and gzip.
fmt = "idx"
images = struct.pack(">I", 0x0803) + struct.pack(">III", 2, 28, 28) + bytes(rng.randrange(256) for _ in range(2 * 784))
gz = gzip.compress(images, mtime=0)
write("empty.idx", b"")
write("short_magic.idx", b"\x00\x00")
write("bad_magic.idx", b"\x01\x02" + images[2:])
write("rank_zero.idx", struct.pack(">I", 0x0800) + images[4:])
write("rank_200.idx", struct.pack(">I", 0x08C8) + images[4:])
write("float_type.idx", struct.pack(">I", 0x0D03) + images[4:])
write("rows_10_12.idx", struct.pack(">I", 0x0803) + struct.pack(">III", 1000000, 1000000, 784) + images[16:])
write("dims_truncated.idx", images[:10])
write("data_truncated.idx", images[: len(images) - 100])
write("data_too_long.idx", images + bytes(50))
write("images_as_labels.idx", images)  # images load; as labels they are not 1-D
write("gzip_no_trailer.idx", gz[:-8])
write("gzip_cut_mid_stream.idx", gz[: len(gz) // 2])
write("gzip_bad_crc.idx", gz[:-8] + struct.pack("<I", zlib.crc32(images) ^ 1) + gz[-4:])
write("gzip_bad_length.idx", gz[:-4] + struct.pack("<I", len(images) + 1))
write("gzip_header_only.idx", gz[:10])
write("gzip_garbage_deflate.idx", gz[:10] + bytes(rng.randrange(256) for _ in range(200)))
write("gzip_bomb_header.idx", gzip.compress(struct.pack(">I", 0x0803) + struct.pack(">III", 1 << 20, 1 << 10, 1 << 10), mtime=0))

# --- CSV (nncc train tests/lit/cli/Inputs/spirals.nn --data csv:FILE,label=2):
# spirals takes x : f32[N, 2] and y in [0, 3).
fmt = "csv"
write("empty.csv", "")
write("header_only.csv", "a,b,c\n")
write("ragged.csv", "1,2,0\n3,4,1\n5,6\n")
write("too_many_fields.csv", "1,2,0\n3,4,1,9\n")
write("word.csv", "1,2,0\nthree,4,1\n")
write("nan.csv", "1,2,0\nnan,4,1\n")
write("inf.csv", "1,2,0\n3,-inf,1\n")
write("overflow.csv", "1,2,0\n1e999,4,1\n")
write("label_out_of_range.csv", "1,2,0\n3,4,7\n")
write("negative_label.csv", "1,2,0\n3,4,-1\n")
write("fractional_label.csv", "1,2,0.5\n3,4,1\n")
write("one_column.csv", "1\n2\n")
write("unterminated_quote.csv", '1,2,0\n"3,4,1\n')
write("nul_bytes.csv", b"1,2,0\n3\x00,4,1\n")
write("invalid_utf8.csv", b"1,2,0\n\xff\xfe,4,1\n")
write("long_line.csv", "1,2,0\n" + "9" * 1_000_000 + ",4,1\n")
write("empty_field.csv", "1,2,0\n3,,1\n")
write("huge_label.csv", "1,2,0\n3,4,99999999999999999999\n")

for f in ("nn", "nnir", "checkpoint", "npy", "idx", "csv"):
    d = os.path.join(here, "corpus", f)
    print(f"{f}: {len(os.listdir(d))} files in {d}")
