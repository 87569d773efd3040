// Safetensors files (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype,
// shape and byte range, then the raw little-endian data. PyTorch and the
// Hugging Face tools read them as they are.
#pragma once
#include "nncc/nncc.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace nncc::runtime {

struct Checkpoint {
  std::map<std::string, std::string> metadata;
  TensorMap tensors;
};

/// zlib's CRC-32 of `size` bytes, continuing from `crc` (0 to start).
uint32_t crc32(const void *bytes, size_t size, uint32_t crc = 0);

/// Writes atomically: a temporary file in the same directory, synced, then
/// renamed, so a crash never leaves a truncated checkpoint. The metadata
/// gets the data's CRC-32. Throws Error.
void write_safetensors(const std::string &path, const Checkpoint &checkpoint);
/// Throws Error naming the file and the problem (missing, truncated, bad
/// header, unsupported dtype, ranges out of bounds, data that does not
/// match its CRC-32).
Checkpoint read_safetensors(const std::string &path);

} // namespace nncc::runtime
