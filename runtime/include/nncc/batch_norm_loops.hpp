// Batch normalization in training as loops over a batch [N, C, ...] seen
// as [n, c, inner] (inner: the product of the axes after C, 1 for
// features): the reference interpreter's kernels (on doubles) and the
// runtime's for every dtype. Not oneDNN: its batch normalization on plain
// NCHW arrays is a generic implementation (ncsp_bnorm), measured 2x slower
// than these vectorized passes in fashion_cnn_bn's step (its fast ones
// want blocked layouts, which would cost a reorder each way per call).
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

// Inlined into their callers, so the runtime's per-ISA clones of them
// (kernel_abi.cpp) compile the loops for each instruction set.
#define NNCC_INLINE [[gnu::always_inline]] inline
#define NNCC_INLINE_LAMBDA __attribute__((always_inline))

namespace nncc::loops {

struct NormShape {
  int64_t n, c, inner;
  int64_t per_channel() const { return n * inner; } // the elements one channel's statistics count
  /// Where row (i, ch) starts: s.inner contiguous elements. Every pass
  /// below reads a row while it is in cache: batch norm is bound by
  /// memory, so passes over the batch are what it costs.
  int64_t row(int64_t i, int64_t ch) const { return (i * c + ch) * inner; }
};

/// The sum of term(j) for j in [0, m), with sixteen independent partial
/// sums of type T so the compiler keeps them in vector lanes (a plain sum
/// is a chain of dependent adds: no vectors without -ffast-math). Rows are
/// short (a channel's image), so T's precision holds; callers add the rows
/// up in double.
template <typename T, typename Term> NNCC_INLINE double lane_sum(int64_t m, Term term) {
  std::array<T, 16> acc{};
  int64_t j = 0;
  for (; j + 16 <= m; j += 16)
    for (int k = 0; k < 16; ++k) acc[static_cast<size_t>(k)] += term(j + k);
  double total = 0;
  for (; j < m; ++j) total += static_cast<double>(term(j));
  for (T a : acc) total += static_cast<double>(a);
  return total;
}

inline double as_double(double v) { return v; }
inline double as_double(float v) { return static_cast<double>(v); }

/// stats[0..c) = each channel's mean, stats[c..2c) = its biased variance,
/// in one pass: sums of x - K and (x - K)^2 with K the channel's first
/// element, so a large mean does not cancel the variance away.
template <typename T> NNCC_INLINE void batch_stats(const NormShape &s, const T *x, T *stats) {
  auto count = static_cast<double>(s.per_channel());
  for (int64_t ch = 0; ch < s.c; ++ch) {
    T k = x[ch * s.inner];
    double sum = 0, squares = 0;
    for (int64_t i = 0; i < s.n; ++i) {
      const T *row = x + s.row(i, ch);
      sum += lane_sum<T>(s.inner, [&](int64_t j) NNCC_INLINE_LAMBDA { return row[j] - k; });
      squares += lane_sum<T>(s.inner, [&](int64_t j) NNCC_INLINE_LAMBDA { return (row[j] - k) * (row[j] - k); });
    }
    double shift = sum / count;
    stats[ch] = static_cast<T>(as_double(k) + shift);
    stats[s.c + ch] = static_cast<T>(std::max(squares / count - shift * shift, 0.0));
  }
}

/// 1 / sqrt(var + eps) of channel ch.
template <typename T> double inverse_std(const NormShape &s, const T *stats, int64_t ch, double eps) {
  return 1 / std::sqrt(as_double(stats[s.c + ch]) + eps);
}

/// y = (x - mean) / sqrt(var + eps) * gamma + beta per channel.
template <typename T> NNCC_INLINE void batch_norm(const NormShape &s, double eps, const T *x, const T *stats, const T *gamma, const T *beta, T *y) {
  for (int64_t ch = 0; ch < s.c; ++ch) {
    T mean = stats[ch], scale = static_cast<T>(as_double(gamma[ch]) * inverse_std(s, stats, ch, eps)), shift = beta[ch];
    for (int64_t i = 0; i < s.n; ++i) {
      const T *xr = x + s.row(i, ch);
      T *yr = y + s.row(i, ch);
      for (int64_t j = 0; j < s.inner; ++j) yr[j] = (xr[j] - mean) * scale + shift;
    }
  }
}

/// The gradient's sums per channel, from g = dL/dy: sums[0..c) = sum of
/// g * xhat (dL/dgamma), sums[c..2c) = sum of g (dL/dbeta), xhat the
/// normalized x.
template <typename T> NNCC_INLINE void batch_norm_grad_sums(const NormShape &s, double eps, const T *x, const T *stats, const T *g, T *sums) {
  for (int64_t ch = 0; ch < s.c; ++ch) {
    T mean = stats[ch];
    double g_xc = 0, g_sum = 0;
    for (int64_t i = 0; i < s.n; ++i) {
      const T *xr = x + s.row(i, ch), *gr = g + s.row(i, ch);
      g_xc += lane_sum<T>(s.inner, [&](int64_t j) NNCC_INLINE_LAMBDA { return gr[j] * (xr[j] - mean); });
      g_sum += lane_sum<T>(s.inner, [&](int64_t j) NNCC_INLINE_LAMBDA { return gr[j]; });
    }
    sums[ch] = static_cast<T>(g_xc * inverse_std(s, stats, ch, eps));
    sums[s.c + ch] = static_cast<T>(g_sum);
  }
}

/// dx of batch_norm with the batch's own statistics, given g = dL/dy and
/// the sums above: gamma / sqrt(var + eps) * (g - mean(g) - xhat *
/// mean(g * xhat)), the means over the channel's elements.
template <typename T>
NNCC_INLINE void batch_norm_grad(const NormShape &s, double eps, const T *x, const T *stats, const T *gamma, const T *g, const T *sums, T *dx) {
  auto count = static_cast<double>(s.per_channel());
  for (int64_t ch = 0; ch < s.c; ++ch) {
    double rstd = inverse_std(s, stats, ch, eps);
    // dx = a * g + b * x + c, per channel.
    double a = as_double(gamma[ch]) * rstd, mean_g = as_double(sums[s.c + ch]) / count, mean_g_xhat = as_double(sums[ch]) / count;
    double b = -a * mean_g_xhat * rstd, c = -a * mean_g - b * as_double(stats[ch]);
    T ta = static_cast<T>(a), tb = static_cast<T>(b), tc = static_cast<T>(c);
    for (int64_t i = 0; i < s.n; ++i) {
      const T *xr = x + s.row(i, ch), *gr = g + s.row(i, ch);
      T *dxr = dx + s.row(i, ch);
      for (int64_t j = 0; j < s.inner; ++j) dxr[j] = ta * gr[j] + tb * xr[j] + tc;
    }
  }
}

} // namespace nncc::loops

#undef NNCC_INLINE
#undef NNCC_INLINE_LAMBDA
