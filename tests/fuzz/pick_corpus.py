#!/usr/bin/env python3
"""Adds inputs from a fuzzing run's corpora (scripts/fuzz keeps them in
build-fuzz/corpus/TARGET/) to the committed hostile corpus: each input nncc
refuses (corpus_commands.py) whose message is new — numbers, quoted text, shapes
and the path blanked out — up to --per-format files per format, as
tests/fuzz/corpus/FORMAT/fuzz_<sha1>.<ending>. An input that crashes or is
refused without a message is printed: that is a finding to fix first.
usage: pick_corpus.py NNCC FUZZ_CORPUS_DIR [--per-format K] [FORMAT...]"""
import argparse
import concurrent.futures
import hashlib
import os
import re
import subprocess
import sys

from corpus_commands import SUFFIX, command, problems

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("nncc")
ap.add_argument("fuzz_corpus")
ap.add_argument("--per-format", type=int, default=20)
ap.add_argument("formats", nargs="*", default=sorted(SUFFIX))
args = ap.parse_args()
env = dict(os.environ, OMP_NUM_THREADS="1")
tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"nncc_pick_{os.getpid()}")
os.makedirs(tmp, exist_ok=True)


def message_kind(err, path):
    line = next((l for l in err.splitlines() if "error:" in l), "")
    line = line.replace(path, "FILE")
    line = re.sub(r"'[^']*'", "'Q'", line)
    line = re.sub(r"\[[^\]]*\]", "[S]", line)
    line = re.sub(r"\b[0-9a-f]{8}\b", "H", line)  # checksums
    return re.sub(r"[0-9]+", "0", line)


def run(fmt, data):
    digest = hashlib.sha1(data).hexdigest()[:12]
    path = os.path.join(tmp, f"fuzz_{digest}{SUFFIX[fmt]}")
    with open(path, "wb") as f:
        f.write(data)
    try:
        r = subprocess.run(command(args.nncc, fmt, path), capture_output=True, timeout=60, env=env)
        err, code = r.stderr.decode("utf-8", "replace"), r.returncode
    except subprocess.TimeoutExpired:
        err, code = "timed out", None
    os.unlink(path)
    return digest, code, err, message_kind(err, path)


findings = 0
for fmt in args.formats:
    src = os.path.join(args.fuzz_corpus, fmt)
    names = sorted(os.listdir(src)) if os.path.isdir(src) else []
    inputs = [open(os.path.join(src, n), "rb").read() for n in names]
    out = os.path.join(here, "corpus", fmt)
    os.makedirs(out, exist_ok=True)
    seen, added = set(), 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = pool.map(lambda d: run(fmt, d), inputs)
        for data, (digest, code, err, kind) in zip(inputs, results):
            if code == 0:
                continue  # a valid input: not hostile
            found = problems(code, err) if code is not None else ["timed out"]
            if found:
                findings += 1
                print(f"FINDING {fmt} fuzz_{digest}: {'; '.join(found)}\n{err[-1500:]}")
                continue
            if kind in seen or added >= args.per_format:
                continue
            seen.add(kind)
            added += 1
            with open(os.path.join(out, f"fuzz_{digest}{SUFFIX[fmt]}"), "wb") as f:
                f.write(data)
    print(f"{fmt}: {len(inputs)} inputs, {added} refused with a new message added")
os.rmdir(tmp)
sys.exit(1 if findings else 0)
