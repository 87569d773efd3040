#!/usr/bin/env bash
# examples/fashion_cnn.nn: nncc bench vs the same model in PyTorch eager
# (bench/torch_reference.py step --model cnn), alternated in one run, batch 64 and 128, 1
# and 2 threads. Needs Debian's python3-torch (/usr/bin/python3).
#   bench/cnn_side_by_side.sh [STEPS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
nncc="${NNCC:-$root/build/bin/nncc}"
steps="${1:-30}"
python=/usr/bin/python3
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; measured f32 FMA peak: $("$root/build/bench/peak_flops")"
echo "| batch | threads | nncc µs/step | PyTorch µs/step | PyTorch / nncc |"
echo "|---|---|---|---|---|"
for batch in 64 128; do
  for threads in 1 2; do
    n=$(OMP_NUM_THREADS=$threads "$nncc" bench "$root/examples/fashion_cnn.nn" --batch "$batch" --threads "$threads" --steps "$steps" --json)
    t=$(OMP_NUM_THREADS=$threads "$python" "$root/bench/torch_reference.py" step --model cnn --opt adam:1e-3 --batch "$batch" --threads "$threads" --steps "$steps")
    "$python" - "$batch" "$threads" "$n" "$t" <<'PY'
import json, sys
batch, threads, n, t = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
print(f"| {batch} | {threads} | {n['us_per_step']:,.0f} | {t['us_per_step']:,.0f} | {t['us_per_step'] / n['us_per_step']:.2f}x |")
PY
  done
done
