// Matrix products for compiled code: oneDNN 2.6 for f32 and for bf16
// operands (f32 accumulation and result), with transposed operands
// expressed as strides (no copies) and one primitive per (shape,
// transposes, dtype) created on first use and cached; tiny products and
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
  /// C = act(op(A) @ op(B) + bias); see nncc_rt_matmul_f32. `In` is float,
  /// or uint16_t for bf16 operands (nncc/bf16.h; widened to f32 where
  /// oneDNN has no bf16 for the CPU, bf16_support.h). Throws dnnl::error.
  template <typename In>
  void run(int site, int flags, const In *a, const In *b, float *c, int64_t m, int64_t k, int64_t n, const float *bias,
           int activation);

private:
  struct Primitive;
  // m, k, n, transpose flags, has bias, activation, bf16 operands
  using Key = std::tuple<int64_t, int64_t, int64_t, int, bool, int, bool>;
  struct Site {
    Key key{-1, -1, -1, -1, false, -1, false};
    Primitive *primitive = nullptr;
  };
  Primitive &primitive(const Key &key);

  struct Engine;
  std::unique_ptr<Engine> engine_;
  std::vector<Site> sites_;
  std::map<Key, std::unique_ptr<Primitive>> primitives_;
  std::vector<float> wide_a_, wide_b_; // bf16 operands widened (CPUs without bf16)
};

/// The plain loop (row-major, op(A) via `flags`, then the epilogue), for
/// f32, f64, and bf16 operands (uint16_t) with an f32 result.
template <typename In, typename Out>
void matmul_loop(int flags, const In *a, const In *b, Out *c, int64_t m, int64_t k, int64_t n,
                 const Out *bias = nullptr, int activation = 0);

/// Products with at most this many multiply-adds skip oneDNN.
constexpr int64_t kSmallMatmul = 8192;

} // namespace nncc::runtime
