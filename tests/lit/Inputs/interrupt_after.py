#!/usr/bin/env python3
"""usage: interrupt_after.py PREFIX STATUS CMD [ARGS...] — runs CMD, sends it
one SIGINT (Ctrl-C) as soon as it prints a line starting with PREFIX, passes
its output through, and fails unless it then exits with exactly STATUS."""
import signal
import subprocess
import sys

prefix, want, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
sent = False
for line in p.stdout:
    sys.stdout.write(line)
    if not sent and line.startswith(prefix):
        p.send_signal(signal.SIGINT)
        sent = True
status = p.wait()
if not sent:
    print(f"interrupt_after: no line started with '{prefix}'", file=sys.stderr)
    sys.exit(1)
if status != want:
    print(f"interrupt_after: '{' '.join(cmd)}' exited with {status}, expected {want}", file=sys.stderr)
    sys.exit(1)
