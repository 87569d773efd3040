// --check-nan's scan of a value and its report, shared by compiled code's
// runtime check (kernel_abi.cpp) and the reference interpreter, so that
// both find the same element and say the same words.
#pragma once
#include <cmath>
#include <cstdint>
#include <fmt/format.h>
#include <string>
#include <string_view>

namespace nncc::nonfinite {

struct Found {
  int64_t count = 0;  // elements that are nan or ±inf
  int64_t first = -1; // index of the first of them (row-major)
  double value = 0;   // its value
};

/// The non-finite elements of data[0, n); `to_double` reads one element.
template <typename T, typename ToDouble> Found scan(const T *data, int64_t n, ToDouble to_double) {
  Found f;
  for (int64_t i = 0; i < n; ++i) {
    double v = to_double(data[i]);
    if (std::isfinite(v)) continue;
    if (f.count++ == 0) f.first = i, f.value = v;
  }
  return f;
}

/// Whether any of data[0, n) is nan or ±inf: the exponent bits all ones.
/// Branch-free over integer bits and vectorized (omp simd: GCC does not
/// vectorize at -O2), so the common case — all finite — costs one pass
/// at memory speed.
template <typename Bits> bool any_nonfinite_bits(const Bits *data, int64_t n, Bits exponent) {
  Bits any = 0;
#ifdef _OPENMP
#pragma omp simd reduction(| : any)
#endif
  for (int64_t i = 0; i < n; ++i) any |= static_cast<Bits>((data[i] & exponent) == exponent);
  return any != 0;
}

/// "check-nan: step 3: <what> has nan in 2 of 8 elements (the first is
/// element 5)" then `where` (a located note with the source line).
inline std::string report(std::string_view what, std::string_view where, const Found &f, int64_t n, uint64_t step) {
  std::string value = std::isnan(f.value) ? "nan" : f.value > 0 ? "inf" : "-inf";
  return fmt::format("check-nan: step {}: {} has {} in {} of {} elements (the first is element {})\n{}", step, what, value,
                     f.count, n, f.first, where);
}

} // namespace nncc::nonfinite
