#include "matmul.h"

#include "nncc/kernel_abi.h"
#include "nncc/image_loops.hpp"
#include "post_ops.h"

#include <algorithm>
#include <cmath>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

namespace nncc::runtime {

template <typename T>
void matmul_loop(int flags, const T *a, const T *b, T *c, int64_t m, int64_t k, int64_t n, const T *bias, int activation) {
  // Element (i, p) of op(A) and (p, j) of op(B), whatever the storage order.
  const int64_t a_row = flags & NNCC_TRANSPOSE_A ? 1 : k, a_col = flags & NNCC_TRANSPOSE_A ? m : 1;
  const int64_t b_row = flags & NNCC_TRANSPOSE_B ? 1 : n, b_col = flags & NNCC_TRANSPOSE_B ? k : 1;
  std::fill(c, c + m * n, T(0));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) {
      T aip = a[i * a_row + p * a_col];
      const T *brow = b + p * b_row;
      T *crow = c + i * n;
      for (int64_t j = 0; j < n; ++j) crow[j] += aip * brow[j * b_col];
    }
  if (bias)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * n + j] += bias[j];
  loops::apply_activation(activation, c, m * n);
}
template void matmul_loop<float>(int, const float *, const float *, float *, int64_t, int64_t, int64_t, const float *, int);
template void matmul_loop<double>(int, const double *, const double *, double *, int64_t, int64_t, int64_t, const double *, int);

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
  auto [m, k, n, flags, has_bias, activation] = key;
  using md = dnnl::memory::desc;
  using dims = dnnl::memory::dims;
  auto f32 = dnnl::memory::data_type::f32;
  // A transposed operand is the stored matrix read with swapped strides.
  md a_md({m, k}, f32, flags & NNCC_TRANSPOSE_A ? dims{1, m} : dims{k, 1});
  md b_md({k, n}, f32, flags & NNCC_TRANSPOSE_B ? dims{1, k} : dims{n, 1});
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

void MatmulCache::run_f32(int site, int flags, const float *a, const float *b, float *c, int64_t m, int64_t k,
                          int64_t n, const float *bias, int activation) {
  if (m * k * n <= kSmallMatmul || k == 0) return matmul_loop(flags, a, b, c, m, k, n, bias, activation);
  Key key{m, k, n, flags, bias != nullptr, activation};
  Site &s = sites_.at(static_cast<size_t>(site));
  if (s.key != key) s = {key, &primitive(key)};
  Primitive &p = *s.primitive;
  p.a.set_data_handle(const_cast<float *>(a));
  p.b.set_data_handle(const_cast<float *>(b));
  p.c.set_data_handle(c);
  if (bias) p.bias.set_data_handle(const_cast<float *>(bias));
  p.matmul.execute(engine_->stream, p.args);
  engine_->stream.wait();
}

} // namespace nncc::runtime
