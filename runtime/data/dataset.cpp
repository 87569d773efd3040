#include "nncc/dataset.hpp"

#include "data/loaders.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <type_traits>

namespace nncc::data {

namespace {

const char *kFashionDir = "/usr/share/datasets/fashion-mnist/";
const char *kKnownSpecs = "fashion-mnist, xor, spirals[:n=N,k=K,seed=S], idx:images=PATH,labels=PATH, csv:PATH[,label=COLUMN][,header=yes|no], npy:NAME=PATH,... or text:PATH,context=T[,split=F][,stride=S][,holdout=chunks|tail]";

int64_t integer_option(const std::string &spec, const std::map<std::string, std::string> &o, const std::string &key, int64_t fallback) {
  auto it = o.find(key);
  if (it == o.end()) return fallback;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || end != it->second.data() + it->second.size())
    throw Error(fmt::format("data spec '{}': {}={} is not an integer", spec, key, it->second));
  return v;
}

void expect_keys(const std::string &spec, const std::map<std::string, std::string> &o, std::initializer_list<const char *> allowed) {
  for (const auto &[key, value] : o)
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char *a) { return key == a; }))
      throw Error(fmt::format("data spec '{}': unknown option '{}' (expected {})", spec, key.empty() ? value : key, fmt::join(allowed, ", ")));
}

} // namespace

std::map<std::string, std::string> spec_options(const std::string &spec, size_t from) {
  std::map<std::string, std::string> out;
  size_t at = from;
  while (at < spec.size()) {
    size_t comma = spec.find(',', at), end = comma == std::string::npos ? spec.size() : comma;
    std::string item = spec.substr(at, end - at);
    size_t eq = item.find('=');
    if (eq == std::string::npos) out[""] = item;
    else out[item.substr(0, eq)] = item.substr(eq + 1);
    at = end + 1;
  }
  return out;
}

Splits load(const std::string &spec, double image_scale) {
  if (spec == "fashion-mnist") {
    std::string dir = kFashionDir;
    return {from_idx("fashion-mnist", dir + "train-images-idx3-ubyte.gz", dir + "train-labels-idx1-ubyte.gz", image_scale),
            from_idx("fashion-mnist (test)", dir + "t10k-images-idx3-ubyte.gz", dir + "t10k-labels-idx1-ubyte.gz", image_scale)};
  }
  if (spec == "xor") return {xor_dataset(), std::nullopt};
  if (spec == "spirals" || spec.starts_with("spirals:")) {
    auto o = spec_options(spec, spec.size() > 8 ? 8 : spec.size());
    expect_keys(spec, o, {"n", "k", "seed"});
    return {spirals(integer_option(spec, o, "n", 100), integer_option(spec, o, "k", 3), static_cast<uint64_t>(integer_option(spec, o, "seed", 0))),
            std::nullopt};
  }
  if (spec.starts_with("idx:")) {
    auto o = spec_options(spec, 4);
    expect_keys(spec, o, {"images", "labels"});
    if (!o.count("images") || !o.count("labels"))
      throw Error(fmt::format("data spec '{}': idx needs images=PATH,labels=PATH", spec));
    return {from_idx(spec, o["images"], o["labels"], image_scale), std::nullopt};
  }
  if (spec.starts_with("csv:")) {
    auto o = spec_options(spec, 4);
    expect_keys(spec, o, {"", "label", "header"});
    if (!o.count("")) throw Error(fmt::format("data spec '{}': csv needs a PATH", spec));
    CsvHeader header = CsvHeader::Auto;
    if (o.count("header")) {
      if (o["header"] != "yes" && o["header"] != "no")
        throw Error(fmt::format("data spec '{}': header={} (yes: the first line is a header to skip; no: it is data)", spec, o["header"]));
      header = o["header"] == "yes" ? CsvHeader::Yes : CsvHeader::No;
    }
    return {from_csv(spec, o[""], o.count("label") ? o["label"] : "", header), std::nullopt};
  }
  if (spec.starts_with("text:")) {
    auto o = spec_options(spec, 5);
    expect_keys(spec, o, {"", "context", "split", "stride", "holdout"});
    if (!o.count("") || !o.count("context")) throw Error(fmt::format("data spec '{}': text needs PATH,context=T", spec));
    double split = 0.9;
    if (o.count("split")) {
      const std::string &f = o["split"];
      auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), split);
      if (ec != std::errc() || end != f.data() + f.size()) throw Error(fmt::format("data spec '{}': split={} is not a number", spec, f));
    }
    return from_text(spec, o[""], integer_option(spec, o, "context", 0), split, integer_option(spec, o, "stride", 1),
                     o.count("holdout") ? o["holdout"] : "chunks");
  }
  if (spec.starts_with("npy:")) return {from_npy(spec, spec_options(spec, 4), image_scale), std::nullopt};
  throw Error(fmt::format("unknown data spec '{}' (expected {})", spec, kKnownSpecs));
}

namespace {

/// Calls f with a value of the C++ type of `dtype`.
template <typename F> void with_type(DType dtype, F f) {
  switch (dtype) {
  case DType::F32: return f(float{});
  case DType::F64: return f(double{});
  case DType::I32: return f(int32_t{});
  case DType::U8: return f(uint8_t{});
  }
}

template <typename To, typename From>
void convert_rows(const From *src, To *dst, int64_t width, std::span<const int64_t> rows, double u8_scale) {
  for (size_t i = 0; i < rows.size(); ++i) {
    const From *row = src + rows[i] * width;
    To *out = dst + static_cast<int64_t>(i) * width;
    for (int64_t j = 0; j < width; ++j) {
      if constexpr (std::is_same_v<From, uint8_t> && std::is_floating_point_v<To>)
        out[j] = static_cast<To>(static_cast<float>(row[j] * u8_scale));
      else
        out[j] = static_cast<To>(row[j]);
    }
  }
}

} // namespace

Tensor gather(const Dataset &d, const std::string &field, std::span<const int64_t> rows, DType dtype,
              std::span<const int64_t> row_shape) {
  const Tensor &f = d.fields.at(field);
  std::vector<int64_t> shape{static_cast<int64_t>(rows.size())};
  shape.insert(shape.end(), row_shape.begin(), row_shape.end());
  Tensor out(dtype, shape);
  int64_t width = f.numel() / std::max<int64_t>(f.shape()[0], 1);
  if (out.numel() != static_cast<int64_t>(rows.size()) * width)
    throw Error(fmt::format("dataset '{}': a row of field '{}' ({}) has {} elements, not the {} of {}", d.name, field, f.type_str(), width,
                            out.numel() / std::max<int64_t>(shape[0], 1), shape_str(row_shape)));
  if (f.dtype() == dtype) { // rows as they are
    auto row_bytes = static_cast<size_t>(width) * dtype_size(dtype);
    auto *dst = static_cast<char *>(out.raw());
    const auto *src = static_cast<const char *>(f.raw());
    for (size_t i = 0; i < rows.size(); ++i) std::memcpy(dst + i * row_bytes, src + static_cast<size_t>(rows[i]) * row_bytes, row_bytes);
    return out;
  }
  with_type(f.dtype(), [&](auto from) {
    with_type(dtype, [&](auto to) {
      using From = decltype(from);
      using To = decltype(to);
      convert_rows(static_cast<const From *>(f.raw()), static_cast<To *>(out.raw()), width, rows, d.u8_scale);
    });
  });
  return out;
}

Dataset subset(const Dataset &d, std::span<const int64_t> rows, std::string name) {
  Dataset out{std::move(name), {}, static_cast<int64_t>(rows.size()), d.u8_scale, d.vocabulary};
  for (const auto &[field, t] : d.fields) {
    std::vector<int64_t> row_shape(t.shape().begin() + 1, t.shape().end());
    out.fields.emplace(field, gather(d, field, rows, t.dtype(), row_shape));
  }
  return out;
}

} // namespace nncc::data
