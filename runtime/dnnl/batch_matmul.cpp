#include "batch_matmul.h"

#include "bf16_support.h"
#include "matmul.h"
#include "product_loop.h"
#include "nncc/bf16.h"

#include <algorithm>
#include <oneapi/dnnl/dnnl.hpp>
#include <type_traits>

namespace nncc::runtime {

namespace {

/// Dense strides of `dims` (row-major).
std::vector<int64_t> dense_strides(const std::vector<int64_t> &dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

/// Elements a strided view spans (its last element's offset + 1).
int64_t span_of(const std::vector<int64_t> &dims, const std::vector<int64_t> &strides) {
  int64_t last = 0;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0) return 0;
    last += (dims[i] - 1) * strides[i];
  }
  return last + 1;
}

/// Axes of extent 1 get the stride a dense layout would give them (their
/// stride is never used; oneDNN checks it, and collapsing compares it).
void tidy_unit_strides(const std::vector<int64_t> &dims, std::vector<int64_t> &strides) {
  for (size_t i = dims.size(); i-- > 0;)
    if (dims[i] == 1) strides[i] = i + 1 < dims.size() ? dims[i + 1] * strides[i + 1] : 1;
}
} // namespace

MatmulGeometry::MatmulGeometry(const nncc_matmul_shape &s) {
  auto n = static_cast<size_t>(s.rank);
  a_dims.assign(s.a_dims, s.a_dims + n);
  a_strides.assign(s.a_strides, s.a_strides + n);
  b_dims.assign(s.b_dims, s.b_dims + n);
  b_strides.assign(s.b_strides, s.b_strides + n);
  c_dims.assign(s.c_dims, s.c_dims + n);
}

int64_t MatmulGeometry::macs() const {
  int64_t total = k();
  for (size_t i = 0; i < rank(); ++i) total *= i + 2 < rank() ? std::max({a_dims[i], b_dims[i], c_dims[i]}) : c_dims[i];
  return total;
}

bool MatmulGeometry::fold_sums_into_k() {
  size_t r = rank();
  for (size_t i = r - 2; i-- > 0;) {
    int64_t extent = std::max(a_dims[i], b_dims[i]);
    if (c_dims[i] != 1 || extent == 1) continue;
    if (a_dims[i] != b_dims[i] || a_strides[i] != k() * a_strides[r - 1] || b_strides[i] != k() * b_strides[r - 2]) return false;
    a_dims[r - 1] *= extent; // element (b, t) of the summed axis and K is element b * K + t of the new K
    b_dims[r - 2] *= extent;
    a_dims[i] = b_dims[i] = 1;
  }
  return true;
}

void MatmulGeometry::simplify() {
  for (size_t i = rank() - 2; i-- > 0;)
    if (a_dims[i] == 1 && b_dims[i] == 1 && c_dims[i] == 1)
      for (auto *v : {&a_dims, &a_strides, &b_dims, &b_strides, &c_dims}) v->erase(v->begin() + static_cast<ptrdiff_t>(i));
  tidy_unit_strides(a_dims, a_strides);
  tidy_unit_strides(b_dims, b_strides);
  size_t r = rank();
  if (r == 2 || std::any_of(b_dims.begin(), b_dims.end() - 2, [](int64_t d) { return d != 1; })) return;
  for (size_t i = 0; i + 2 < r; ++i) // a's batch of row blocks, evenly spaced: one taller matrix
    if (a_strides[i] != a_dims[i + 1] * a_strides[i + 1]) return;
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < r; ++i) rows *= a_dims[i];
  a_dims = {rows, k()};
  a_strides = {a_strides[r - 2], a_strides[r - 1]};
  b_dims = {b_dims[r - 2], b_dims[r - 1]};
  b_strides = {b_strides[r - 2], b_strides[r - 1]};
  c_dims = {rows, c_dims[r - 1]};
}

template <typename In, typename Out> void batch_matmul_loop(const MatmulGeometry &g, const In *a, const In *b, Out *c) {
  size_t r = g.rank();
  int64_t m = g.m(), n = g.n(), k = g.k(), count = 1;
  for (int64_t d : g.c_dims) count *= d;
  std::fill(c, c + count, Out(0));
  std::vector<int64_t> c_strides = dense_strides(g.c_dims), extent(r - 2), index(r - 2, 0);
  int64_t batches = 1;
  for (size_t i = 0; i + 2 < r; ++i) batches *= extent[i] = std::max({g.a_dims[i], g.b_dims[i], g.c_dims[i]});
  const int64_t am = g.a_strides[r - 2], ak = g.a_strides[r - 1], bk = g.b_strides[r - 2], bn = g.b_strides[r - 1];
  for (int64_t batch = 0; batch < batches; ++batch) {
    int64_t a0 = 0, b0 = 0, c0 = 0; // broadcast (extent 1) axes stay put; summed ones add into one c
    for (size_t i = 0; i + 2 < r; ++i) {
      if (g.a_dims[i] != 1) a0 += index[i] * g.a_strides[i];
      if (g.b_dims[i] != 1) b0 += index[i] * g.b_strides[i];
      if (g.c_dims[i] != 1) c0 += index[i] * c_strides[i];
    }
    accumulate_product(a + a0, am, ak, b + b0, bk, bn, c + c0, m, k, n);
    for (size_t i = r - 2; i-- > 0 && ++index[i] == extent[i];) index[i] = 0;
  }
}
template void batch_matmul_loop(const MatmulGeometry &, const float *, const float *, float *);
template void batch_matmul_loop(const MatmulGeometry &, const double *, const double *, double *);
template void batch_matmul_loop(const MatmulGeometry &, const uint16_t *, const uint16_t *, float *);

struct BatchMatmulCache::Engine {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

struct BatchMatmulCache::Primitive {
  bool supported = false; // oneDNN took the geometry (else: the plain loop)
  dnnl::matmul matmul;
  dnnl::memory a, b, c;
};

BatchMatmulCache::BatchMatmulCache(int sites) : engine_(std::make_unique<Engine>()), sites_(static_cast<size_t>(sites)) {}
BatchMatmulCache::~BatchMatmulCache() = default;

BatchMatmulCache::Primitive &BatchMatmulCache::primitive(const std::vector<int64_t> &key, const MatmulGeometry &g, bool bf16) {
  auto &slot = primitives_[key];
  if (slot) return *slot;
  slot = std::make_unique<Primitive>();
  using md = dnnl::memory::desc;
  auto f32 = dnnl::memory::data_type::f32, in = bf16 ? dnnl::memory::data_type::bf16 : f32;
  md a_md(g.a_dims, in, g.a_strides), b_md(g.b_dims, in, g.b_strides), c_md(g.c_dims, f32, dense_strides(g.c_dims));
  try {
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), engine_->engine);
    slot->matmul = dnnl::matmul(pd);
    slot->supported = true;
  } catch (const dnnl::error &) { // strides no implementation takes: the loop computes it
    return *slot;
  }
  slot->a = dnnl::memory(a_md, engine_->engine, DNNL_MEMORY_NONE);
  slot->b = dnnl::memory(b_md, engine_->engine, DNNL_MEMORY_NONE);
  slot->c = dnnl::memory(c_md, engine_->engine, DNNL_MEMORY_NONE);
  return *slot;
}

template <typename In> void BatchMatmulCache::run(int site, const nncc_matmul_shape &shape, const In *a, const In *b, float *c) {
  MatmulGeometry g(shape);
  if (!g.fold_sums_into_k()) return batch_matmul_loop(MatmulGeometry(shape), a, b, c);
  g.simplify();
  if (g.macs() <= kSmallMatmul || g.k() == 0) return batch_matmul_loop(g, a, b, c);
  constexpr bool bf16 = std::is_same_v<In, uint16_t>;
  const void *a_data = a, *b_data = b;
  if (bf16 && !onednn_has_bf16()) { // widened to f32: the same products (bf16_support.h)
    a_data = as_f32(a, span_of(g.a_dims, g.a_strides), wide_a_);
    b_data = as_f32(b, span_of(g.b_dims, g.b_strides), wide_b_);
  }
  bool native = bf16 && onednn_has_bf16();
  std::vector<int64_t> key{native};
  for (const auto *v : {&g.a_dims, &g.a_strides, &g.b_dims, &g.b_strides, &g.c_dims}) key.insert(key.end(), v->begin(), v->end());
  Site &s = sites_.at(static_cast<size_t>(site));
  if (s.key != key) s = {key, &primitive(key, g, native)};
  Primitive &p = *s.primitive;
  if (!p.supported) return batch_matmul_loop(g, a, b, c);
  p.a.set_data_handle(const_cast<void *>(a_data));
  p.b.set_data_handle(const_cast<void *>(b_data));
  p.c.set_data_handle(c);
  p.matmul.execute(engine_->stream, {{DNNL_ARG_SRC, p.a}, {DNNL_ARG_WEIGHTS, p.b}, {DNNL_ARG_DST, p.c}});
  engine_->stream.wait();
}
template void BatchMatmulCache::run(int, const nncc_matmul_shape &, const float *, const float *, float *);
template void BatchMatmulCache::run(int, const nncc_matmul_shape &, const uint16_t *, const uint16_t *, float *);

} // namespace nncc::runtime
