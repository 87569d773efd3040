#!/usr/bin/env python3
"""usage: expect_exit.py STATUS CMD [ARGS...] — runs CMD, passes its output
through, and fails unless it exits with exactly STATUS (lit's `not` accepts
any non-zero status)."""
import subprocess
import sys

want = int(sys.argv[1])
r = subprocess.run(sys.argv[2:])
if r.returncode != want:
    print(f"expect_exit: '{' '.join(sys.argv[2:])}' exited with {r.returncode}, expected {want}", file=sys.stderr)
    sys.exit(1)
