// Whether oneDNN multiplies bf16 operands on this CPU. It does on AVX-512
// (fast with avx512_bf16 or AMX); below it (AVX2 only, e.g. a VM that hides
// AVX-512) nncc widens bf16 operands to f32 and runs the f32 primitive:
// bf16 values are exact in f32, so the products are the same and the sums
// are f32 as with native bf16 (only their order may differ) — the same
// numbers at f32 speed, as PyTorch's CPU fallback does.
#pragma once
#include "nncc/bf16.h"

#include <algorithm>
#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

namespace nncc::runtime {

inline bool onednn_has_bf16() {
  static const bool has = dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core;
  return has;
}

/// `n` bf16 values widened to f32 in `buffer` (f32 operands pass as they are).
inline const float *as_f32(const float *x, int64_t, std::vector<float> &) { return x; }
inline const float *as_f32(const uint16_t *x, int64_t n, std::vector<float> &buffer) {
  buffer.resize(static_cast<size_t>(n));
  std::transform(x, x + n, buffer.begin(), [](uint16_t v) { return bf16::to_float(v); });
  return buffer.data();
}

} // namespace nncc::runtime
