#include "nncc/idx.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <algorithm>
#include <optional>
#include <zlib.h>

namespace nncc::data {

namespace {

Error invalid(const std::string &path, const std::string &what) { return Error(fmt::format("'{}' is not a valid IDX file: {}", path, what)); }

/// What an IDX header says: the shape, the header's size and the data's.
struct Header {
  std::vector<int64_t> shape;
  size_t header_bytes = 0;
  uint64_t data_bytes = 0;
};

/// The header at the start of `raw`, or nullopt while `raw` is too short
/// to hold it (the caller decides whether more can come).
std::optional<Header> parse_header(const std::string &raw, const std::string &path) {
  auto u32 = [&](size_t at) {
    return (uint32_t(uint8_t(raw[at])) << 24) | (uint32_t(uint8_t(raw[at + 1])) << 16) | (uint32_t(uint8_t(raw[at + 2])) << 8) | uint8_t(raw[at + 3]);
  };
  if (raw.size() < 4) return std::nullopt;
  uint32_t magic = u32(0);
  if ((magic >> 16) != 0 || ((magic >> 8) & 0xff) != 0x08)
    throw invalid(path, fmt::format("magic 0x{:08x}, expected 0x000008NN (unsigned bytes)", magic));
  size_t rank = magic & 0xff;
  if (rank == 0 || rank > 4) throw invalid(path, fmt::format("rank {} in the magic, expected 1 to 4", rank));
  if (raw.size() < 4 + 4 * rank) return std::nullopt;
  Header h;
  h.header_bytes = 4 + 4 * rank;
  h.data_bytes = 1;
  for (size_t i = 0; i < rank; ++i) {
    h.shape.push_back(u32(4 + 4 * i));
    if (__builtin_mul_overflow(h.data_bytes, static_cast<uint64_t>(h.shape.back()), &h.data_bytes))
      throw invalid(path, fmt::format("the header's dimensions {} multiply to more than 2^64 bytes", shape_str(h.shape)));
  }
  return h;
}

/// The gzip stream `in`, inflated. It must end with its trailer (CRC-32 and
/// length): a download cut short is an error, not a shorter file. As soon as
/// the IDX header is out, its numbers bound the output: a header promising
/// more than the stream can hold (deflate inflates at most ~1032:1) or data
/// beyond what it promised is refused before anything large is allocated.
std::string gunzip(const std::string &in, const std::string &path) {
  constexpr uint64_t kMaxRatio = 1032;
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw Error(fmt::format("'{}': cannot start decompressing", path));
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  std::optional<Header> header;
  char buffer[1 << 16];
  int rc = Z_OK;
  try {
    while (rc == Z_OK) {
      z.next_out = reinterpret_cast<Bytef *>(buffer);
      z.avail_out = sizeof buffer;
      rc = inflate(&z, Z_NO_FLUSH);
      out.append(buffer, sizeof buffer - z.avail_out);
      if (!header && (header = parse_header(out, path))) {
        if (header->data_bytes > kMaxRatio * in.size())
          throw invalid(path, fmt::format("the header promises {} bytes of data ({}), more than a {}-byte gzip file can hold",
                                          header->data_bytes, shape_str(header->shape), in.size()));
        out.reserve(header->header_bytes + header->data_bytes); // one allocation, not ~log2(size) copies
      }
      if (header && out.size() - header->header_bytes > header->data_bytes)
        throw invalid(path, fmt::format("more data than the header promises ({} bytes, {})", header->data_bytes, shape_str(header->shape)));
    }
  } catch (...) {
    inflateEnd(&z);
    throw;
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
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) throw Error(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  std::string raw(static_cast<size_t>(std::max<std::streamoff>(f.tellg(), 0)), '\0');
  f.seekg(0);
  if (!f.read(raw.data(), static_cast<std::streamsize>(raw.size()))) throw Error(fmt::format("cannot read '{}'", path));
  bool gzip = raw.size() >= 2 && uint8_t(raw[0]) == 0x1f && uint8_t(raw[1]) == 0x8b;
  return gzip ? gunzip(raw, path) : raw;
}

} // namespace

IdxArray read_idx(const std::string &path) {
  std::string raw = read_all(path);
  std::optional<Header> h = parse_header(raw, path);
  if (!h) throw invalid(path, raw.size() < 4 ? fmt::format("{} bytes, shorter than the 4-byte magic", raw.size()) : "truncated header");
  if (raw.size() - h->header_bytes != h->data_bytes)
    throw invalid(path, fmt::format("the header promises {} bytes of data ({}), the file has {}", h->data_bytes, shape_str(h->shape),
                                    raw.size() - h->header_bytes));
  IdxArray out;
  out.shape = std::move(h->shape);
  out.bytes.assign(raw.begin() + static_cast<long>(h->header_bytes), raw.end());
  return out;
}

} // namespace nncc::data
