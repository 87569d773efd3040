#include "nncc/dataset.hpp"

#include "data/loaders.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fmt/format.h>

namespace nncc::data {

namespace {

const char *kFashionDir = "/usr/share/datasets/fashion-mnist/";
const char *kKnownSpecs = "fashion-mnist, xor, spirals[:n=N,k=K,seed=S], idx:images=PATH,labels=PATH, csv:PATH[,label=COLUMN] or npy:NAME=PATH,...";

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
    expect_keys(spec, o, {"", "label"});
    if (!o.count("")) throw Error(fmt::format("data spec '{}': csv needs a PATH", spec));
    return {from_csv(spec, o[""], o.count("label") ? o["label"] : ""), std::nullopt};
  }
  if (spec.starts_with("npy:")) return {from_npy(spec, spec_options(spec, 4), image_scale), std::nullopt};
  throw Error(fmt::format("unknown data spec '{}' (expected {})", spec, kKnownSpecs));
}

TensorMap gather(const Dataset &d, std::span<const int64_t> rows) {
  TensorMap out;
  for (const auto &[name, field] : d.fields) {
    std::vector<int64_t> shape = field.shape();
    shape[0] = static_cast<int64_t>(rows.size());
    Tensor t(field.dtype(), shape);
    size_t row_bytes = field.nbytes() / static_cast<size_t>(std::max<int64_t>(field.shape()[0], 1));
    auto *dst = static_cast<char *>(t.raw());
    const auto *src = static_cast<const char *>(field.raw());
    for (size_t i = 0; i < rows.size(); ++i) std::memcpy(dst + i * row_bytes, src + static_cast<size_t>(rows[i]) * row_bytes, row_bytes);
    out.emplace(name, std::move(t));
  }
  return out;
}

} // namespace nncc::data
