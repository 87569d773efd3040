#include "data/loaders.h"

#include "nncc/rng.h"

#include <cmath>
#include <fmt/format.h>
#include <numbers>

namespace nncc::data {

Dataset xor_dataset() {
  return {"xor", {{"x", Tensor::f32({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1})}, {"y", Tensor::f32({4, 1}, {0, 1, 1, 0})}}, 4};
}

Dataset spirals(int64_t n, int64_t k, uint64_t seed) {
  if (n < 2 || k < 1) throw Error(fmt::format("spirals: n must be at least 2 and k at least 1 (got n={}, k={})", n, k));
  int64_t rows = n * k;
  Tensor x(DType::F32, {rows, 2}), y(DType::I32, {rows});
  for (int64_t arm = 0; arm < k; ++arm)
    for (int64_t i = 0; i < n; ++i) {
      int64_t row = arm * n + i;
      // Box-Muller on two counter-based uniforms: the same points everywhere.
      double u1 = 1.0 - rng::uniform(seed, 0x5917a15, static_cast<uint64_t>(2 * row));
      double u2 = rng::uniform(seed, 0x5917a15, static_cast<uint64_t>(2 * row + 1));
      double noise = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
      double radius = static_cast<double>(i) / static_cast<double>(n - 1);
      double angle = 4.0 * static_cast<double>(arm) + 4.0 * radius + 0.2 * noise;
      x.data<float>()[2 * row] = static_cast<float>(radius * std::sin(angle));
      x.data<float>()[2 * row + 1] = static_cast<float>(radius * std::cos(angle));
      y.data<int32_t>()[row] = static_cast<int32_t>(arm);
    }
  return {fmt::format("spirals (n={}, k={})", n, k), {{"x", std::move(x)}, {"y", std::move(y)}}, rows};
}

} // namespace nncc::data
