#include "nncc/idx.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <zlib.h>

namespace nncc::data {

namespace {

/// The gzip stream `in`, inflated. It must end with its trailer (CRC-32 and
/// length): a download cut short is an error, not a shorter file.
std::string gunzip(const std::string &in, const std::string &path) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw Error(fmt::format("'{}': cannot start decompressing", path));
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buffer[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef *>(buffer);
    z.avail_out = sizeof buffer;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
  }
  std::string why = rc == Z_BUF_ERROR ? "the gzip stream is cut short (no end-of-stream trailer: a partial download?)"
                    : z.msg           ? z.msg
                                      : "corrupt gzip data";
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw Error(fmt::format("'{}': cannot decompress: {}", path, why));
  return out;
}

/// The whole file, decompressed when it starts with gzip's magic bytes.
std::string read_all(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  std::string raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw Error(fmt::format("cannot read '{}'", path));
  bool gzip = raw.size() >= 2 && uint8_t(raw[0]) == 0x1f && uint8_t(raw[1]) == 0x8b;
  return gzip ? gunzip(raw, path) : raw;
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
