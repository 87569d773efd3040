#include "batch_norm.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

namespace nncc::runtime {

struct BatchNormPrimitives::Engine {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

/// The primitive and one memory object per argument, whose data handles
/// each call points at the caller's arrays.
struct BatchNormPrimitives::Primitive {
  dnnl::primitive primitive;
  std::unordered_map<int, dnnl::memory> args;
};

BatchNormPrimitives::BatchNormPrimitives() : engine_(std::make_unique<Engine>()) {}
BatchNormPrimitives::~BatchNormPrimitives() = default;

void BatchNormPrimitives::run(const Key &key, std::initializer_list<std::pair<int, const void *>> pointers) {
  auto it = primitives_.find(key);
  if (it == primitives_.end()) it = primitives_.emplace(key, create(key)).first; // create throws when oneDNN cannot
  Primitive &p = *it->second;
  for (const auto &[id, ptr] : pointers) p.args.at(id).set_data_handle(const_cast<void *>(ptr));
  p.primitive.execute(engine_->stream, p.args);
  engine_->stream.wait();
}

std::unique_ptr<BatchNormPrimitives::Primitive> BatchNormPrimitives::create(const Key &key) {
  auto [backward, n, c, inner, eps] = key;
  using flags = dnnl::normalization_flags;
  using md = dnnl::memory::desc;
  const dnnl::engine &e = engine_->engine;
  // The batch as 4-D NCHW whatever its rank: [n, c, inner, 1] is the same memory.
  md data({n, c, inner, 1}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::nchw);
  md channel({c}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::x);
  auto p = std::make_unique<Primitive>();
  auto bind = [&](std::initializer_list<std::pair<int, md>> args) {
    for (const auto &[id, desc] : args) p->args.emplace(id, dnnl::memory(desc, e, DNNL_MEMORY_NONE));
  };
  if (!backward) {
    // The statistics are given: normalize, scale and shift in one pass.
    dnnl::batch_normalization_forward::desc d(dnnl::prop_kind::forward_inference, data, static_cast<float>(eps),
                                              flags::use_global_stats | flags::use_scale | flags::use_shift);
    p->primitive = dnnl::batch_normalization_forward({d, e});
    bind({{DNNL_ARG_SRC, data}, {DNNL_ARG_MEAN, channel}, {DNNL_ARG_VARIANCE, channel}, {DNNL_ARG_SCALE, channel}, {DNNL_ARG_SHIFT, channel},
          {DNNL_ARG_DST, data}});
  } else {
    // Without use_global_stats the gradient runs through the statistics
    // too. oneDNN has no backward_data with a scale, so gamma's and beta's
    // gradients are computed as well, into memory of the primitive's own
    // (the IR computes those from its own ops).
    auto both = flags::use_scale | flags::use_shift;
    dnnl::batch_normalization_forward::desc hint(dnnl::prop_kind::forward_training, data, static_cast<float>(eps), both);
    dnnl::batch_normalization_backward::desc d(dnnl::prop_kind::backward, data, data, static_cast<float>(eps), both);
    p->primitive = dnnl::batch_normalization_backward({d, e, {hint, e}});
    bind({{DNNL_ARG_SRC, data}, {DNNL_ARG_MEAN, channel}, {DNNL_ARG_VARIANCE, channel}, {DNNL_ARG_SCALE, channel}, {DNNL_ARG_DIFF_DST, data},
          {DNNL_ARG_DIFF_SRC, data}});
    for (int id : {DNNL_ARG_SHIFT, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT}) p->args.emplace(id, dnnl::memory(channel, e));
  }
  return p;
}

void BatchNormPrimitives::forward(const loops::NormShape &s, double eps, const float *x, const float *stats, const float *gamma, const float *beta,
                                  float *y) {
  run({false, s.n, s.c, s.inner, eps},
      {{DNNL_ARG_SRC, x}, {DNNL_ARG_MEAN, stats}, {DNNL_ARG_VARIANCE, stats + s.c}, {DNNL_ARG_SCALE, gamma}, {DNNL_ARG_SHIFT, beta}, {DNNL_ARG_DST, y}});
}

void BatchNormPrimitives::backward(const loops::NormShape &s, double eps, const float *x, const float *stats, const float *gamma, const float *dy,
                                   float *dx) {
  run({true, s.n, s.c, s.inner, eps},
      {{DNNL_ARG_SRC, x}, {DNNL_ARG_MEAN, stats}, {DNNL_ARG_VARIANCE, stats + s.c}, {DNNL_ARG_SCALE, gamma}, {DNNL_ARG_DIFF_DST, dy},
       {DNNL_ARG_DIFF_SRC, dx}});
}

} // namespace nncc::runtime
