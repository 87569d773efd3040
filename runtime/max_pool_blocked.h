// Max pooling of f32 images stored channel-blocked ([N, C/B, H, W, B]): the
// runtime's own loops, not oneDNN's. oneDNN 2.6's blocked max pooling moved
// ~2.5 GB/s in fashion_cnn's step (36 % of it); these run each window over
// the B channels of a block as one vector and stay in cache plane by plane.
// The backward pass finds each window's first max again from x (the IR's
// max_pool2d_grad reads x; no workspace), the rule of the interpreter's
// plain loops, so ties and padding give the same gradients.
#pragma once

#include "nncc/kernel_abi.h"

namespace nncc::runtime {

/// y = the max of each window, per channel; s.c a multiple of `lanes` (8 or 16).
void max_pool2d_blocked(const nncc_conv_shape &s, int64_t lanes, const float *x, float *y);
/// dx = dy at the first max of each window (summed where windows overlap), 0 elsewhere.
void max_pool2d_grad_blocked(const nncc_conv_shape &s, int64_t lanes, const float *x, const float *dy, float *dx);

} // namespace nncc::runtime
