#!/usr/bin/env python3
"""nncc against PyTorch eager, in one run, on the same models, batches,
optimizers and thread counts (issue 15's table).

For each configuration and thread count the two are run alternately,
ROUNDS times each (`nncc bench --json` and bench/torch_reference.py step);
the table shows the median over rounds of each run's median µs per step,
the ratio PyTorch / nncc, and nncc's GFLOP/s (FLOPs the matmuls and
convolutions of train_step execute) as a fraction of the f32 FMA peak
build/bench/peak_flops measures at the start, on this CPU. Then nncc's
compile time (cold: NNCC_CACHE=off, and with one code generation thread;
cached: a second compile), and with
--e2e Fashion-MNIST trained end to end by both (`nncc train` and
torch_reference.py train: data loading and evaluation included; wall time
of the whole process, test accuracy after the last epoch). With --bf16,
nncc's steps with `--precision bf16` against its f32 ones (alternated),
and with --e2e a bf16 Fashion-MNIST run's accuracy next to the f32 one's;
the peak line then shows the CPU's bf16 dot-product rate and whether it
has AMX, which decide what bf16 can gain.

usage: bench/side_by_side.py [--rounds R] [--configs xor,small,...] [--threads 1,2]
                             [--e2e] [--epochs E] [--bf16 mid,big,cnn] [--json FILE]
Needs Debian's python3-torch and libopenblas0-openmp (bench/setup) and a
built nncc (scripts/build nncc bench). Run it on an otherwise idle machine."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("NNCC_BUILD_DIR", os.path.join(ROOT, "build"))
NNCC = os.environ.get("NNCC", os.path.join(BUILD, "bin", "nncc"))
TORCH_PYTHON = "/usr/bin/python3"  # Debian's python3-torch lives there, not in a pyenv

# name: (.nn file, batch, PyTorch model, PyTorch optimizer, nncc steps, PyTorch steps)
CONFIGS = {
    "xor": ("examples/xor.nn", 4, "xor", "sgd:0.5", 20000, 2000),
    "small": ("bench/models/small_mlp.nn", 64, "mlp:784,128,10", "sgd:0.1", 2000, 300),
    "mid": ("examples/fashion_mlp.nn", 128, "mlp:784,512,256,10", "adam:1e-3", 300, 60),
    "big": ("bench/models/big_mlp.nn", 256, "mlp:784,2048,2048,10", "adam:1e-3", 20, 10),
    "cnn": ("examples/fashion_cnn.nn", 128, "cnn", "adam:1e-3", 15, 8),
    "chartf": ("examples/char_transformer.nn", 32, "chartf", "adamw:1e-3", 30, 15),
}


def openblas_core():
    """OpenBLAS cannot name these VMs' CPUs and falls back to its Prescott
    (SSE3) kernels, 2-3x slower: name the core from the CPU's flags, so
    PyTorch's matmuls run as fast as the CPU allows."""
    if "OPENBLAS_CORETYPE" in os.environ:
        return os.environ["OPENBLAS_CORETYPE"]
    flags = next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
    return "SkylakeX" if "avx512f" in flags else "Haswell" if "avx2" in flags else "Prescott"


def run(cmd, threads, env=None):
    # OpenMP's default wait policy: threads spin briefly between parallel
    # regions. OMP_WAIT_POLICY=passive (right when two OpenMP processes
    # share the cores, as ctest -j2 does) made 2-thread steps up to 4x slower.
    e = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_CORETYPE=openblas_core(), **(env or {}))
    e.pop("OMP_WAIT_POLICY", None)
    out = subprocess.run(cmd, env=e, check=True, capture_output=True, text=True).stdout
    return out


def nncc_step(config, threads, precision="f32"):
    path, batch, _, _, steps, _ = CONFIGS[config]
    out = run([NNCC, "bench", os.path.join(ROOT, path), "--batch", str(batch), "--threads", str(threads),
               "--steps", str(steps), "--precision", precision, "--json"], threads)
    return json.loads(out)


def torch_step(config, threads):
    _, batch, model, opt, _, steps = CONFIGS[config]
    out = run([TORCH_PYTHON, os.path.join(ROOT, "bench", "torch_reference.py"), "step", "--model", model, "--opt", opt,
               "--batch", str(batch), "--threads", str(threads), "--steps", str(steps)], threads)
    return json.loads(out)


def compile_times(rounds):
    """Cold and cached compile of the mid model's train_step (nncc bench's
    figure), and cold with one code generation thread (NNCC_COMPILE_THREADS=1,
    the baseline of parallel code generation), alternated."""
    cold, cached, one_thread = [], [], []
    path = os.path.join(ROOT, CONFIGS["mid"][0])
    cmd = [NNCC, "bench", path, "--batch", "128", "--threads", "1", "--steps", "1", "--json"]
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as cache:
            first = json.loads(run(cmd, 1, {"NNCC_CACHE_DIR": cache}))
            second = json.loads(run(cmd, 1, {"NNCC_CACHE_DIR": cache}))
            assert not first["compiled_from_cache"] and second["compiled_from_cache"]
            cold.append(first["compile_ms"])
            cached.append(second["compile_ms"])
        one_thread.append(json.loads(run(cmd, 1, {"NNCC_CACHE": "off", "NNCC_COMPILE_THREADS": "1"}))["compile_ms"])
    return statistics.median(cold), statistics.median(cached), statistics.median(one_thread)


def timed(cmd, threads):
    """(stdout, wall seconds, peak resident MB) of one process."""
    e = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_CORETYPE=openblas_core())
    e.pop("OMP_WAIT_POLICY", None)
    t0 = time.perf_counter()
    with subprocess.Popen(cmd, env=e, stdout=subprocess.PIPE, text=True) as p:
        out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed with status {p.returncode}")
    return out, time.perf_counter() - t0, usage.ru_maxrss / 1024


def nncc_train(epochs, threads, precision="f32"):
    """(wall seconds, test accuracy, peak resident MB) of nncc train on Fashion-MNIST."""
    out, seconds, mb = timed([NNCC, "train", os.path.join(ROOT, "examples", "fashion_mlp.nn"), "--data", "fashion-mnist",
                              "--epochs", str(epochs), "--batch", "128", "--threads", str(threads), "--precision", precision], threads)
    return seconds, float(re.findall(r"test_acc ([0-9.]+)", out)[-1]), mb


def bf16_against_f32(configs, thread_counts, rounds, e2e_epochs):
    """nncc's µs per step with --precision bf16 and f32, alternated."""
    print()
    print("| config | threads | nncc f32 µs/step | nncc bf16 µs/step | bf16 speed-up |")
    print("|---|---|---|---|---|")
    rows = []
    for config in configs:
        for threads in thread_counts:
            f32, bf16 = [], []
            for _ in range(rounds):
                f32.append(nncc_step(config, threads)["us_per_step"])
                bf16.append(nncc_step(config, threads, "bf16")["us_per_step"])
            a, b = statistics.median(f32), statistics.median(bf16)
            rows.append({"config": config, "threads": threads, "f32_us": a, "bf16_us": b, "speedup": a / b})
            print(f"| {config} | {threads} | {a:,.1f} | {b:,.1f} | {a / b:.2f}x |", flush=True)
    result = {"steps": rows}
    if e2e_epochs:
        f32_s, f32_acc, _ = nncc_train(e2e_epochs, 2)
        bf16_s, bf16_acc, _ = nncc_train(e2e_epochs, 2, "bf16")
        result["end_to_end"] = {"epochs": e2e_epochs, "f32_s": f32_s, "f32_test_acc": f32_acc, "bf16_s": bf16_s, "bf16_test_acc": bf16_acc}
        print(f"Fashion-MNIST, fashion_mlp, {e2e_epochs} epochs, 2 threads: f32 {f32_s:.1f} s, test acc {f32_acc:.4f}; "
              f"bf16 {bf16_s:.1f} s, test acc {bf16_acc:.4f}")
    return result


def end_to_end(epochs, threads):
    nncc_s, nncc_acc, nncc_mb = nncc_train(epochs, threads)
    out, torch_s, torch_mb = timed([TORCH_PYTHON, os.path.join(ROOT, "bench", "torch_reference.py"), "train", "--epochs", str(epochs),
                                    "--batch", "128", "--threads", str(threads)], threads)
    return {"epochs": epochs, "threads": threads, "nncc_s": nncc_s, "nncc_test_acc": nncc_acc, "nncc_peak_mb": nncc_mb,
            "torch_s": torch_s, "torch_test_acc": json.loads(out)["test_acc"], "torch_peak_mb": torch_mb}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--threads", default="1,2")
    p.add_argument("--e2e", action="store_true", help="also train Fashion-MNIST end to end with both")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--bf16", help="also compare nncc's --precision bf16 steps with f32 on these configs (e.g. mid,big,cnn)")
    p.add_argument("--json", help="write the results here too")
    a = p.parse_args()

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
    peak = json.loads(run([os.path.join(BUILD, "bench", "peak_flops")], os.cpu_count()))
    torch_version = run([TORCH_PYTHON, "-c", "import torch; print(torch.__version__)"], 1).strip()
    print(f"CPU: {cpu}, {os.cpu_count()} cores, {peak['isa']}; measured f32 FMA peak {peak['f32_fma_gflops_1_thread']:.1f} GFLOP/s "
          f"on 1 thread, {peak['f32_fma_gflops_all']:.1f} on {peak['threads']}"
          + (f"; bf16 dot products {peak['bf16_dot_gflops_1_thread']:.1f} GFLOP/s on 1 thread" if "bf16_dot_gflops_1_thread" in peak else "")
          + f"; AMX {'yes' if peak['amx'] else 'no'}; PyTorch {torch_version} "
          f"(OPENBLAS_CORETYPE={openblas_core()}); {a.rounds} rounds")
    print()
    print("| config | threads | nncc µs/step | PyTorch µs/step | PyTorch / nncc | nncc GFLOP/s | of peak |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for config in a.configs.split(","):
        for threads in (int(t) for t in a.threads.split(",")):
            ours, theirs, gflops = [], [], []
            for _ in range(a.rounds):
                n = nncc_step(config, threads)
                ours.append(n["us_per_step"])
                gflops.append(n["gflops"])
                theirs.append(torch_step(config, threads)["us_per_step"])
            us, torch_us, g = statistics.median(ours), statistics.median(theirs), statistics.median(gflops)
            peak_here = peak["f32_fma_gflops_1_thread"] if threads == 1 else peak["f32_fma_gflops_all"] * threads / peak["threads"]
            rows.append({"config": config, "threads": threads, "batch": CONFIGS[config][1], "nncc_us": us, "torch_us": torch_us,
                         "ratio": torch_us / us, "nncc_gflops": g, "fraction_of_peak": g / peak_here,
                         "nncc_runs_us": ours, "torch_runs_us": theirs})
            print(f"| {config} | {threads} | {us:,.1f} | {torch_us:,.1f} | {torch_us / us:.2f}x | {g:.1f} | {100 * g / peak_here:.0f} % |",
                  flush=True)
    cold, cached, one_thread = compile_times(a.rounds)
    print()
    print(f"compile (mid, train_step, -O2): {cold:.1f} ms cold ({one_thread:.1f} ms with one code generation thread), "
          f"{cached:.1f} ms from the cache")
    result = {"cpu": cpu, "cores": os.cpu_count(), "peak": peak, "torch": torch_version, "openblas_core": openblas_core(),
              "rounds": a.rounds, "steps": rows,
              "compile_ms": {"cold": cold, "cached": cached, "cold_one_codegen_thread": one_thread}}
    if a.e2e:
        e = end_to_end(a.epochs, 2)
        result["end_to_end"] = e
        print(f"Fashion-MNIST, fashion_mlp, {e['epochs']} epochs, batch 128, {e['threads']} threads, whole process: "
              f"nncc {e['nncc_s']:.1f} s (test acc {e['nncc_test_acc']:.4f}), PyTorch {e['torch_s']:.1f} s "
              f"(test acc {e['torch_test_acc']:.4f}): {e['nncc_s'] / e['torch_s']:.2f}x PyTorch's wall time; "
              f"peak resident memory nncc {e['nncc_peak_mb']:.0f} MB, PyTorch {e['torch_peak_mb']:.0f} MB")
    if a.bf16:
        result["bf16"] = bf16_against_f32(a.bf16.split(","), [int(t) for t in a.threads.split(",")], a.rounds, a.epochs if a.e2e else 0)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)
        print(f"wrote {a.json}")


if __name__ == "__main__":
    sys.exit(main())
