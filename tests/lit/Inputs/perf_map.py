"""Runs a command with NNCC_PERF_MAP=1 and prints the perf map it wrote
(/tmp/perf-<pid>.map, named after the command's process), then removes it.
Exits with the command's status; a missing map is an error."""
import os
import subprocess
import sys

env = dict(os.environ, NNCC_PERF_MAP="1")
proc = subprocess.Popen(sys.argv[1:], env=env, stdout=subprocess.DEVNULL)
status = proc.wait()
path = f"/tmp/perf-{proc.pid}.map"
if not os.path.exists(path):
    sys.exit(f"perf_map.py: {path} was not written")
with open(path) as f:
    sys.stdout.write(f.read())
os.remove(path)
sys.exit(status)
