// Reading NumPy .npy arrays (format versions 1-3, little-endian, C order):
// float32/64, int8/16/32/64 and uint8/16/32/64 elements.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace nncc::npy {

struct Array {
  std::string dtype;           // NumPy's descr, e.g. "<f4"
  std::vector<int64_t> shape;
  std::vector<double> values;  // row-major, converted to double
};

/// A bad or unreadable file: the message names the file and the problem.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Array read(const std::string &path);

} // namespace nncc::npy
