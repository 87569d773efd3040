// The geometry of the image ops of ops.def (conv2d, max_pool2d, avg_pool2d
// and their gradients): NCHW tensors, a window sliding over the two spatial
// axes. Shape rules, the interpreter and codegen read it from here.
#pragma once
#include "ir/ops.h"

#include <array>
#include <cstdint>

namespace nncc::ir {

struct Value;

struct Window2d {
  std::array<int64_t, 2> kernel{1, 1}, stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;

  /// The output size along spatial axis a (0: height, 1: width) of an
  /// input of size n: floor((n + 2p - d(k - 1) - 1) / s) + 1 (< 1: the
  /// window does not fit the padded input).
  int64_t output_size(size_t a, int64_t n) const {
    int64_t room = n + 2 * padding[a] - dilation[a] * (kernel[a] - 1) - 1; // < 0: not even one window
    return room < 0 ? 0 : room / stride[a] + 1;
  }
};

/// The window of a conv2d-family op whose weights have shape `weights`
/// [O, C/groups, KH, KW], or of a pool op (weights ignored).
Window2d window(const OpInfo &op, const Attrs &attrs, const Shape &weights = {});
/// The window of an image op value (its weights found among its operands or attributes).
Window2d window_of(const Value &v);

} // namespace nncc::ir
