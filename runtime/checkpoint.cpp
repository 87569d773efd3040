#include "checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

namespace nncc::runtime {

namespace {

const char *safetensors_dtype(DType d) {
  switch (d) {
  case DType::F32: return "F32";
  case DType::F64: return "F64";
  case DType::I32: return "I32";
  case DType::U8: return "U8";
  }
  return "?";
}

std::optional<DType> parse_dtype(const std::string &s) {
  if (s == "F32") return DType::F32;
  if (s == "F64") return DType::F64;
  if (s == "I32") return DType::I32;
  if (s == "U8") return DType::U8;
  return std::nullopt;
}

// The metadata key of the data's CRC-32 (zlib's), written by every save and
// checked by every load that finds it: a flipped bit in the params is
// refused instead of trained on. (Files from other tools have none.)
constexpr const char *kChecksumKey = "nncc_data_crc32";

std::string data_checksum(const char *data, size_t size) { return fmt::format("{:08x}", crc32(data, size)); }

} // namespace

uint32_t crc32(const void *bytes, size_t size, uint32_t crc) {
  auto data = static_cast<const Bytef *>(bytes);
  while (size > 0) { // zlib's crc32 takes a uInt length
    auto chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = static_cast<uint32_t>(::crc32(crc, data, chunk));
    data += chunk, size -= chunk;
  }
  return crc;
}

void write_safetensors(const std::string &path, const Checkpoint &checkpoint) {
  std::string data;
  for (const auto &[name, t] : checkpoint.tensors) data.append(static_cast<const char *>(t.raw()), t.nbytes());
  nlohmann::ordered_json header;
  std::map<std::string, std::string> metadata = checkpoint.metadata;
  metadata[kChecksumKey] = data_checksum(data.data(), data.size());
  header["__metadata__"] = metadata;
  size_t offset = 0;
  for (const auto &[name, t] : checkpoint.tensors) {
    header[name] = {{"dtype", safetensors_dtype(t.dtype())}, {"shape", t.shape()}, {"data_offsets", {offset, offset + t.nbytes()}}};
    offset += t.nbytes();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' '); // keeps the data 8-byte aligned
  uint64_t length = text.size();

  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(fmt::format("cannot write checkpoint '{}': {}", path, std::strerror(errno)));
    char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((length >> (8 * i)) & 0xff);
    out.write(len, 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error(fmt::format("cannot write checkpoint '{}': write failed", path));
    }
  }
  // On disk before it takes the checkpoint's name: a power cut after the
  // rename must not leave an empty file under it.
  if (int fd = ::open(tmp.c_str(), O_RDONLY); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw Error(fmt::format("cannot write checkpoint '{}': {}", path, ec.message()));
  }
}

Checkpoint read_safetensors(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot open checkpoint '{}': {}", path, std::strerror(errno)));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto fail = [&](const std::string &what) { return Error(fmt::format("checkpoint '{}': {}", path, what)); };
  if (bytes.size() < 8) throw fail("file is too short to be safetensors");
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[static_cast<size_t>(i)])) << (8 * i);
  if (length > bytes.size() - 8) throw fail(fmt::format("header length {} exceeds the file size {}", length, bytes.size()));
  nlohmann::json header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(length), nullptr, false);
  if (header.is_discarded() || !header.is_object()) throw fail("the header is not a JSON object");
  const size_t data_start = 8 + length, data_size = bytes.size() - data_start;

  Checkpoint cp;
  std::vector<std::pair<uint64_t, std::string>> starts; // each tensor's first byte
  for (const auto &[name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw fail("__metadata__ is not an object");
      for (const auto &[k, v] : entry.items()) {
        if (!v.is_string()) throw fail(fmt::format("__metadata__ entry '{}' is {}, not a string", k, v.dump()));
        cp.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    try {
      auto dtype = parse_dtype(entry.at("dtype").get<std::string>());
      if (!dtype) throw fail(fmt::format("tensor '{}' has unsupported dtype {}", name, entry.at("dtype").dump()));
      auto shape = entry.at("shape").get<std::vector<int64_t>>();
      auto offsets = entry.at("data_offsets").get<std::vector<uint64_t>>();
      // The header's numbers are checked before anything is allocated by them.
      uint64_t nbytes = dtype_size(*dtype);
      for (int64_t d : shape)
        if (d < 0 || __builtin_mul_overflow(nbytes, static_cast<uint64_t>(d), &nbytes))
          throw fail(fmt::format("tensor '{}' has shape {}: negative, or more bytes than memory can hold", name, entry.at("shape").dump()));
      if (offsets.size() != 2 || offsets[1] < offsets[0] || offsets[1] > data_size || offsets[1] - offsets[0] != nbytes)
        throw fail(fmt::format("tensor '{}' ({}{}) has byte range {} outside the data or of the wrong size", name, dtype_name(*dtype),
                               entry.at("shape").dump(), entry.at("data_offsets").dump()));
      starts.emplace_back(offsets[0], name);
      Tensor t(*dtype, shape);
      if (t.nbytes() > 0) // an empty tensor may have no buffer: memcpy from/to null is undefined
        std::memcpy(t.raw(), bytes.data() + data_start + offsets[0], t.nbytes());
      cp.tensors.emplace(name, std::move(t));
    } catch (const nlohmann::json::exception &e) {
      throw fail(fmt::format("tensor '{}' has a malformed header entry ({})", name, e.what()));
    }
  }
  // As the safetensors format requires: the tensors tile the data, no byte
  // shared, none left over.
  std::sort(starts.begin(), starts.end());
  uint64_t covered = 0;
  for (const auto &[start, name] : starts) {
    if (start != covered)
      throw fail(fmt::format("tensor '{}' starts at byte {} of the data, where {} was expected (tensors overlap or leave a gap)", name,
                             start, covered));
    covered += cp.tensors.at(name).nbytes();
  }
  if (covered != data_size) throw fail(fmt::format("{} bytes of data follow the last tensor", data_size - covered));
  // After the structure's checks, which name a truncation more precisely.
  if (auto saved = cp.metadata.find(kChecksumKey); saved != cp.metadata.end()) {
    std::string found = data_checksum(bytes.data() + data_start, data_size);
    if (saved->second != found)
      throw fail(fmt::format("the data does not match the checksum saved with it (CRC-32 {} where {} was saved): the file is damaged",
                             found, saved->second));
  }
  return cp;
}

} // namespace nncc::runtime
