// The runtime's own loops on the session's threads: the OpenMP pool oneDNN
// runs on (Session sets its size), so loops and primitives never
// oversubscribe the cores.
#pragma once
#include "nncc/kernel_abi.h"

#include <omp.h>

#include <cstdint>

namespace nncc::runtime {

/// Calls task(part, parts) on each thread of the pool (parts: their
/// number), or task(0, 1) on the calling thread when the pass has fewer
/// than NNCC_MIN_PARALLEL_ELEMENTS elements.
template <typename Task> void on_threads(int64_t elements, Task task) {
  if (elements < NNCC_MIN_PARALLEL_ELEMENTS || omp_get_max_threads() < 2) return task(int64_t{0}, int64_t{1});
#pragma omp parallel
  task(int64_t{omp_get_thread_num()}, int64_t{omp_get_num_threads()});
}

/// Calls body(first, last) on each thread of the pool with its contiguous
/// share of [0, units) — the same split for the same thread count — or
/// body(0, units) once when `elements` (the pass's size) is small. Callers
/// split by units whose results no other unit touches (channels, planes),
/// so the numbers do not depend on the thread count. GCC compiles a
/// parallel region's body for the baseline ISA only: `body` should call a
/// function with per-ISA clones rather than hold the hot loop itself.
template <typename Body> void share_among_threads(int64_t units, int64_t elements, Body body) {
  on_threads(units < 2 ? 0 : elements, [&](int64_t part, int64_t parts) {
    int64_t first = units * part / parts, last = units * (part + 1) / parts;
    if (first < last) body(first, last);
  });
}

} // namespace nncc::runtime
