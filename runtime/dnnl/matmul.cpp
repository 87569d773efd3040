#include "matmul.h"

#include "bf16_support.h"
#include "nncc/bf16.h"
#include "nncc/kernel_abi.h"
#include "nncc/image_loops.hpp"
#include "post_ops.h"
#include "product_loop.h"

#include <algorithm>
#include <cmath>
#include <oneapi/dnnl/dnnl.hpp>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>

namespace nncc::runtime {

template <typename In, typename Out>
void matmul_loop(int flags, const In *a, const In *b, Out *c, int64_t m, int64_t k, int64_t n, const Out *bias,
                 int activation) {
  // Element (i, p) of op(A) and (p, j) of op(B), whatever the storage order.
  const int64_t a_row = flags & NNCC_TRANSPOSE_A ? 1 : k, a_col = flags & NNCC_TRANSPOSE_A ? m : 1;
  const int64_t b_row = flags & NNCC_TRANSPOSE_B ? 1 : n, b_col = flags & NNCC_TRANSPOSE_B ? k : 1;
  std::fill(c, c + m * n, Out(0));
  accumulate_product(a, a_row, a_col, b, b_row, b_col, c, m, k, n);
  if (bias)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * n + j] += bias[j];
  loops::apply_activation(activation, c, m * n);
}
template void matmul_loop(int, const float *, const float *, float *, int64_t, int64_t, int64_t, const float *, int);
template void matmul_loop(int, const double *, const double *, double *, int64_t, int64_t, int64_t, const double *, int);
template void matmul_loop(int, const uint16_t *, const uint16_t *, float *, int64_t, int64_t, int64_t, const float *, int);

struct MatmulCache::Engine {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

struct MatmulCache::Primitive {
  dnnl::matmul matmul;
  dnnl::memory a, b, c, bias;
  std::unordered_map<int, dnnl::memory> args;
};

MatmulCache::MatmulCache(int sites) : engine_(std::make_unique<Engine>()), sites_(static_cast<size_t>(sites)) {}
MatmulCache::~MatmulCache() = default;

MatmulCache::Primitive &MatmulCache::primitive(const Key &key) {
  auto &slot = primitives_[key];
  if (slot) return *slot;
  auto [m, k, n, flags, has_bias, activation, bf16] = key;
  using md = dnnl::memory::desc;
  using dims = dnnl::memory::dims;
  auto f32 = dnnl::memory::data_type::f32;
  auto in = bf16 ? dnnl::memory::data_type::bf16 : f32;
  // A transposed operand is the stored matrix read with swapped strides.
  md a_md({m, k}, in, flags & NNCC_TRANSPOSE_A ? dims{1, m} : dims{k, 1});
  md b_md({k, n}, in, flags & NNCC_TRANSPOSE_B ? dims{1, k} : dims{n, 1});
  md c_md({m, n}, f32, dims{n, 1});
  md bias_md = has_bias ? md({1, n}, f32, dims{n, 1}) : md();
  dnnl::primitive_attr attr = activation_attr(activation);
  auto p = std::make_unique<Primitive>();
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, bias_md, c_md), attr, engine_->engine);
  p->matmul = dnnl::matmul(pd);
  p->a = dnnl::memory(a_md, engine_->engine, DNNL_MEMORY_NONE);
  p->b = dnnl::memory(b_md, engine_->engine, DNNL_MEMORY_NONE);
  p->c = dnnl::memory(c_md, engine_->engine, DNNL_MEMORY_NONE);
  p->args = {{DNNL_ARG_SRC, p->a}, {DNNL_ARG_WEIGHTS, p->b}, {DNNL_ARG_DST, p->c}};
  if (has_bias) {
    p->bias = dnnl::memory(bias_md, engine_->engine, DNNL_MEMORY_NONE);
    p->args.emplace(DNNL_ARG_BIAS, p->bias);
  }
  slot = std::move(p);
  return *slot;
}

template <typename In>
void MatmulCache::run(int site, int flags, const In *a, const In *b, float *c, int64_t m, int64_t k, int64_t n,
                      const float *bias, int activation) {
  if (m * k * n <= kSmallMatmul || k == 0) return matmul_loop(flags, a, b, c, m, k, n, bias, activation);
  if constexpr (std::is_same_v<In, uint16_t>)
    if (!onednn_has_bf16()) // widened to f32: the same products (bf16_support.h)
      return run(site, flags, as_f32(a, m * k, wide_a_), as_f32(b, k * n, wide_b_), c, m, k, n, bias, activation);
  Key key{m, k, n, flags, bias != nullptr, activation, std::is_same_v<In, uint16_t>};
  Site &s = sites_.at(static_cast<size_t>(site));
  if (s.key != key) s = {key, &primitive(key)};
  Primitive &p = *s.primitive;
  p.a.set_data_handle(const_cast<In *>(a));
  p.b.set_data_handle(const_cast<In *>(b));
  p.c.set_data_handle(c);
  if (bias) p.bias.set_data_handle(const_cast<float *>(bias));
  p.matmul.execute(engine_->stream, p.args);
  engine_->stream.wait();
}

template void MatmulCache::run(int, int, const float *, const float *, float *, int64_t, int64_t, int64_t, const float *, int);
template void MatmulCache::run(int, int, const uint16_t *, const uint16_t *, float *, int64_t, int64_t, int64_t, const float *, int);

} // namespace nncc::runtime
