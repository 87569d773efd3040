// The fused activation of a primitive call (NNCC_ACTIVATION_*) as oneDNN
// attributes: an eltwise post-op that runs while the result is in cache.
#pragma once
#include "nncc/kernel_abi.h"

#include <oneapi/dnnl/dnnl.hpp>

namespace nncc::runtime {

inline dnnl::primitive_attr activation_attr(int activation) {
  dnnl::primitive_attr attr;
  if (activation == NNCC_ACTIVATION_NONE) return attr;
  dnnl::post_ops post;
  auto algorithm = activation == NNCC_ACTIVATION_RELU   ? dnnl::algorithm::eltwise_relu
                   : activation == NNCC_ACTIVATION_TANH ? dnnl::algorithm::eltwise_tanh
                                                        : dnnl::algorithm::eltwise_logistic;
  post.append_eltwise(1.0f, algorithm, 0.0f, 0.0f);
  attr.set_post_ops(post);
  return attr;
}

} // namespace nncc::runtime
