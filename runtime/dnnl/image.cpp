#include "image.h"

#include "bf16_support.h"
#include "nncc/bf16.h"
#include "nncc/image_loops.hpp"
#include "post_ops.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <optional>
#include <type_traits>
#include <vector>
#include <string_view>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

namespace nncc::runtime {

int channel_block() {
  // The layouts oneDNN's own convolutions pick on these instruction sets.
  // NNCC_CHANNEL_BLOCK=8 forces the narrow one on an AVX-512 machine, so
  // that its tests run the paths of CPUs without AVX-512 too.
  static const int block = [] {
    const char *forced = std::getenv("NNCC_CHANNEL_BLOCK");
    if (forced && std::string_view(forced) == "8") return 8;
    return dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core ? 16 : 8;
  }();
  return block;
}

struct ImagePrimitives::Engine {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

/// A primitive and its arguments, in the order a call passes their
/// pointers. An argument the primitive wants in another layout than the
/// caller's (the weights, always OIHW; an image the compiler left NCHW) has
/// a buffer of its own and a reorder into it (an input) or out of it (an
/// output).
struct ImagePrimitives::Primitive {
  struct Arg {
    int id;
    dnnl::memory user, inner; // inner: the primitive's layout (== user when the same)
    std::optional<dnnl::reorder> reorder;
    bool output;
  };
  dnnl::primitive primitive;
  std::vector<Arg> args;
  std::unordered_map<int, dnnl::memory> exec_args;
  dnnl::memory::desc workspace; // max pooling in training: what it keeps for the backward pass
};

namespace {

using dims = dnnl::memory::dims;
using md = dnnl::memory::desc;
using dt = dnnl::memory::data_type;
constexpr auto f32 = dt::f32;

/// The element types of a convolution's images and weights (the input
/// side: x or dx; the output side: y or dy).
struct Types {
  dt input = f32, weights = f32, output = f32;
};

using Numbers = ImagePrimitives::Numbers;

Numbers numbers(const nncc_conv_shape &s) {
  Numbers a;
  static_assert(sizeof(nncc_conv_shape) == sizeof(a));
  std::memcpy(a.data(), &s, sizeof a);
  return a;
}

nncc_conv_shape shape_of(const Numbers &a) {
  nncc_conv_shape s;
  std::memcpy(&s, a.data(), sizeof s);
  return s;
}

dnnl::memory::format_tag blocked_tag() {
  return channel_block() == 16 ? dnnl::memory::format_tag::nChw16c : dnnl::memory::format_tag::nChw8c;
}

dnnl::memory::format_tag image_tag(const nncc_conv_shape &s, int side) {
  return s.layout & side ? blocked_tag() : dnnl::memory::format_tag::nchw;
}

/// oneDNN's geometry: images in the caller's layouts, [G, O/G, C/G, KH, KW]
/// weights, dilation counted from 0, and the right/bottom padding that
/// makes the output size come out as PyTorch's floor rule does.
struct Geometry {
  md src, weights, dst, bias;
  dims strides, dilates, pad_l, pad_r, kernel;

  /// The caller's layouts (the images' as `s.layout` says, OIHW), or
  /// `any`: the primitive's choice.
  Geometry(const nncc_conv_shape &s, bool any, Types t = {}) {
    using tag = dnnl::memory::format_tag;
    src = md({s.n, s.c, s.h, s.w}, t.input, any ? tag::any : image_tag(s, NNCC_INPUT_BLOCKED));
    dst = md({s.n, s.o, s.oh, s.ow}, t.output, any ? tag::any : image_tag(s, NNCC_OUTPUT_BLOCKED));
    weights = s.groups == 1 ? md({s.o, s.c, s.kh, s.kw}, t.weights, any ? tag::any : tag::oihw)
                            : md({s.groups, s.o / s.groups, s.c / s.groups, s.kh, s.kw}, t.weights, any ? tag::any : tag::goihw);
    bias = md({s.o}, f32, dnnl::memory::format_tag::x);
    strides = {s.stride_h, s.stride_w};
    dilates = {s.dilation_h - 1, s.dilation_w - 1};
    kernel = {s.kh, s.kw};
    pad_l = {s.pad_h, s.pad_w};
    pad_r = {(s.oh - 1) * s.stride_h + (s.kh - 1) * s.dilation_h + 1 - s.h - s.pad_h,
             (s.ow - 1) * s.stride_w + (s.kw - 1) * s.dilation_w + 1 - s.w - s.pad_w};
  }

  dnnl::convolution_forward::primitive_desc forward(const dnnl::engine &e, bool with_bias, int activation) const {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src, weights,
                                      with_bias ? bias : md(), dst, strides, dilates, pad_l, pad_r);
    return {d, activation_attr(activation), e};
  }
};

} // namespace

struct ImagePrimitives::Site {
  Key key{};
  Primitive *primitive = nullptr;
  dnnl::memory workspace; // a max pooling's in training, for the backward call
};

namespace {
dnnl::pooling_forward::primitive_desc pool_forward(bool max, bool training, const Geometry &g, const dnnl::engine &e) {
  dnnl::pooling_forward::desc d(training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference,
                                max ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_include_padding, g.src, g.dst, g.strides, g.kernel,
                                g.pad_l, g.pad_r);
  return {d, e};
}
} // namespace

ImagePrimitives::ImagePrimitives(int sites) : engine_(std::make_unique<Engine>()), sites_(static_cast<size_t>(sites)) {}
ImagePrimitives::~ImagePrimitives() = default;

std::unique_ptr<ImagePrimitives::Primitive> ImagePrimitives::create(const Key &key) {
  auto [call, geometry, with_bias, activation, bf16_operands] = key;
  nncc_conv_shape s = shape_of(geometry);
  // bf16 convolutions: bf16 operands, f32 result (x or dx on the input
  // side, y or dy on the output side); the backward ones are hinted by a
  // bf16 forward convolution.
  constexpr auto bf16 = dt::bf16;
  Types types;
  if (bf16_operands)
    types = call == Call::Conv ? Types{bf16, bf16, f32} : call == Call::ConvGradInput ? Types{f32, bf16, bf16} : Types{bf16, f32, bf16};
  Geometry caller(s, false, types), g(s, true, types), hint(s, true, bf16_operands ? Types{bf16, bf16, bf16} : Types{});
  const dnnl::engine &e = engine_->engine;
  auto p = std::make_unique<Primitive>();
  // Argument `id`: the caller's `user` layout, the primitive's `inner` one.
  auto bind = [&](int id, const md &user, const md &inner, bool output) {
    Primitive::Arg a{id, dnnl::memory(user, e, DNNL_MEMORY_NONE), {}, std::nullopt, output};
    if (inner == user) {
      a.inner = a.user;
    } else {
      a.inner = dnnl::memory(inner, e);
      a.reorder = output ? dnnl::reorder(a.inner, a.user) : dnnl::reorder(a.user, a.inner);
    }
    p->exec_args.emplace(id, a.inner);
    p->args.push_back(std::move(a));
  };
  try {
    switch (call) {
    case Call::Conv: {
      auto pd = g.forward(e, with_bias, activation);
      p->primitive = dnnl::convolution_forward(pd);
      bind(DNNL_ARG_SRC, caller.src, pd.src_desc(), false);
      bind(DNNL_ARG_WEIGHTS, caller.weights, pd.weights_desc(), false);
      bind(DNNL_ARG_DST, caller.dst, pd.dst_desc(), true);
      if (with_bias) bind(DNNL_ARG_BIAS, caller.bias, pd.bias_desc(), false);
      break;
    }
    case Call::ConvGradInput: {
      dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, g.src, g.weights, g.dst, g.strides, g.dilates, g.pad_l, g.pad_r);
      dnnl::convolution_backward_data::primitive_desc pd(d, e, hint.forward(e, false, NNCC_ACTIVATION_NONE));
      p->primitive = dnnl::convolution_backward_data(pd);
      bind(DNNL_ARG_WEIGHTS, caller.weights, pd.weights_desc(), false);
      bind(DNNL_ARG_DIFF_DST, caller.dst, pd.diff_dst_desc(), false);
      bind(DNNL_ARG_DIFF_SRC, caller.src, pd.diff_src_desc(), true);
      break;
    }
    case Call::ConvGradWeight: {
      dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, g.src, g.weights, g.dst, g.strides, g.dilates, g.pad_l,
                                                 g.pad_r);
      dnnl::convolution_backward_weights::primitive_desc pd(d, e, hint.forward(e, false, NNCC_ACTIVATION_NONE));
      p->primitive = dnnl::convolution_backward_weights(pd);
      bind(DNNL_ARG_SRC, caller.src, pd.src_desc(), false);
      bind(DNNL_ARG_DIFF_DST, caller.dst, pd.diff_dst_desc(), false);
      bind(DNNL_ARG_DIFF_WEIGHTS, caller.weights, pd.diff_weights_desc(), true);
      break;
    }
    case Call::MaxPool:
    case Call::AvgPool: { // with_bias: training (max pooling keeps its workspace)
      auto pd = pool_forward(call == Call::MaxPool, with_bias, caller, e);
      p->primitive = dnnl::pooling_forward(pd);
      bind(DNNL_ARG_SRC, caller.src, caller.src, false);
      bind(DNNL_ARG_DST, caller.dst, caller.dst, true);
      p->workspace = pd.workspace_desc();
      break;
    }
    case Call::MaxPoolGrad:
    case Call::AvgPoolGrad: {
      bool max = call == Call::MaxPoolGrad;
      dnnl::pooling_backward::desc d(max ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_include_padding, caller.src, caller.dst,
                                     g.strides, g.kernel, g.pad_l, g.pad_r);
      p->primitive = dnnl::pooling_backward({d, e, pool_forward(max, true, caller, e)});
      bind(DNNL_ARG_DIFF_DST, caller.dst, caller.dst, false);
      bind(DNNL_ARG_DIFF_SRC, caller.src, caller.src, true);
      break;
    }
    case Call::Relayout: {
      dnnl::memory from(caller.src, e, DNNL_MEMORY_NONE), to(caller.dst, e, DNNL_MEMORY_NONE);
      p->primitive = dnnl::reorder(from, to);
      bind(DNNL_ARG_FROM, caller.src, caller.src, false);
      bind(DNNL_ARG_TO, caller.dst, caller.dst, true);
      break;
    }
    }
  } catch (const dnnl::error &) {
    // No implementation for this geometry: the loops compute it, on NCHW only.
    if (s.layout) throw std::runtime_error("oneDNN has no implementation for this image op on channel-blocked images");
    return nullptr;
  }
  return p;
}

ImagePrimitives::Primitive *ImagePrimitives::primitive(int site, const Key &key) {
  Site &at = sites_.at(static_cast<size_t>(site));
  if (at.primitive && at.key == key) return at.primitive;
  auto [it, fresh] = primitives_.try_emplace(key);
  if (fresh) it->second = create(key);
  at = {key, it->second.get(), {}};
  if (at.primitive && !at.primitive->workspace.is_zero()) at.workspace = dnnl::memory(at.primitive->workspace, engine_->engine);
  return at.primitive;
}

void ImagePrimitives::run(Primitive &p, std::initializer_list<const void *> pointers, const Site *workspace_of) {
  auto arg = p.args.begin();
  for (const void *ptr : pointers) (arg++)->user.set_data_handle(const_cast<void *>(ptr));
  dnnl::stream &stream = engine_->stream;
  for (Primitive::Arg &a : p.args)
    if (a.reorder && !a.output) a.reorder->execute(stream, a.user, a.inner);
  if (workspace_of && workspace_of->workspace) p.exec_args[DNNL_ARG_WORKSPACE] = workspace_of->workspace;
  p.primitive.execute(stream, p.exec_args);
  for (Primitive::Arg &a : p.args)
    if (a.reorder && a.output) a.reorder->execute(stream, a.inner, a.user);
  stream.wait();
}

namespace {
int64_t weight_count(const nncc_conv_shape &s) { return s.o * (s.c / s.groups) * s.kh * s.kw; }
int64_t input_count(const nncc_conv_shape &s) { return s.n * s.c * s.h * s.w; }
int64_t output_count(const nncc_conv_shape &s) { return s.n * s.o * s.oh * s.ow; }
template <typename In> constexpr bool kBf16 = std::is_same_v<In, uint16_t>;

/// Where oneDNN has no bf16 for this CPU (bf16_support.h): runs `f32_call`
/// on the bf16 operands widened to f32, and returns true.
template <typename In, typename Call> bool widened(const In *a, int64_t a_count, const In *b, int64_t b_count, Call &&f32_call) {
  if constexpr (kBf16<In>) {
    if (onednn_has_bf16()) return false;
    std::vector<float> wide_a, wide_b;
    f32_call(as_f32(a, a_count, wide_a), as_f32(b, b_count, wide_b));
    return true;
  }
  return false;
}
} // namespace

template <typename In>
void ImagePrimitives::conv2d(int site, const nncc_conv_shape &s, const In *x, const In *w, const float *bias, float *y, int activation) {
  if (widened(x, input_count(s), w, weight_count(s), [&](const float *xs, const float *ws) { conv2d(site, s, xs, ws, bias, y, activation); }))
    return;
  if (Primitive *p = primitive(site, {Call::Conv, numbers(s), bias != nullptr, activation, kBf16<In>})) {
    if (bias) return run(*p, {x, w, y, bias});
    return run(*p, {x, w, y});
  }
  std::vector<float> xs, ws;
  loops::conv2d(s, as_f32(x, input_count(s), xs), as_f32(w, weight_count(s), ws), bias, y);
  loops::apply_activation(activation, y, output_count(s));
}

template <typename In>
void ImagePrimitives::conv2d_grad_input(int site, const nncc_conv_shape &s, const In *w, const In *dy, float *dx) {
  if (widened(w, weight_count(s), dy, output_count(s), [&](const float *ws, const float *dys) { conv2d_grad_input(site, s, ws, dys, dx); }))
    return;
  if (Primitive *p = primitive(site, {Call::ConvGradInput, numbers(s), false, 0, kBf16<In>}))
    return run(*p, {w, dy, dx});
  std::vector<float> ws, dys;
  loops::conv2d_grad_input(s, as_f32(w, weight_count(s), ws), as_f32(dy, output_count(s), dys), dx);
}

template <typename In>
void ImagePrimitives::conv2d_grad_weight(int site, const nncc_conv_shape &s, const In *x, const In *dy, float *dw) {
  if (widened(x, input_count(s), dy, output_count(s), [&](const float *xs, const float *dys) { conv2d_grad_weight(site, s, xs, dys, dw); }))
    return;
  if (Primitive *p = primitive(site, {Call::ConvGradWeight, numbers(s), false, 0, kBf16<In>}))
    return run(*p, {x, dy, dw});
  std::vector<float> xs, dys;
  loops::conv2d_grad_weight(s, as_f32(x, input_count(s), xs), as_f32(dy, output_count(s), dys), dw);
}

#define NNCC_CONVOLUTIONS(In)                                                                                                       \
  template void ImagePrimitives::conv2d(int, const nncc_conv_shape &, const In *, const In *, const float *, float *, int);       \
  template void ImagePrimitives::conv2d_grad_input(int, const nncc_conv_shape &, const In *, const In *, float *);                \
  template void ImagePrimitives::conv2d_grad_weight(int, const nncc_conv_shape &, const In *, const In *, float *);
NNCC_CONVOLUTIONS(float)
NNCC_CONVOLUTIONS(uint16_t)
#undef NNCC_CONVOLUTIONS

void ImagePrimitives::pool2d(int site, int kind, const nncc_conv_shape &s, const float *x, float *y, bool training) {
  if (Primitive *p = primitive(site, {kind == NNCC_POOL_MAX ? Call::MaxPool : Call::AvgPool, numbers(s), training, 0, false})) {
    return run(*p, {x, y}, &sites_[static_cast<size_t>(site)]);
  }
  loops::pool2d(kind, s, x, y);
}

void ImagePrimitives::pool2d_grad(int site, int kind, int forward_site, const nncc_conv_shape &s, const float *x, const float *dy, float *dx) {
  bool max = kind == NNCC_POOL_MAX;
  // Max pooling reads where each window's max was from the workspace its
  // forward call (this geometry, in training) left at its site.
  const Site *forward = forward_site >= 0 ? &sites_.at(static_cast<size_t>(forward_site)) : nullptr;
  bool has_workspace = forward && forward->primitive && forward->key == Key{Call::MaxPool, numbers(s), true, 0, false} && forward->workspace;
  if (!max || has_workspace)
    if (Primitive *p = primitive(site, {max ? Call::MaxPoolGrad : Call::AvgPoolGrad, numbers(s), false, 0, false}))
      return run(*p, {dy, dx}, max ? forward : nullptr);
  loops::pool2d_grad(kind, s, x, dy, dx);
}

void ImagePrimitives::relayout(int site, const nncc_conv_shape &s, const float *x, float *y) {
  run(*primitive(site, {Call::Relayout, numbers(s), false, 0, false}), {x, y});
}

} // namespace nncc::runtime
