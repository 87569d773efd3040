#!/usr/bin/env python3
"""Starts a data-parallel run (the command after --), waits until process
RANK has trained for a while, sends it SIGKILL (or SIGSTOP: a process that
hangs; or SIGUSR1 to mpirun, which passes it on to every process) and
reports how the whole job ended: its exit status, seconds from the signal
to the end, and mpirun's and nncc's messages (stdout and stderr). usage:
kill_rank.py --rank R --after SECONDS [--signal KILL|STOP|USR1] -- mpirun ... nncc train ..."""
import argparse
import os
import signal
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--rank", type=int, default=1)
ap.add_argument("--after", type=float, default=3.0)
ap.add_argument("--signal", choices=["KILL", "STOP", "USR1"], default="KILL")
ap.add_argument("command", nargs=argparse.REMAINDER)
args = ap.parse_args()
command = args.command[1:] if args.command[:1] == ["--"] else args.command


def rank_pid(root, rank):
    """The pid of the descendant of `root` that MPI started as `rank`."""
    children = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(pid))
        except OSError:
            pass
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
            with open(f"/proc/{pid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        if name == "nncc" and f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
            return pid
        todo.extend(children.get(pid, []))
    return None


job = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
deadline = time.time() + 60
pid = None
while pid is None and time.time() < deadline and job.poll() is None:
    time.sleep(0.2)
    pid = rank_pid(job.pid, args.rank)
if pid is None:
    sys.exit(f"process {args.rank} never started (job status {job.poll()})")
time.sleep(args.after)
if job.poll() is not None:
    sys.exit(f"the job ended before the signal (status {job.returncode}):\n{job.stdout.read()}")
os.kill(job.pid if args.signal == "USR1" else pid, getattr(signal, "SIG" + args.signal))
killed = time.time()
try:
    output, _ = job.communicate(timeout=60)
except subprocess.TimeoutExpired:
    job.kill()
    job.kill()
    os.kill(pid, signal.SIGKILL)
    sys.exit(f"the job still ran 60 s after SIG{args.signal}: it hangs")
target = "mpirun" if args.signal == "USR1" else f"process {args.rank}"
print(f"SIG{args.signal} to {target}; the job ended with status {job.returncode} after {time.time() - killed:.1f} s")
print(f"within 30 s: {'yes' if time.time() - killed < 30 else 'no'}")
sys.stdout.write(output)
