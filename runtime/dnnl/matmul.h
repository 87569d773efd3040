// Matrix products for compiled code: oneDNN 2.6 for f32, with transposed
// operands expressed as strides (no copies) and one primitive per
// (shape, transposes) created on first use and cached; tiny products and
// f64 take a plain loop, where oneDNN's per-call overhead would dominate.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

namespace nncc::runtime {

class MatmulCache {
public:
  explicit MatmulCache(int sites);
  ~MatmulCache();
  /// C = act(op(A) @ op(B) + bias); see nncc_rt_matmul_f32. Throws dnnl::error.
  void run_f32(int site, int flags, const float *a, const float *b, float *c, int64_t m, int64_t k, int64_t n,
               const float *bias, int activation);

private:
  struct Primitive;
  // m, k, n, transpose flags, has bias, activation
  using Key = std::tuple<int64_t, int64_t, int64_t, int, bool, int>;
  struct Site {
    Key key{-1, -1, -1, -1, false, -1};
    Primitive *primitive = nullptr;
  };
  Primitive &primitive(const Key &key);

  struct Engine;
  std::unique_ptr<Engine> engine_;
  std::vector<Site> sites_;
  std::map<Key, std::unique_ptr<Primitive>> primitives_;
};

/// The plain loop (row-major, op(A) via `flags`, then the epilogue), for
/// any element type.
template <typename T>
void matmul_loop(int flags, const T *a, const T *b, T *c, int64_t m, int64_t k, int64_t n, const T *bias = nullptr,
                 int activation = 0);

/// Products with at most this many multiply-adds skip oneDNN.
constexpr int64_t kSmallMatmul = 8192;

} // namespace nncc::runtime
