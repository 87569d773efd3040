#include "nncc/tensor.hpp"

#include "memory.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace nncc {

const char *dtype_name(DType dtype) {
  switch (dtype) {
  case DType::F32: return "f32";
  case DType::F64: return "f64";
  case DType::I32: return "i32";
  case DType::U8: return "u8";
  }
  return "?";
}

size_t dtype_size(DType dtype) { return dtype == DType::F64 ? 8 : dtype == DType::U8 ? 1 : 4; }

std::string shape_str(std::span<const int64_t> shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

Tensor::Tensor(DType dtype, std::vector<int64_t> shape) : dtype_(dtype), shape_(std::move(shape)) {
  uint64_t bytes = dtype_size(dtype_);
  for (int64_t d : shape_) {
    if (d < 0) throw Error(fmt::format("Tensor: negative dimension in shape {}", shape_str(shape_)));
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes)) bytes = UINT64_MAX;
  }
  runtime::check_fits_in_memory(bytes, fmt::format("a {} tensor", type_str()));
  storage_.assign((nbytes() + 7) / 8, 0);
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape_) n *= d;
  return n;
}

double Tensor::at(int64_t i) const {
  switch (dtype_) {
  case DType::F32: return data<float>()[i];
  case DType::F64: return data<double>()[i];
  case DType::I32: return data<int32_t>()[i];
  case DType::U8: return data<uint8_t>()[i];
  }
  return 0;
}

double Tensor::item() const {
  if (numel() != 1) throw Error(fmt::format("item(): the tensor is {}, not one element", type_str()));
  return at(0);
}

std::string Tensor::type_str() const {
  return shape_.empty() ? dtype_name(dtype_) : fmt::format("{}{}", dtype_name(dtype_), shape_str(shape_));
}

void Tensor::check_dtype(DType wanted) const {
  if (wanted != dtype_)
    throw Error(fmt::format("tensor is {}, accessed as {}", type_str(), dtype_name(wanted)));
}

} // namespace nncc
