#!/usr/bin/env python3
"""Runs `NNCC check FILE` on every file of a corpus of malformed inputs and
checks each ends with exit status 1 and an `error:` diagnostic: no crash, no
abort, no sanitizer report, no hang.   usage: run_corpus.py NNCC CORPUS_DIR"""
import os
import subprocess
import sys

nncc, corpus = sys.argv[1], sys.argv[2]
env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
           UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
passed, failures = 0, []
for name in sorted(os.listdir(corpus)):
    path = os.path.join(corpus, name)
    try:
        r = subprocess.run([nncc, "check", path], capture_output=True, timeout=60, env=env)
    except subprocess.TimeoutExpired:
        failures.append(f"{name}: timed out")
        continue
    err = r.stderr.decode("utf-8", "replace")
    problems = []
    if r.returncode != 1:
        problems.append(f"exit status {r.returncode}, expected 1")
    if "error:" not in err:
        problems.append("no 'error:' diagnostic")
    for marker in ("Sanitizer", "runtime error:", "internal error"):
        if marker in err:
            problems.append(f"'{marker}' in stderr")
    if problems:
        failures.append(f"{name}: {'; '.join(problems)}\n{err[-2000:]}")
    else:
        passed += 1
for f in failures:
    print("FAIL", f)
print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures or passed == 0 else 0)
