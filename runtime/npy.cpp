#include "nncc/npy.h"

#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <string_view>

namespace nncc::npy {
namespace {

[[noreturn]] void fail(const std::string &path, const std::string &why) { throw Error("'" + path + "': " + why); }

/// The value of 'key' in the header's Python dict literal.
std::string dict_field(const std::string &header, const std::string &key, const std::string &path) {
  std::smatch m;
  std::regex field("'" + key + "'\\s*:\\s*('[^']*'|True|False|\\([^)]*\\))");
  if (!std::regex_search(header, m, field)) fail(path, "the .npy header has no '" + key + "'");
  return m[1].str();
}

/// The sizes of a shape tuple like "(2, 20)", "(5,)" or "()", and in
/// 'count' their product. The header's numbers are checked before anything
/// is read by them: anything but sizes, or a product that overflows, is an
/// error.
std::vector<int64_t> parse_shape(const std::string &dims, size_t &count, const std::string &path) {
  std::vector<int64_t> shape;
  std::string_view rest(dims);
  rest = rest.substr(1, rest.size() - 2); // the regex matched "(...)"
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty() && rest.find_first_not_of(' ') == std::string_view::npos && !shape.empty()) break; // "(5,)"
    int64_t n = -1;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || n < 0)
      fail(path, "the shape " + dims + " is not a tuple of sizes");
    if (__builtin_mul_overflow(count, static_cast<size_t>(n), &count))
      fail(path, "the shape " + dims + " has more elements than memory can hold");
    shape.push_back(n);
  }
  return shape;
}

template <typename T> void convert(const char *data, size_t count, std::vector<double> &out) {
  for (size_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, data + i * sizeof(T), sizeof(T));
    out.push_back(static_cast<double>(v));
  }
}

} // namespace

Array read(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) fail(path, "not a .npy file (bad magic)");
  int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8;
    offset = 10;
  } else if ((major == 2 || major == 3) && bytes.size() >= 12) {
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + static_cast<size_t>(i)])) << (8 * i);
    offset = 12;
  } else {
    fail(path, "unsupported .npy version " + std::to_string(major));
  }
  if (offset + header_len > bytes.size()) fail(path, "truncated .npy header");
  std::string header = bytes.substr(offset, header_len);
  Array a;
  a.dtype = dict_field(header, "descr", path);
  a.dtype = a.dtype.substr(1, a.dtype.size() - 2);
  if (dict_field(header, "fortran_order", path) != "False") fail(path, "Fortran-ordered arrays are not supported");
  std::string dims = dict_field(header, "shape", path);
  size_t count = 1;
  a.shape = parse_shape(dims, count, path);
  const char *data = bytes.data() + offset + header_len;
  size_t available = bytes.size() - offset - header_len;
  const std::string &d = a.dtype;
  if (d.size() < 3 || d[0] == '>') fail(path, "unsupported element type '" + d + "' (little-endian numbers only)");
  size_t width = 0, needed = 0;
  auto [wend, wec] = std::from_chars(d.data() + 2, d.data() + d.size(), width);
  if (wec != std::errc() || wend != d.data() + d.size() || width == 0) fail(path, "unsupported element type '" + d + "'");
  if (__builtin_mul_overflow(count, width, &needed)) fail(path, "the shape " + dims + " has more bytes than memory can hold");
  if (available < needed) fail(path, "the data is truncated: expected " + std::to_string(needed) + " bytes");
  if (available > needed)
    fail(path, std::to_string(available - needed) + " bytes follow the " + std::to_string(needed) + " bytes of data the shape " +
                   dims + " holds");
  std::string kind = d.substr(1);
  if (kind == "f4") convert<float>(data, count, a.values);
  else if (kind == "f8") convert<double>(data, count, a.values);
  else if (kind == "i1") convert<int8_t>(data, count, a.values);
  else if (kind == "i2") convert<int16_t>(data, count, a.values);
  else if (kind == "i4") convert<int32_t>(data, count, a.values);
  else if (kind == "i8") convert<int64_t>(data, count, a.values);
  else if (kind == "u1") convert<uint8_t>(data, count, a.values);
  else if (kind == "u2") convert<uint16_t>(data, count, a.values);
  else if (kind == "u4") convert<uint32_t>(data, count, a.values);
  else if (kind == "u8") convert<uint64_t>(data, count, a.values);
  else fail(path, "unsupported element type '" + d + "'");
  return a;
}

} // namespace nncc::npy
