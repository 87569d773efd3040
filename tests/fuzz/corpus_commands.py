"""The command line through which each format of the hostile corpus
(tests/fuzz/corpus/FORMAT/) reaches nncc. Every file there must make its
command end with exit status 1 and an error message: no crash, no abort, no
sanitizer report, no hang. Shared by run_corpus.py (the test) and
pick_corpus.py (which adds refused inputs from a fuzzing run)."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")
SPIRALS = os.path.join(ROOT, "tests", "lit", "cli", "Inputs", "spirals.nn")

# The formats and their files' endings (the loaders look at the ending).
SUFFIX = {"nn": ".nn", "nnir": ".nnir", "checkpoint": ".safetensors", "npy": ".npy",
          "idx": ".idx", "csv": ".csv"}


def command(nncc, fmt, path):
    """argv that feeds PATH (a FORMAT file) to nncc the way a user would."""
    train = ["train", "--epochs", "1", "--batch", "2", "--threads", "1"]
    return {
        "nn": [nncc, "check", path],
        "nnir": [nncc, "opt", path, "--pass", "verify", "simplify", "stabilize", "cse", "fuse", "dce",
                 "plan_memory"],
        "checkpoint": [nncc, "eval", os.path.join(EXAMPLES, "xor.nn"), "--weights", path, "--data", "xor"],
        # One file as both fields: a loader error comes first; a file that loads
        # is refused by its shape (window_ner takes x and x_c as f32[N, 20]).
        "npy": [nncc, *train, os.path.join(EXAMPLES, "window_ner.nn"), "--data", f"npy:x={path},x_c={path}"],
        "idx": [nncc, *train, os.path.join(EXAMPLES, "fashion_mlp.nn"), "--data",
                f"idx:images={path},labels={path}"],
        "csv": [nncc, *train, SPIRALS, "--data", f"csv:{path},label=2"],
    }[fmt]


def problems(returncode, stderr):
    """What is wrong with how nncc refused a hostile file (empty: nothing)."""
    found = []
    if returncode != 1:
        found.append(f"exit status {returncode}, expected 1")
    if "error:" not in stderr:
        found.append("no 'error:' message")
    for marker in ("Sanitizer", "runtime error:", "internal error", "terminate called"):
        if marker in stderr:
            found.append(f"'{marker}' in stderr")
    return found
