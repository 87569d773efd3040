#!/usr/bin/env python3
"""Feeds every file of the hostile corpus (CORPUS_DIR/FORMAT/*) to nncc the
way a user would (corpus_commands.py: check, opt, eval --weights, train
--data) and checks each ends with exit status 1 and an error message: no
crash, no abort, no sanitizer report, no hang.
usage: run_corpus.py NNCC CORPUS_DIR"""
import concurrent.futures
import os
import subprocess
import sys

from corpus_commands import SUFFIX, command, problems

nncc, corpus = sys.argv[1], sys.argv[2]
env = dict(os.environ, OMP_NUM_THREADS="1", ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
           UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
jobs = [(fmt, os.path.join(corpus, fmt, name)) for fmt in sorted(SUFFIX) if os.path.isdir(os.path.join(corpus, fmt))
        for name in sorted(os.listdir(os.path.join(corpus, fmt)))]


def run(job):
    fmt, path = job
    try:
        r = subprocess.run(command(nncc, fmt, path), capture_output=True, timeout=120, env=env)
    except subprocess.TimeoutExpired:
        return ["timed out after 120 s"], ""
    err = r.stderr.decode("utf-8", "replace")
    return problems(r.returncode, err), err


counts, failures = {}, []
with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
    for (fmt, path), (found, err) in zip(jobs, pool.map(run, jobs)):
        counts[fmt] = counts.get(fmt, 0) + 1
        if found:
            failures.append(f"{os.path.relpath(path, corpus)}: {'; '.join(found)}\n{err[-2000:]}")
for f in failures:
    print("FAIL", f)
print(", ".join(f"{fmt} {n}" for fmt, n in counts.items()))
print(f"{len(jobs) - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures or not jobs else 0)
