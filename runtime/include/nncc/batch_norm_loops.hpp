// Batch normalization in training as loops over a batch [N, C, ...] seen
// as [n, c, inner] (inner: the product of the axes after C, 1 for
// features), stored plain or channel-blocked ([n, c/B, inner, B], B
// channels side by side: ir::Layout::Blocked): the reference interpreter's
// kernels (on doubles, plain) and the runtime's for every dtype. Not
// oneDNN: its batch normalization on plain NCHW arrays is a generic
// implementation (ncsp_bnorm), measured 2x slower than these vectorized
// passes in fashion_cnn_bn's step.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

// Inlined into their callers, so the runtime's per-ISA clones of them
// (kernel_abi.cpp) compile the loops for each instruction set.
#include "nncc/always_inline.hpp"

namespace nncc::loops {

struct NormShape {
  int64_t n, c, inner;
  int64_t lanes = 1;         // B of a channel-blocked batch (8 or 16); 1: plain
  int64_t from = 0, to = -1; // the channels [from, to) a pass covers (-1: to the last), multiples of lanes:
                             // threads share a pass by channels, each channel summed by one in one order
  int64_t first() const { return from; }
  int64_t last() const { return to < 0 ? c : to; }
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

/// The passes below on a channel-blocked batch: each runs over the B
/// channels of a block at once (B contiguous lanes, one vector), slab by
/// slab ([inner, B] for one sample), so the same passes over memory as
/// the plain loops. Partial sums are per slab in T, then in double.
namespace blocked {

template <int B> int64_t slab(const NormShape &s, int64_t i, int64_t block) { return (i * (s.c / B) + block) * s.inner * B; }

template <int B, typename T> NNCC_INLINE void batch_stats(const NormShape &s, const T *x, T *stats) {
  auto count = static_cast<double>(s.per_channel());
  for (int64_t block = s.first() / B; block < s.last() / B; ++block) {
    std::array<T, B> k;
    std::array<double, B> sum{}, squares{};
    for (int l = 0; l < B; ++l) k[l] = x[slab<B>(s, 0, block) + l];
    for (int64_t i = 0; i < s.n; ++i) {
      const T *xs = x + slab<B>(s, i, block);
      std::array<T, B> ps{}, pq{};
      for (int64_t j = 0; j < s.inner; ++j)
        for (int l = 0; l < B; ++l) {
          T d = xs[j * B + l] - k[l];
          ps[l] += d;
          pq[l] += d * d;
        }
      for (int l = 0; l < B; ++l) sum[l] += as_double(ps[l]), squares[l] += as_double(pq[l]);
    }
    for (int l = 0; l < B; ++l) {
      int64_t ch = block * B + l;
      double shift = sum[l] / count;
      stats[ch] = static_cast<T>(as_double(k[l]) + shift);
      stats[s.c + ch] = static_cast<T>(std::max(squares[l] / count - shift * shift, 0.0));
    }
  }
}

/// One slab of `affine`: the B lanes of every position at once. The
/// pointers never overlap (primitives never write in place), which
/// __restrict tells the vectorizer. `relu`: max(·, 0) in the same pass.
template <int B, bool with_q, bool relu, typename T>
NNCC_INLINE void affine_slab(int64_t inner, const std::array<std::array<T, B>, 4> &t, const T *__restrict p, const T *__restrict q,
                             T *__restrict out) {
  for (int64_t j = 0; j < inner; ++j)
    for (int l = 0; l < B; ++l) {
      int64_t e = j * B + l;
      T v = t[0][l] * (p[e] - t[3][l]) + t[2][l];
      if constexpr (with_q) v += t[1][l] * q[e];
      if constexpr (relu) v = v > T(0) ? v : T(0);
      out[e] = v;
    }
}

/// out = a * (p - m) + b * q + c per channel (a, b, c, m: [c] arrays; q
/// null: no b term), then relu'd when asked (a batch norm's fused relu).
template <int B, typename T>
NNCC_INLINE void affine(const NormShape &s, const std::vector<double> *coef, const T *p, const T *q, bool relu, T *out) {
  for (int64_t block = s.first() / B; block < s.last() / B; ++block) {
    std::array<std::array<T, B>, 4> t; // a, b, c, m
    for (size_t k = 0; k < 4; ++k)
      for (int l = 0; l < B; ++l) t[k][l] = static_cast<T>(coef[k][static_cast<size_t>(block * B + l)]);
    for (int64_t i = 0; i < s.n; ++i) {
      int64_t at = slab<B>(s, i, block);
      if (q) affine_slab<B, true, false>(s.inner, t, p + at, q + at, out + at);
      else if (relu) affine_slab<B, false, true>(s.inner, t, p + at, q, out + at);
      else affine_slab<B, false, false>(s.inner, t, p + at, q, out + at);
    }
  }
}

template <int B, typename T> NNCC_INLINE void grad_sums(const NormShape &s, const T *x, const T *stats, const T *g, double *g_xc, double *g_sum) {
  for (int64_t block = s.first() / B; block < s.last() / B; ++block) {
    std::array<T, B> mean;
    for (int l = 0; l < B; ++l) mean[l] = stats[block * B + l];
    for (int64_t i = 0; i < s.n; ++i) {
      int64_t at = slab<B>(s, i, block);
      std::array<T, B> pxc{}, ps{};
      for (int64_t j = 0; j < s.inner; ++j)
        for (int l = 0; l < B; ++l) {
          T gv = g[at + j * B + l];
          pxc[l] += gv * (x[at + j * B + l] - mean[l]);
          ps[l] += gv;
        }
      for (int l = 0; l < B; ++l) g_xc[block * B + l] += as_double(pxc[l]), g_sum[block * B + l] += as_double(ps[l]);
    }
  }
}

template <int B, typename T> NNCC_INLINE void sums(const NormShape &s, const T *x, T *out) {
  for (int64_t block = s.first() / B; block < s.last() / B; ++block) {
    std::array<double, B> total{};
    for (int64_t i = 0; i < s.n; ++i) {
      const T *xs = x + slab<B>(s, i, block);
      std::array<T, B> partial{};
      for (int64_t j = 0; j < s.inner; ++j)
        for (int l = 0; l < B; ++l) partial[l] += xs[j * B + l];
      for (int l = 0; l < B; ++l) total[l] += as_double(partial[l]);
    }
    for (int l = 0; l < B; ++l) out[block * B + l] = static_cast<T>(total[l]);
  }
}

/// Dispatches a pass on the batch's block size.
#define NNCC_BLOCKED(pass, ...) (s.lanes == 16 ? blocked::pass<16>(__VA_ARGS__) : blocked::pass<8>(__VA_ARGS__))

} // namespace blocked

/// out[ch] = the sum of channel ch (a convolution bias's gradient).
template <typename T> NNCC_INLINE void channel_sums(const NormShape &s, const T *x, T *out) {
  if (s.lanes > 1) return NNCC_BLOCKED(sums, s, x, out);
  for (int64_t ch = s.first(); ch < s.last(); ++ch) {
    double total = 0;
    for (int64_t i = 0; i < s.n; ++i) {
      const T *row = x + s.row(i, ch);
      total += lane_sum<T>(s.inner, [&](int64_t j) NNCC_INLINE_LAMBDA { return row[j]; });
    }
    out[ch] = static_cast<T>(total);
  }
}

/// stats[0..c) = each channel's mean, stats[c..2c) = its biased variance,
/// in one pass: sums of x - K and (x - K)^2 with K the channel's first
/// element, so a large mean does not cancel the variance away.
template <typename T> NNCC_INLINE void batch_stats(const NormShape &s, const T *x, T *stats) {
  if (s.lanes > 1) return NNCC_BLOCKED(batch_stats, s, x, stats);
  auto count = static_cast<double>(s.per_channel());
  for (int64_t ch = s.first(); ch < s.last(); ++ch) {
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

/// y = (x - mean) / sqrt(var + eps) * gamma + beta per channel; `relu`:
/// max(y, 0) in the same pass (the runtime's fused batch_norm + relu).
template <typename T>
NNCC_INLINE void batch_norm(const NormShape &s, double eps, const T *x, const T *stats, const T *gamma, const T *beta, bool relu, T *y) {
  if (s.lanes > 1) {
    std::vector<double> coef[4]; // a: gamma / std, c: beta, m: the mean
    for (auto &v : coef) v.resize(static_cast<size_t>(s.c));
    for (int64_t ch = s.first(); ch < s.last(); ++ch) {
      auto k = static_cast<size_t>(ch);
      coef[0][k] = as_double(gamma[ch]) * inverse_std(s, stats, ch, eps), coef[2][k] = as_double(beta[ch]), coef[3][k] = as_double(stats[ch]);
    }
    return NNCC_BLOCKED(affine, s, coef, x, static_cast<const T *>(nullptr), relu, y);
  }
  for (int64_t ch = s.first(); ch < s.last(); ++ch) {
    T mean = stats[ch], scale = static_cast<T>(as_double(gamma[ch]) * inverse_std(s, stats, ch, eps)), shift = beta[ch];
    for (int64_t i = 0; i < s.n; ++i) {
      const T *xr = x + s.row(i, ch);
      T *yr = y + s.row(i, ch);
      for (int64_t j = 0; j < s.inner; ++j) yr[j] = (xr[j] - mean) * scale + shift;
      if (relu)
        for (int64_t j = 0; j < s.inner; ++j) yr[j] = yr[j] > T(0) ? yr[j] : T(0); // the row is still in cache
    }
  }
}

/// The gradient's sums per channel, from g = dL/dy: sums[0..c) = sum of
/// g * xhat (dL/dgamma), sums[c..2c) = sum of g (dL/dbeta), xhat the
/// normalized x.
template <typename T> NNCC_INLINE void batch_norm_grad_sums(const NormShape &s, double eps, const T *x, const T *stats, const T *g, T *sums) {
  if (s.lanes > 1) {
    std::vector<double> g_xc(static_cast<size_t>(s.c)), g_sum(static_cast<size_t>(s.c));
    NNCC_BLOCKED(grad_sums, s, x, stats, g, g_xc.data(), g_sum.data());
    for (int64_t ch = s.first(); ch < s.last(); ++ch) {
      sums[ch] = static_cast<T>(g_xc[static_cast<size_t>(ch)] * inverse_std(s, stats, ch, eps));
      sums[s.c + ch] = static_cast<T>(g_sum[static_cast<size_t>(ch)]);
    }
    return;
  }
  for (int64_t ch = s.first(); ch < s.last(); ++ch) {
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
  // dx = a * g + b * x + c, per channel.
  auto coefficients = [&](int64_t ch) NNCC_INLINE_LAMBDA {
    double rstd = inverse_std(s, stats, ch, eps);
    double a = as_double(gamma[ch]) * rstd, mean_g = as_double(sums[s.c + ch]) / count, mean_g_xhat = as_double(sums[ch]) / count;
    double b = -a * mean_g_xhat * rstd;
    return std::array<double, 3>{a, b, -a * mean_g - b * as_double(stats[ch])};
  };
  if (s.lanes > 1) {
    std::vector<double> coef[4]; // a, b, c; m = 0
    for (auto &v : coef) v.resize(static_cast<size_t>(s.c));
    for (int64_t ch = s.first(); ch < s.last(); ++ch) {
      auto abc = coefficients(ch);
      for (size_t k = 0; k < 3; ++k) coef[k][static_cast<size_t>(ch)] = abc[k];
    }
    return NNCC_BLOCKED(affine, s, coef, g, x, false, dx);
  }
  for (int64_t ch = s.first(); ch < s.last(); ++ch) {
    auto [a, b, c] = coefficients(ch);
    T ta = static_cast<T>(a), tb = static_cast<T>(b), tc = static_cast<T>(c);
    for (int64_t i = 0; i < s.n; ++i) {
      const T *xr = x + s.row(i, ch), *gr = g + s.row(i, ch);
      T *dxr = dx + s.row(i, ch);
      for (int64_t j = 0; j < s.inner; ++j) dxr[j] = ta * gr[j] + tb * xr[j] + tc;
    }
  }
}

} // namespace nncc::loops

#undef NNCC_BLOCKED
#undef NNCC_INLINE
#undef NNCC_INLINE_LAMBDA
