// The runtime's own loops on the session's threads: the OpenMP pool oneDNN
// runs on (Session sets its size), so loops and primitives never
// oversubscribe the cores.
#pragma once
#include <omp.h>

#include <cstdint>

namespace nncc::runtime {

/// Below this many elements a pass runs on the calling thread: waking the
/// pool costs more than it saves.
constexpr int64_t kMinParallelElements = int64_t{1} << 15;

/// Calls body(first, last) on each thread of the pool with its contiguous
/// share of [0, units) — the same split for the same thread count — or
/// body(0, units) once when `elements` (the pass's size) is small. Callers
/// split by units whose results no other unit touches (channels, planes),
/// so the numbers do not depend on the thread count. GCC compiles a
/// parallel region's body for the baseline ISA only: `body` should call a
/// function with per-ISA clones rather than hold the hot loop itself.
template <typename Body> void share_among_threads(int64_t units, int64_t elements, Body body) {
  if (units < 2 || elements < kMinParallelElements || omp_get_max_threads() < 2) return body(int64_t{0}, units);
#pragma omp parallel
  {
    int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    int64_t first = units * t / threads, last = units * (t + 1) / threads;
    if (first < last) body(first, last);
  }
}

} // namespace nncc::runtime
