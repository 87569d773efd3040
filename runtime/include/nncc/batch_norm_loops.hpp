// Batch normalization in training as plain loops over a batch [N, C, ...]
// seen as [n, c, inner] (inner: the product of the axes after C, 1 for
// features): the reference interpreter's kernels (on doubles), the
// runtime's batch statistics for every dtype, and its f64 path and
// fallback where oneDNN does the f32 normalization.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>

namespace nncc::loops {

struct NormShape {
  int64_t n, c, inner;
  int64_t per_channel() const { return n * inner; } // the elements one channel's statistics count
};

/// Calls f(row, m) for the contiguous rows of channel `ch`: m elements each.
template <typename T, typename F> void for_each_channel_row(const NormShape &s, int64_t ch, T *data, F f) {
  for (int64_t i = 0; i < s.n; ++i) f(data + (i * s.c + ch) * s.inner, s.inner);
}

/// The sum of term(row[j]) over a row, in double, with eight independent
/// partial sums so the compiler can keep them in vector lanes.
template <typename T, typename Term> double sum_row(const T *row, int64_t m, Term term) {
  std::array<double, 8> acc{};
  int64_t j = 0;
  for (; j + 8 <= m; j += 8)
    for (int k = 0; k < 8; ++k) acc[static_cast<size_t>(k)] += term(static_cast<double>(row[j + k]));
  double total = 0;
  for (; j < m; ++j) total += term(static_cast<double>(row[j]));
  for (double a : acc) total += a;
  return total;
}

/// stats[0..c) = each channel's mean, stats[c..2c) = its biased variance;
/// two passes (the mean first, then the squares around it), so a large
/// mean does not cancel the variance away.
template <typename T> void batch_stats(const NormShape &s, const T *x, T *stats) {
  auto count = static_cast<double>(s.per_channel());
  for (int64_t ch = 0; ch < s.c; ++ch) {
    double sum = 0, squares = 0;
    for_each_channel_row(s, ch, x, [&](const T *row, int64_t m) { sum += sum_row(row, m, [](double v) { return v; }); });
    double mean = sum / count;
    for_each_channel_row(s, ch, x, [&](const T *row, int64_t m) {
      squares += sum_row(row, m, [mean](double v) { return (v - mean) * (v - mean); });
    });
    stats[ch] = static_cast<T>(mean);
    stats[s.c + ch] = static_cast<T>(squares / count);
  }
}

/// y = (x - mean) / sqrt(var + eps) * gamma + beta per channel.
template <typename T> void batch_norm(const NormShape &s, double eps, const T *x, const T *stats, const T *gamma, const T *beta, T *y) {
  for (int64_t ch = 0; ch < s.c; ++ch) {
    T mean = stats[ch], scale = gamma[ch] / static_cast<T>(std::sqrt(static_cast<double>(stats[s.c + ch]) + eps)), shift = beta[ch];
    for (int64_t i = 0; i < s.n; ++i) {
      int64_t at = (i * s.c + ch) * s.inner;
      for (int64_t j = 0; j < s.inner; ++j) y[at + j] = (x[at + j] - mean) * scale + shift;
    }
  }
}

/// dx of batch_norm with the batch's own statistics, given g = dL/dy:
/// gamma / sqrt(var + eps) * (g - mean(g) - xhat * mean(g * xhat)), the
/// means over the channel's elements and xhat the normalized x.
template <typename T> void batch_norm_grad(const NormShape &s, double eps, const T *x, const T *stats, const T *gamma, const T *g, T *dx) {
  auto count = static_cast<double>(s.per_channel());
  for (int64_t ch = 0; ch < s.c; ++ch) {
    double mean = static_cast<double>(stats[ch]), rstd = 1 / std::sqrt(static_cast<double>(stats[s.c + ch]) + eps);
    double sum_g = 0, sum_g_xhat = 0;
    for (int64_t i = 0; i < s.n; ++i) {
      int64_t at = (i * s.c + ch) * s.inner;
      for (int64_t j = 0; j < s.inner; ++j) {
        sum_g += static_cast<double>(g[at + j]);
        sum_g_xhat += static_cast<double>(g[at + j]) * (static_cast<double>(x[at + j]) - mean) * rstd;
      }
    }
    double scale = static_cast<double>(gamma[ch]) * rstd, mean_g = sum_g / count, mean_g_xhat = sum_g_xhat / count;
    for (int64_t i = 0; i < s.n; ++i) {
      int64_t at = (i * s.c + ch) * s.inner;
      for (int64_t j = 0; j < s.inner; ++j) {
        double xhat = (static_cast<double>(x[at + j]) - mean) * rstd;
        dx[at + j] = static_cast<T>(scale * (static_cast<double>(g[at + j]) - mean_g - xhat * mean_g_xhat));
      }
    }
  }
}

} // namespace nncc::loops
