#include "nncc/idx.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <zlib.h>

namespace nncc::data {

namespace {

/// The whole file, decompressed when it is gzip (zlib reads raw files as they are).
std::string read_all(const std::string &path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw Error(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  std::string out;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(f, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(n));
  int err = 0;
  std::string message = n < 0 ? gzerror(f, &err) : "";
  gzclose(f);
  if (n < 0) throw Error(fmt::format("'{}': cannot decompress: {}", path, message));
  return out;
}

} // namespace

IdxArray read_idx(const std::string &path) {
  std::string raw = read_all(path);
  auto fail = [&](const std::string &what) { return Error(fmt::format("'{}' is not a valid IDX file: {}", path, what)); };
  auto u32 = [&](size_t at) {
    return (uint32_t(uint8_t(raw[at])) << 24) | (uint32_t(uint8_t(raw[at + 1])) << 16) | (uint32_t(uint8_t(raw[at + 2])) << 8) | uint8_t(raw[at + 3]);
  };
  if (raw.size() < 4) throw fail(fmt::format("{} bytes, shorter than the 4-byte magic", raw.size()));
  uint32_t magic = u32(0);
  if ((magic >> 16) != 0 || ((magic >> 8) & 0xff) != 0x08)
    throw fail(fmt::format("magic 0x{:08x}, expected 0x000008NN (unsigned bytes)", magic));
  size_t rank = magic & 0xff;
  if (rank == 0 || rank > 4) throw fail(fmt::format("rank {} in the magic, expected 1 to 4", rank));
  if (raw.size() < 4 + 4 * rank) throw fail("truncated header");
  IdxArray out;
  uint64_t count = 1;
  for (size_t i = 0; i < rank; ++i) {
    out.shape.push_back(u32(4 + 4 * i));
    count *= static_cast<uint64_t>(out.shape.back());
  }
  size_t start = 4 + 4 * rank;
  if (raw.size() - start != count)
    throw fail(fmt::format("the header promises {} bytes of data ({}), the file has {}", count, shape_str(out.shape), raw.size() - start));
  out.bytes.assign(raw.begin() + static_cast<long>(start), raw.end());
  return out;
}

} // namespace nncc::data
