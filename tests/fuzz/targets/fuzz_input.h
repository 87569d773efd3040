// What the fuzz targets share: the libFuzzer entry point's signature, and
// the input as a file for loaders that take a path (a fixed name per
// process under $TMPDIR, rewritten for each input).
#pragma once
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace nncc::fuzz {

inline std::string_view text(const uint8_t *data, size_t size) { return {reinterpret_cast<const char *>(data), size}; }

/// Writes the input to a file named `<tmp>/nncc_fuzz_<pid><suffix>`; returns its path.
inline std::string as_file(const uint8_t *data, size_t size, std::string_view suffix) {
  const char *dir = std::getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/nncc_fuzz_" + std::to_string(::getpid()) + std::string(suffix);
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
  return path;
}

} // namespace nncc::fuzz
