#include "ir/types.h"

#include <fmt/format.h>

namespace nncc::ir {

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
  case DType::F32: return "f32";
  case DType::F64: return "f64";
  case DType::I32: return "i32";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view text) {
  if (text == "f32") return DType::F32;
  if (text == "f64") return DType::F64;
  if (text == "i32") return DType::I32;
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

} // namespace nncc::ir
