// Batched matrix products (rank >= 3 operands, `@` of SPEC 1.6b) for
// compiled code: the geometry nncc_matmul_shape describes, simplified
// (summed batch axes folded into K, a batch of rows against one matrix
// made one 2-D product), then one oneDNN primitive per call site and
// geometry; f64, tiny products and strides oneDNN refuses take the plain
// strided loop.
#pragma once
#include "nncc/kernel_abi.h"

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace nncc::runtime {

/// A product's geometry as vectors (nncc_matmul_shape's numbers).
struct MatmulGeometry {
  std::vector<int64_t> a_dims, a_strides, b_dims, b_strides, c_dims;

  explicit MatmulGeometry(const nncc_matmul_shape &s);
  size_t rank() const { return c_dims.size(); }
  int64_t m() const { return c_dims[rank() - 2]; }
  int64_t n() const { return c_dims[rank() - 1]; }
  int64_t k() const { return a_dims[rank() - 1]; }
  /// Multiply-adds the product takes.
  int64_t macs() const;
  /// Folds each summed batch axis into K where both operands' strides
  /// continue K's; false when a summed axis is left.
  bool fold_sums_into_k();
  /// Drops batch axes of extent 1 everywhere; makes a batch of row blocks
  /// against one matrix a single 2-D product when a's rows are evenly spaced.
  void simplify();
};

class BatchMatmulCache {
public:
  explicit BatchMatmulCache(int sites);
  ~BatchMatmulCache();
  /// c = a @ b (float, or uint16_t bf16 operands); throws dnnl::error.
  template <typename In> void run(int site, const nncc_matmul_shape &shape, const In *a, const In *b, float *c);

private:
  struct Primitive;
  struct Site {
    std::vector<int64_t> key;
    Primitive *primitive = nullptr;
  };
  Primitive &primitive(const std::vector<int64_t> &key, const MatmulGeometry &g, bool bf16);

  struct Engine;
  std::unique_ptr<Engine> engine_;
  std::vector<Site> sites_;
  std::map<std::vector<int64_t>, std::unique_ptr<Primitive>> primitives_;
  std::vector<float> wide_a_, wide_b_; // bf16 operands widened (CPUs without bf16)
};

/// The plain strided loop of any geometry (summed axes too), for f32, f64
/// and bf16 operands (uint16_t) with an f32 result.
template <typename In, typename Out> void batch_matmul_loop(const MatmulGeometry &g, const In *a, const In *b, Out *c);

} // namespace nncc::runtime
