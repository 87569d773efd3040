// Convolution and pooling as plain loops over NCHW arrays, for any element
// type: the reference interpreter's kernels (on doubles) and the runtime's
// f64 path (and its fallback when oneDNN fails), and the plain matmul's
// activations. Written for clarity, not
// speed; f32 training goes through oneDNN (runtime/dnnl/).
#pragma once
#include "nncc/kernel_abi.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace nncc::loops {

/// A primitive's fused activation (NNCC_ACTIVATION_*) applied to y[0..n).
template <typename T> void apply_activation(int activation, T *y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    T x = y[i];
    switch (activation) {
    case NNCC_ACTIVATION_RELU: x = x > 0 ? x : T(0); break;
    case NNCC_ACTIVATION_TANH: x = std::tanh(x); break;
    case NNCC_ACTIVATION_SIGMOID: x = T(1) / (T(1) + std::exp(-x)); break;
    default: break;
    }
    y[i] = x;
  }
}

/// Calls f(n, o, oh, ow, c, ci, kh, kw, ih, iw) for every (output element,
/// weight element) pair of a convolution whose input element (ih, iw) is
/// inside the input (not padding): c is the input channel, ci its index in
/// its group (the weights' dimension 1).
template <typename F> void for_each_conv_tap(const nncc_conv_shape &s, F f) {
  int64_t cg = s.c / s.groups, og = s.o / s.groups;
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t o = 0; o < s.o; ++o)
      for (int64_t oh = 0; oh < s.oh; ++oh)
        for (int64_t ow = 0; ow < s.ow; ++ow)
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t kh = 0; kh < s.kh; ++kh) {
              int64_t ih = oh * s.stride_h - s.pad_h + kh * s.dilation_h;
              if (ih < 0 || ih >= s.h) continue;
              for (int64_t kw = 0; kw < s.kw; ++kw) {
                int64_t iw = ow * s.stride_w - s.pad_w + kw * s.dilation_w;
                if (iw >= 0 && iw < s.w) f(n, o, oh, ow, o / og * cg + ci, ci, kh, kw, ih, iw);
              }
            }
}

inline int64_t at4(int64_t a, int64_t b, int64_t c, int64_t d, int64_t nb, int64_t nc, int64_t nd) { return ((a * nb + b) * nc + c) * nd + d; }

/// y = conv2d(x, w) + bias (bias may be null); no activation.
template <typename T> void conv2d(const nncc_conv_shape &s, const T *x, const T *w, const T *bias, T *y) {
  int64_t cg = s.c / s.groups;
  std::fill(y, y + s.n * s.o * s.oh * s.ow, T(0));
  for_each_conv_tap(s, [&](int64_t n, int64_t o, int64_t oh, int64_t ow, int64_t c, int64_t ci, int64_t kh, int64_t kw, int64_t ih, int64_t iw) {
    y[at4(n, o, oh, ow, s.o, s.oh, s.ow)] += x[at4(n, c, ih, iw, s.c, s.h, s.w)] * w[at4(o, ci, kh, kw, cg, s.kh, s.kw)];
  });
  if (bias)
    for (int64_t i = 0; i < s.n * s.o * s.oh * s.ow; ++i) y[i] += bias[i / (s.oh * s.ow) % s.o];
}

/// dx = the gradient of conv2d to its input.
template <typename T> void conv2d_grad_input(const nncc_conv_shape &s, const T *w, const T *dy, T *dx) {
  int64_t cg = s.c / s.groups;
  std::fill(dx, dx + s.n * s.c * s.h * s.w, T(0));
  for_each_conv_tap(s, [&](int64_t n, int64_t o, int64_t oh, int64_t ow, int64_t c, int64_t ci, int64_t kh, int64_t kw, int64_t ih, int64_t iw) {
    dx[at4(n, c, ih, iw, s.c, s.h, s.w)] += w[at4(o, ci, kh, kw, cg, s.kh, s.kw)] * dy[at4(n, o, oh, ow, s.o, s.oh, s.ow)];
  });
}

/// dw = the gradient of conv2d to its weights.
template <typename T> void conv2d_grad_weight(const nncc_conv_shape &s, const T *x, const T *dy, T *dw) {
  int64_t cg = s.c / s.groups;
  std::fill(dw, dw + s.o * cg * s.kh * s.kw, T(0));
  for_each_conv_tap(s, [&](int64_t n, int64_t o, int64_t oh, int64_t ow, int64_t c, int64_t ci, int64_t kh, int64_t kw, int64_t ih, int64_t iw) {
    dw[at4(o, ci, kh, kw, cg, s.kh, s.kw)] += x[at4(n, c, ih, iw, s.c, s.h, s.w)] * dy[at4(n, o, oh, ow, s.o, s.oh, s.ow)];
  });
}

/// Calls f(out_index, in_index) for every input element (not padding) in
/// the window of every output element, in row-major window order.
template <typename F> void for_each_pool_tap(const nncc_conv_shape &s, F f) {
  for (int64_t nc = 0; nc < s.n * s.c; ++nc)
    for (int64_t oh = 0; oh < s.oh; ++oh)
      for (int64_t ow = 0; ow < s.ow; ++ow)
        for (int64_t kh = 0; kh < s.kh; ++kh) {
          int64_t ih = oh * s.stride_h - s.pad_h + kh;
          if (ih < 0 || ih >= s.h) continue;
          for (int64_t kw = 0; kw < s.kw; ++kw) {
            int64_t iw = ow * s.stride_w - s.pad_w + kw;
            if (iw >= 0 && iw < s.w) f((nc * s.oh + oh) * s.ow + ow, (nc * s.h + ih) * s.w + iw);
          }
        }
}

/// y = max or mean (NNCC_POOL_*) over each window; a mean divides by the
/// whole window, padding included.
template <typename T> void pool2d(int kind, const nncc_conv_shape &s, const T *x, T *y) {
  int64_t outputs = s.n * s.c * s.oh * s.ow;
  std::fill(y, y + outputs, kind == NNCC_POOL_MAX ? -std::numeric_limits<T>::infinity() : T(0));
  for_each_pool_tap(s, [&](int64_t o, int64_t i) { y[o] = kind == NNCC_POOL_MAX ? std::max(y[o], x[i]) : y[o] + x[i]; });
  if (kind == NNCC_POOL_AVG)
    for (int64_t o = 0; o < outputs; ++o) y[o] /= static_cast<T>(s.kh * s.kw);
}

/// dx = the gradient of a pool: dy to the first max of each window, or dy / (kh kw) to each element.
template <typename T> void pool2d_grad(int kind, const nncc_conv_shape &s, const T *x, const T *dy, T *dx) {
  std::fill(dx, dx + s.n * s.c * s.h * s.w, T(0));
  if (kind == NNCC_POOL_AVG) {
    T scale = T(1) / static_cast<T>(s.kh * s.kw);
    for_each_pool_tap(s, [&](int64_t o, int64_t i) { dx[i] += dy[o] * scale; });
    return;
  }
  int64_t outputs = s.n * s.c * s.oh * s.ow, none = -1;
  std::vector<int64_t> first_max(static_cast<size_t>(outputs), none);
  for_each_pool_tap(s, [&](int64_t o, int64_t i) {
    int64_t &m = first_max[static_cast<size_t>(o)];
    if (m == none || x[i] > x[m]) m = i;
  });
  for (int64_t o = 0; o < outputs; ++o)
    if (first_max[static_cast<size_t>(o)] != none) dx[first_max[static_cast<size_t>(o)]] += dy[o];
}

} // namespace nncc::loops
