// Convolution, pooling and relayouts for compiled code: oneDNN 2.6
// primitives on f32 images (convolutions also on bf16 operands) stored NCHW or channel-blocked (nChw{B}c, as
// nncc_conv_shape::layout says), created on first use per (call, geometry)
// and cached per call site; plain loops (nncc/image_loops.hpp) where oneDNN
// has no implementation for an NCHW geometry, and for pooling's backward
// pass without a workspace.
#pragma once
#include "nncc/kernel_abi.h"

#include <array>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

namespace nncc::runtime {

/// B of the channel-blocked layout (ir::Layout::Blocked): 16 where
/// oneDNN's convolutions run on AVX-512, 8 below it.
int channel_block();

class ImagePrimitives {
public:
  explicit ImagePrimitives(int sites);
  ~ImagePrimitives();
  /// See runtime_functions.def: operands `In` float, or uint16_t for bf16
  /// (results f32 either way). Throw dnnl::error only when a primitive
  /// fails to run.
  template <typename In>
  void conv2d(int site, const nncc_conv_shape &s, const In *x, const In *w, const float *bias, float *y, int activation);
  template <typename In> void conv2d_grad_input(int site, const nncc_conv_shape &s, const In *w, const In *dy, float *dx);
  template <typename In> void conv2d_grad_weight(int site, const nncc_conv_shape &s, const In *x, const In *dy, float *dw);
  /// `training`: a max pooling keeps its workspace at its site for pool2d_grad.
  void pool2d(int site, int kind, const nncc_conv_shape &s, const float *x, float *y, bool training);
  /// Max pooling's gradient uses the workspace of the forward call at
  /// `forward_site` when it has one for this geometry, else the loops (from x).
  void pool2d_grad(int site, int kind, int forward_site, const nncc_conv_shape &s, const float *x, const float *dy, float *dx);
  /// y = x in the other layout (s: n, c, h, w and which side is blocked).
  void relayout(int site, const nncc_conv_shape &s, const float *x, float *y);

  /// An nncc_conv_shape as its numbers (the cache's key).
  using Numbers = std::array<int64_t, sizeof(nncc_conv_shape) / sizeof(int64_t)>;

private:
  enum class Call { Conv, ConvGradInput, ConvGradWeight, MaxPool, AvgPool, MaxPoolGrad, AvgPoolGrad, Relayout };
  // The call, the numbers of the geometry, bias present (pools: training),
  // activation, bf16 operands (convolutions).
  using Key = std::tuple<Call, Numbers, bool, int, bool>;
  struct Primitive;
  struct Engine;
  struct Site; // the last primitive used there, and a max pooling's workspace

  /// The site's primitive for `key` (null: oneDNN cannot do it, use loops).
  Primitive *primitive(int site, const Key &key);
  std::unique_ptr<Primitive> create(const Key &key);
  void run(Primitive &p, std::initializer_list<const void *> pointers, const Site *workspace_of = nullptr);

  std::unique_ptr<Engine> engine_;
  std::vector<Site> sites_;
  std::map<Key, std::unique_ptr<Primitive>> primitives_;
};

} // namespace nncc::runtime
