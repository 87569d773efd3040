// The plain loop of one matrix product, for products too small for oneDNN,
// f64, and strides oneDNN refuses: shared by matmul.cpp (2-D, transposes as
// flags) and batch_matmul.cpp (each matrix of a batch, any strides).
#pragma once
#include "nncc/bf16.h"

#include <cstdint>

namespace nncc::runtime {

/// An operand element as the accumulator's type (bf16 bits widened to f32).
inline float widen(float x) { return x; }
inline double widen(double x) { return x; }
inline float widen(uint16_t bf16_bits) { return bf16::to_float(bf16_bits); }

/// c[i n + j] += Σ_p a[i am + p ak] · b[p bk + j bn] for an m × n block of c
/// (rows of n elements) — c is not cleared.
template <typename In, typename Out>
void accumulate_product(const In *a, int64_t am, int64_t ak, const In *b, int64_t bk, int64_t bn, Out *c, int64_t m, int64_t k,
                        int64_t n) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) {
      Out aip = widen(a[i * am + p * ak]);
      const In *brow = b + p * bk;
      Out *crow = c + i * n;
      for (int64_t j = 0; j < n; ++j) crow[j] += aip * widen(brow[j * bn]);
    }
}

} // namespace nncc::runtime
