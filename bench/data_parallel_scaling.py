#!/usr/bin/env python3
"""Data-parallel scaling on this machine, in one run: build/bench/data_parallel
under `mpirun -np 1` and `-np K` (1 thread per process), alternated, --rounds
times per model; prints the medians of µs per step of the global batch, the
speed-up, the scaling efficiency (t1 / (K * tK)) and the time per step spent
in the collectives (the gradient sum: reduction to process 0 + broadcast,
including the wait for the slowest process), after the CPU model and its
measured f32 FMA peak. usage:
  python3 bench/data_parallel_scaling.py [--processes 2] [--rounds 3] [--models mid,big,cnn] [--json FILE]"""
import argparse
import json
import os
import statistics
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
MODELS = {  # name: (model file, global batch, steps)
    "mid": ("examples/fashion_mlp.nn", 128, 40),
    "big": ("bench/models/big_mlp.nn", 256, 10),
    "cnn": ("examples/fashion_cnn.nn", 64, 10),
}


def run(cmd):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env.pop("OMP_WAIT_POLICY", None)
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout


def step(model, processes):
    path, batch, steps = MODELS[model]
    out = run(["mpirun", "--oversubscribe", "--allow-run-as-root", "-np", str(processes), os.path.join(BUILD, "bench", "data_parallel"),
               os.path.join(ROOT, path), str(batch), str(steps)])
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--models", default="mid,big,cnn")
    p.add_argument("--json")
    a = p.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
    peak = json.loads(run([os.path.join(BUILD, "bench", "peak_flops")]))
    k = a.processes
    print(f"CPU: {cpu}, {os.cpu_count()} cores, {peak['isa']}; measured f32 FMA peak {peak['f32_fma_gflops_1_thread']:.1f} GFLOP/s "
          f"on 1 thread; 1 thread per process; {a.rounds} rounds, alternated")
    print()
    print(f"| model | global batch | gradient MB | 1 process µs/step | {k} processes µs/step | speed-up | efficiency | collectives µs/step ({k} processes) |")
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for model in a.models.split(","):
        one, many, combine = [], [], []
        for _ in range(a.rounds):
            one.append(step(model, 1)["us_per_step"])
            r = step(model, k)
            many.append(r["us_per_step"])
            combine.append(r["combine_us_per_step"])
        t1, tk, c = statistics.median(one), statistics.median(many), statistics.median(combine)
        row = {"model": model, "global_batch": MODELS[model][1], "gradient_mb": r["gradient_mb"], "processes": k, "us_1": t1, "us_k": tk,
               "speedup": t1 / tk, "efficiency": t1 / (k * tk), "collective_us_k": c}
        rows.append(row)
        print(f"| {model} | {row['global_batch']} | {row['gradient_mb']:.2f} | {t1:,.0f} | {tk:,.0f} | {t1 / tk:.2f}x | {100 * t1 / (k * tk):.0f} % | {c:,.0f} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"cpu": cpu, "peak": peak, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
