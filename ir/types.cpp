#include "ir/types.h"

#include <algorithm>
#include <stdexcept>
#include <fmt/format.h>
#include <map>

namespace nncc::ir {

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
  case DType::F32: return "f32";
  case DType::F64: return "f64";
  case DType::I32: return "i32";
  case DType::BF16: return "bf16";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view text) {
  if (text == "f32") return DType::F32;
  if (text == "f64") return DType::F64;
  if (text == "i32") return DType::I32;
  if (text == "bf16") return DType::BF16;
  return std::nullopt;
}

std::string Dim::str() const { return is_symbolic() ? symbol : std::to_string(size); }

std::string shape_str(const Shape &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += shape[i].str();
  }
  return out + "]";
}

bool Type::has_symbolic_dims() const {
  for (const Dim &d : shape)
    if (d.is_symbolic()) return true;
  return false;
}

std::string Type::str() const {
  if (shape.empty()) return std::string(dtype_name(dtype));
  return fmt::format("{}{}", dtype_name(dtype), shape_str(shape));
}

std::optional<int64_t> static_numel(const Shape &shape) {
  int64_t n = 1;
  for (const Dim &d : shape) {
    if (d.is_symbolic()) return std::nullopt;
    if (__builtin_mul_overflow(n, d.size, &n)) return std::nullopt;
  }
  return n;
}

int64_t dtype_size(DType d) {
  switch (d) {
  case DType::F32: return 4;
  case DType::F64: return 8;
  case DType::I32: return 4;
  case DType::BF16: return 2;
  }
  return 4;
}

std::optional<size_t> normalize_axis(int64_t axis, int rank) {
  if (axis < -rank || axis >= rank) return std::nullopt;
  return static_cast<size_t>(axis < 0 ? axis + rank : axis);
}

size_t axis_index(int64_t axis, int rank) {
  if (auto a = normalize_axis(axis, rank)) return *a;
  throw std::logic_error(fmt::format("axis {} is out of range for rank {}", axis, rank));
}

ByteSize byte_size(const Type &type) {
  ByteSize size{dtype_size(type.dtype), {}};
  for (const Dim &d : type.shape) {
    if (d.is_symbolic()) size.symbols.push_back(d.symbol);
    else size.coef *= d.size;
  }
  std::sort(size.symbols.begin(), size.symbols.end());
  return size;
}

std::string ByteSize::str() const {
  std::string out = std::to_string(coef);
  for (const std::string &s : symbols) out += "*" + s;
  return out;
}

std::string format_byte_sum(const std::vector<ByteSize> &sizes) {
  std::map<std::vector<std::string>, int64_t> terms;
  for (const ByteSize &s : sizes) terms[s.symbols] += s.coef;
  std::vector<ByteSize> sorted;
  for (const auto &[symbols, coef] : terms) sorted.push_back({coef, symbols});
  std::stable_sort(sorted.begin(), sorted.end(), [](const ByteSize &a, const ByteSize &b) { return a.symbols.size() > b.symbols.size(); });
  std::string out;
  for (const ByteSize &s : sorted) out += (out.empty() ? "" : " + ") + s.str();
  return out.empty() ? "0" : out;
}

} // namespace nncc::ir
