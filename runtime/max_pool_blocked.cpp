#include "max_pool_blocked.h"

#include "nncc/always_inline.hpp"
#include "threads.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

namespace nncc::runtime {
namespace {

// File-local clones: an exported clone dispatcher would leak out of AOT
// libraries (kernel_abi.cpp says more).
#define NNCC_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

/// The window elements of output (oh, ow) that lie inside the image, in
/// order (row by row), as pixel offsets in the plane (units of B floats);
/// returns how many.
NNCC_INLINE int window(const nncc_conv_shape &s, int64_t oh, int64_t ow, int64_t *taps) {
  int count = 0;
  for (int64_t kh = 0; kh < s.kh; ++kh) {
    int64_t ih = oh * s.stride_h - s.pad_h + kh * s.dilation_h;
    if (ih < 0 || ih >= s.h) continue;
    for (int64_t kw = 0; kw < s.kw; ++kw) {
      int64_t iw = ow * s.stride_w - s.pad_w + kw * s.dilation_w;
      if (iw >= 0 && iw < s.w) taps[count++] = ih * s.w + iw;
    }
  }
  return count;
}

/// The B channels of a pixel as one vector (GCC's vector extension: each
/// clone lowers it to its widest registers; plain loops over B lanes did
/// not vectorize the backward pass's selects).
// Always inlined into one clone: no call passes these vectors, whatever ABI
// note GCC gives about passing them.
#pragma GCC diagnostic ignored "-Wpsabi"
template <int B> struct PixelOf; // spelled out per B: GCC drops vector_size on an alias template
template <> struct PixelOf<8> { typedef float type __attribute__((vector_size(32))); };
template <> struct PixelOf<16> { typedef float type __attribute__((vector_size(64))); };
template <int B> using Pixel = typename PixelOf<B>::type;
static_assert(sizeof(Pixel<16>) == 16 * sizeof(float) && sizeof(Pixel<8>) == 8 * sizeof(float));
template <int B> NNCC_INLINE Pixel<B> load(const float *p) {
  Pixel<B> v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
template <int B> NNCC_INLINE void store(float *p, Pixel<B> v) { __builtin_memcpy(p, &v, sizeof v); }

/// Planes: a range of the image's n·c/B planes ([H, W, B] each).
using Planes = std::pair<int64_t, int64_t>;

template <int B> NNCC_INLINE void forward(const nncc_conv_shape &s, Planes planes, const float *__restrict x, float *__restrict y) {
  int64_t in_plane = s.h * s.w * B, out_plane = s.oh * s.ow * B;
  std::vector<int64_t> taps(static_cast<size_t>(s.kh * s.kw));
  for (int64_t p = planes.first; p < planes.second; ++p) {
    const float *xp = x + p * in_plane;
    float *yp = y + p * out_plane;
    for (int64_t oh = 0; oh < s.oh; ++oh)
      for (int64_t ow = 0; ow < s.ow; ++ow) {
        int count = window(s, oh, ow, taps.data());
        Pixel<B> best = Pixel<B>{} - std::numeric_limits<float>::infinity();
        for (int j = 0; j < count; ++j) {
          Pixel<B> v = load<B>(xp + taps[static_cast<size_t>(j)] * B);
          best = best < v ? v : best; // std::max's rule, as the plain loops
        }
        store<B>(yp + (oh * s.ow + ow) * B, best);
      }
  }
}

template <int B>
NNCC_INLINE void backward(const nncc_conv_shape &s, Planes planes, const float *__restrict x, const float *__restrict dy,
                          float *__restrict dx) {
  int64_t in_plane = s.h * s.w * B, out_plane = s.oh * s.ow * B;
  std::vector<int64_t> taps(static_cast<size_t>(s.kh * s.kw));
  for (int64_t p = planes.first; p < planes.second; ++p) {
    const float *xp = x + p * in_plane, *dyp = dy + p * out_plane;
    float *dxp = dx + p * in_plane;
    std::fill_n(dxp, in_plane, 0.0f);
    for (int64_t oh = 0; oh < s.oh; ++oh)
      for (int64_t ow = 0; ow < s.ow; ++ow) {
        int count = window(s, oh, ow, taps.data());
        if (count == 0) continue;
        // Per lane, which of the window's elements is its first max (as a
        // float: windows are small), then dy goes to that element.
        Pixel<B> best = load<B>(xp + taps[0] * B), first{};
        for (int j = 1; j < count; ++j) {
          Pixel<B> v = load<B>(xp + taps[static_cast<size_t>(j)] * B);
          auto better = v > best;
          best = better ? v : best;
          first = better ? Pixel<B>{} + static_cast<float>(j) : first;
        }
        Pixel<B> g = load<B>(dyp + (oh * s.ow + ow) * B);
        for (int j = 0; j < count; ++j) {
          float *d = dxp + taps[static_cast<size_t>(j)] * B;
          store<B>(d, load<B>(d) + (first == static_cast<float>(j) ? g : Pixel<B>{}));
        }
      }
  }
}

NNCC_VECTOR_CLONES void forward_clones(const nncc_conv_shape &s, int64_t lanes, Planes planes, const float *x, float *y) {
  lanes == 16 ? forward<16>(s, planes, x, y) : forward<8>(s, planes, x, y);
}

NNCC_VECTOR_CLONES void backward_clones(const nncc_conv_shape &s, int64_t lanes, Planes planes, const float *x, const float *dy, float *dx) {
  lanes == 16 ? backward<16>(s, planes, x, dy, dx) : backward<8>(s, planes, x, dy, dx);
}

} // namespace

// The threads share the planes (each [H, W, B] of one sample and block).
void max_pool2d_blocked(const nncc_conv_shape &s, int64_t lanes, const float *x, float *y) {
  share_among_threads(s.n * (s.c / lanes), s.n * s.c * s.h * s.w,
                      [&](int64_t first, int64_t last) { forward_clones(s, lanes, {first, last}, x, y); });
}

void max_pool2d_grad_blocked(const nncc_conv_shape &s, int64_t lanes, const float *x, const float *dy, float *dx) {
  share_among_threads(s.n * (s.c / lanes), s.n * s.c * s.h * s.w,
                      [&](int64_t first, int64_t last) { backward_clones(s, lanes, {first, last}, x, dy, dx); });
}

} // namespace nncc::runtime
