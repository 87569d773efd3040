// Batch normalization's f32 normalization and gradient for compiled code:
// oneDNN 2.6's batch normalization primitives on the caller's plain
// [N, C, ...] arrays, with the statistics given (nncc computes them once,
// as batch_stats, for the running statistics too). One primitive per
// (call, n, c, inner, eps), created on first use and cached.
#pragma once
#include "nncc/batch_norm_loops.hpp"

#include <map>
#include <memory>
#include <tuple>
#include <utility>

namespace nncc::runtime {

class BatchNormPrimitives {
public:
  BatchNormPrimitives();
  ~BatchNormPrimitives();
  /// See nncc_rt_batch_norm_f32 / _grad_f32. Throw dnnl::error when oneDNN fails.
  void forward(const loops::NormShape &s, double eps, const float *x, const float *stats, const float *gamma, const float *beta, float *y);
  void backward(const loops::NormShape &s, double eps, const float *x, const float *stats, const float *gamma, const float *dy, float *dx);

private:
  struct Engine;
  struct Primitive;
  using Key = std::tuple<bool, int64_t, int64_t, int64_t, double>; // backward?, n, c, inner, eps
  std::unique_ptr<Primitive> create(const Key &key);
  /// Runs the primitive of `key` on the caller's arrays: (argument id, pointer).
  void run(const Key &key, std::initializer_list<std::pair<int, const void *>> pointers);

  std::unique_ptr<Engine> engine_;
  std::map<Key, std::unique_ptr<Primitive>> primitives_;
};

} // namespace nncc::runtime
