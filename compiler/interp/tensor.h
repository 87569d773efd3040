// Dense row-major tensors of the reference interpreter. Elements are held as
// doubles whatever the dtype (f32 values are rounded to float after every
// op, i32 values are whole numbers), which keeps the interpreter to one code
// path per op.
#pragma once
#include "ir/types.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace nncc::interp {

struct Tensor {
  ir::DType dtype = ir::DType::F32;
  std::vector<int64_t> shape;
  std::vector<double> data;

  static Tensor zeros(ir::DType dtype, std::vector<int64_t> shape);
  static Tensor scalar(double value, ir::DType dtype = ir::DType::F32);
  int64_t numel() const { return static_cast<int64_t>(data.size()); }
  double item() const { return data.at(0); }
  /// "f32[4, 2]"
  std::string type_str() const;
};

/// A run-time problem with the data (missing input, wrong shape, label out
/// of range); the message names the input and the problem.
struct InterpError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int64_t product(const std::vector<int64_t> &shape);

} // namespace nncc::interp
