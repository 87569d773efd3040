// IDX files (the MNIST / Fashion-MNIST format), raw or gzipped: a big-endian
// header (magic 0x0000 <type> <rank>, then rank u32 dims) followed by the
// data. Only unsigned bytes (type 0x08) are read: images and labels.
#pragma once
#include "nncc/tensor.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace nncc::data {

struct IdxArray {
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

/// Throws Error naming the file: unreadable, truncated, wrong magic, data
/// shorter than the header says.
IdxArray read_idx(const std::string &path);

} // namespace nncc::data
