#include "image.h"

#include "nncc/image_loops.hpp"
#include "post_ops.h"

#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

namespace nncc::runtime {

struct ImagePrimitives::Engine {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

/// A primitive and its arguments; `order` lists the argument ids whose
/// pointers a call passes, in the order it passes them.
struct ImagePrimitives::Primitive {
  dnnl::primitive primitive;
  std::unordered_map<int, dnnl::memory> args;
  std::vector<int> order;
};

namespace {

using dims = dnnl::memory::dims;
using md = dnnl::memory::desc;
constexpr auto f32 = dnnl::memory::data_type::f32;

std::array<int64_t, 16> numbers(const nncc_conv_shape &s) {
  std::array<int64_t, 16> a;
  static_assert(sizeof(nncc_conv_shape) == sizeof(a));
  std::memcpy(a.data(), &s, sizeof a);
  return a;
}

nncc_conv_shape shape_of(const std::array<int64_t, 16> &a) {
  nncc_conv_shape s;
  std::memcpy(&s, a.data(), sizeof s);
  return s;
}

/// oneDNN's geometry: NCHW images, [G, O/G, C/G, KH, KW] weights, dilation
/// counted from 0, and the right/bottom padding that makes the output size
/// come out as PyTorch's floor rule does.
struct Geometry {
  md src, weights, dst, bias;
  dims strides, dilates, pad_l, pad_r, kernel;

  explicit Geometry(const nncc_conv_shape &s) {
    src = md({s.n, s.c, s.h, s.w}, f32, dnnl::memory::format_tag::nchw);
    dst = md({s.n, s.o, s.oh, s.ow}, f32, dnnl::memory::format_tag::nchw);
    weights = s.groups == 1 ? md({s.o, s.c, s.kh, s.kw}, f32, dnnl::memory::format_tag::oihw)
                            : md({s.groups, s.o / s.groups, s.c / s.groups, s.kh, s.kw}, f32, dnnl::memory::format_tag::goihw);
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

ImagePrimitives::ImagePrimitives(int sites) : engine_(std::make_unique<Engine>()), sites_(static_cast<size_t>(sites)) {}
ImagePrimitives::~ImagePrimitives() = default;

std::unique_ptr<ImagePrimitives::Primitive> ImagePrimitives::create(const Key &key) {
  auto [call, geometry, with_bias, activation] = key;
  nncc_conv_shape s = shape_of(geometry);
  Geometry g(s);
  const dnnl::engine &e = engine_->engine;
  auto p = std::make_unique<Primitive>();
  auto bind = [&](std::initializer_list<std::pair<int, const md *>> args) {
    for (auto [id, desc] : args) {
      p->args.emplace(id, dnnl::memory(*desc, e, DNNL_MEMORY_NONE));
      p->order.push_back(id);
    }
  };
  try {
    switch (call) {
    case Call::Conv: {
      auto pd = g.forward(e, with_bias, activation);
      p->primitive = dnnl::convolution_forward(pd);
      bind({{DNNL_ARG_SRC, &g.src}, {DNNL_ARG_WEIGHTS, &g.weights}, {DNNL_ARG_DST, &g.dst}});
      if (with_bias) bind({{DNNL_ARG_BIAS, &g.bias}});
      break;
    }
    case Call::ConvGradInput: {
      dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, g.src, g.weights, g.dst, g.strides, g.dilates, g.pad_l, g.pad_r);
      p->primitive = dnnl::convolution_backward_data({d, e, g.forward(e, false, NNCC_ACTIVATION_NONE)});
      bind({{DNNL_ARG_WEIGHTS, &g.weights}, {DNNL_ARG_DIFF_DST, &g.dst}, {DNNL_ARG_DIFF_SRC, &g.src}});
      break;
    }
    case Call::ConvGradWeight: {
      dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, g.src, g.weights, g.dst, g.strides, g.dilates, g.pad_l,
                                                 g.pad_r);
      p->primitive = dnnl::convolution_backward_weights({d, e, g.forward(e, false, NNCC_ACTIVATION_NONE)});
      bind({{DNNL_ARG_SRC, &g.src}, {DNNL_ARG_DIFF_DST, &g.dst}, {DNNL_ARG_DIFF_WEIGHTS, &g.weights}});
      break;
    }
    case Call::MaxPool:
    case Call::AvgPool: {
      auto algorithm = call == Call::MaxPool ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_include_padding;
      dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_inference, algorithm, g.src, g.dst, g.strides, g.kernel, g.pad_l, g.pad_r);
      p->primitive = dnnl::pooling_forward({d, e});
      bind({{DNNL_ARG_SRC, &g.src}, {DNNL_ARG_DST, &g.dst}});
      break;
    }
    }
  } catch (const dnnl::error &) {
    return nullptr; // no implementation for this geometry: the loops compute it
  }
  return p;
}

ImagePrimitives::Primitive *ImagePrimitives::primitive(int site, const Key &key) {
  auto &[last, p] = sites_.at(static_cast<size_t>(site));
  if (p && last == key) return p;
  auto [it, fresh] = primitives_.try_emplace(key);
  if (fresh) it->second = create(key);
  last = key;
  p = it->second.get();
  return p;
}

void ImagePrimitives::run(Primitive &p, std::initializer_list<const void *> pointers) {
  auto id = p.order.begin();
  for (const void *ptr : pointers) p.args.at(*id++).set_data_handle(const_cast<void *>(ptr));
  p.primitive.execute(engine_->stream, p.args);
  engine_->stream.wait();
}

void ImagePrimitives::conv2d(int site, const nncc_conv_shape &s, const float *x, const float *w, const float *bias, float *y, int activation) {
  if (Primitive *p = primitive(site, {Call::Conv, numbers(s), bias != nullptr, activation})) {
    if (bias) return run(*p, {x, w, y, bias});
    return run(*p, {x, w, y});
  }
  loops::conv2d(s, x, w, bias, y);
  loops::apply_activation(activation, y, s.n * s.o * s.oh * s.ow);
}

void ImagePrimitives::conv2d_grad_input(int site, const nncc_conv_shape &s, const float *w, const float *dy, float *dx) {
  if (Primitive *p = primitive(site, {Call::ConvGradInput, numbers(s), false, 0})) return run(*p, {w, dy, dx});
  loops::conv2d_grad_input(s, w, dy, dx);
}

void ImagePrimitives::conv2d_grad_weight(int site, const nncc_conv_shape &s, const float *x, const float *dy, float *dw) {
  if (Primitive *p = primitive(site, {Call::ConvGradWeight, numbers(s), false, 0})) return run(*p, {x, dy, dw});
  loops::conv2d_grad_weight(s, x, dy, dw);
}

void ImagePrimitives::pool2d(int site, int kind, const nncc_conv_shape &s, const float *x, float *y) {
  if (Primitive *p = primitive(site, {kind == NNCC_POOL_MAX ? Call::MaxPool : Call::AvgPool, numbers(s), false, 0})) return run(*p, {x, y});
  loops::pool2d(kind, s, x, y);
}

} // namespace nncc::runtime
