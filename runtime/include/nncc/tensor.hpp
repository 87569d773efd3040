// Dense row-major tensors exchanged between host programs and compiled
// models, and the one exception type of the runtime's C++ API.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace nncc {

/// U8 holds datasets' images as they are stored (converted per batch);
/// models take F32, F64 and I32 only.
enum class DType : uint8_t { F32, F64, I32, U8 };

const char *dtype_name(DType dtype); // "f32", "f64", "i32", "u8"
size_t dtype_size(DType dtype);

/// Any failure of the runtime API (bad input, bad file, unknown name); the
/// message names the culprit. A call that throws leaves its session as it was.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::F32; }
template <> constexpr DType dtype_of<double>() { return DType::F64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::I32; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::U8; }

class Tensor {
public:
  Tensor() = default;
  /// A zero-filled tensor.
  Tensor(DType dtype, std::vector<int64_t> shape);
  /// A tensor holding `values` (their count must match the shape).
  template <typename T> static Tensor of(std::vector<int64_t> shape, std::span<const T> values) {
    Tensor t(dtype_of<T>(), std::move(shape));
    if (static_cast<int64_t>(values.size()) != t.numel())
      throw Error("Tensor: " + std::to_string(values.size()) + " values for shape " + t.type_str());
    std::copy(values.begin(), values.end(), t.data<T>());
    return t;
  }
  static Tensor f32(std::vector<int64_t> shape, std::vector<float> values) { return of<float>(std::move(shape), values); }
  static Tensor f64(std::vector<int64_t> shape, std::vector<double> values) { return of<double>(std::move(shape), values); }
  static Tensor i32(std::vector<int64_t> shape, std::vector<int32_t> values) { return of<int32_t>(std::move(shape), values); }

  DType dtype() const { return dtype_; }
  const std::vector<int64_t> &shape() const { return shape_; }
  int64_t numel() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  void *raw() { return storage_.data(); }
  const void *raw() const { return storage_.data(); }

  /// Typed access; throws Error when T is not the tensor's dtype.
  template <typename T> T *data() {
    check_dtype(dtype_of<T>());
    return reinterpret_cast<T *>(storage_.data());
  }
  template <typename T> const T *data() const {
    check_dtype(dtype_of<T>());
    return reinterpret_cast<const T *>(storage_.data());
  }
  /// Element i converted to double, whatever the dtype.
  double at(int64_t i) const;
  /// The only element of a one-element tensor, as double.
  double item() const;
  /// "f32[4, 2]", "f32" for a scalar.
  std::string type_str() const;

private:
  void check_dtype(DType wanted) const;
  DType dtype_ = DType::F32;
  std::vector<int64_t> shape_;
  std::vector<uint64_t> storage_; // 8-byte aligned for every dtype
};

std::string shape_str(std::span<const int64_t> shape); // "[4, 2]"

} // namespace nncc
