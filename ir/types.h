// Tensor types of the IR: a dtype and a shape whose dimensions are either
// static sizes or symbolic names bound at run time (the batch, N).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nncc::ir {

// BF16 (bfloat16: f32's exponent, 8 bits of mantissa) holds the operands of
// matrix products under --precision bf16 (the bf16-products pass); models
// never declare it, and results, params and optimizer state stay f32.
enum class DType { F32, F64, I32, BF16 };

std::string_view dtype_name(DType dtype);
std::optional<DType> parse_dtype(std::string_view text);
inline bool is_float(DType d) { return d != DType::I32; }
/// The dtype of a matrix product or convolution of `operands`: bf16 ones
/// accumulate and store in f32, others keep their dtype.
inline DType product_dtype(DType operands) { return operands == DType::BF16 ? DType::F32 : operands; }
/// The bytes of one element.
int64_t dtype_size(DType d);
/// Where `axis` (negative: counted from the end) lies among `rank` axes;
/// nullopt when it is out of range.
std::optional<size_t> normalize_axis(int64_t axis, int rank);
/// normalize_axis of an axis a type rule has accepted.
size_t axis_index(int64_t axis, int rank);

/// One dimension: a static size (symbol empty) or a symbolic name.
struct Dim {
  int64_t size = 0;
  std::string symbol;

  static Dim fixed(int64_t n) { return Dim{n, {}}; }
  static Dim named(std::string s) { return Dim{0, std::move(s)}; }
  bool is_symbolic() const { return !symbol.empty(); }
  bool is_one() const { return !is_symbolic() && size == 1; }
  bool operator==(const Dim &) const = default;
  std::string str() const;
};

using Shape = std::vector<Dim>;

struct Type {
  DType dtype = DType::F32;
  Shape shape;

  static Type scalar(DType d) { return Type{d, {}}; }
  int rank() const { return static_cast<int>(shape.size()); }
  bool is_scalar() const { return shape.empty(); }
  bool has_symbolic_dims() const;
  bool operator==(const Type &) const = default;
  /// "f32[N, 2]"; a scalar prints as "f32".
  std::string str() const;
};

std::string shape_str(const Shape &shape);

/// A byte count that may depend on symbolic dims: coef times the product of
/// `symbols` (sorted, repeated for powers), e.g. 2048 N for an f32[N, 512].
struct ByteSize {
  int64_t coef = 0;
  std::vector<std::string> symbols;

  bool operator==(const ByteSize &) const = default;
  std::string str() const; // "2048*N", "1024"
};
ByteSize byte_size(const Type &type);
/// Sizes summed per product of symbols, largest power first: "2048*N + 1024".
std::string format_byte_sum(const std::vector<ByteSize> &sizes);

/// Static element count, or nullopt when a dimension is symbolic or the
/// product overflows int64.
std::optional<int64_t> static_numel(const Shape &shape);

} // namespace nncc::ir
