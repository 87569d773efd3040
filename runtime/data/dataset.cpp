#include "nncc/dataset.hpp"

#include "nncc/idx.hpp"

#include <cstring>
#include <fmt/format.h>
#include <map>

namespace nncc::data {

namespace {

const char *kFashionDir = "/usr/share/datasets/fashion-mnist/";

/// key=value pairs after "kind:".
std::map<std::string, std::string> spec_options(const std::string &spec, size_t from) {
  std::map<std::string, std::string> out;
  size_t at = from;
  while (at < spec.size()) {
    size_t comma = spec.find(',', at), end = comma == std::string::npos ? spec.size() : comma;
    std::string item = spec.substr(at, end - at);
    size_t eq = item.find('=');
    if (eq == std::string::npos) throw Error(fmt::format("data spec '{}': '{}' is not key=value", spec, item));
    out[item.substr(0, eq)] = item.substr(eq + 1);
    at = end + 1;
  }
  return out;
}

Dataset from_idx(const std::string &name, const std::string &images_path, const std::string &labels_path, double scale) {
  IdxArray images = read_idx(images_path), labels = read_idx(labels_path);
  if (labels.shape.size() != 1)
    throw Error(fmt::format("'{}': labels must be one-dimensional, the file holds {}", labels_path, shape_str(labels.shape)));
  if (images.shape[0] != labels.shape[0])
    throw Error(fmt::format("'{}' has {} images but '{}' has {} labels", images_path, images.shape[0], labels_path, labels.shape[0]));
  int64_t rows = images.shape[0], width = static_cast<int64_t>(images.bytes.size()) / std::max<int64_t>(rows, 1);
  Dataset d{name, {}, rows};
  Tensor x(DType::F32, {rows, width});
  for (size_t i = 0; i < images.bytes.size(); ++i) x.data<float>()[i] = static_cast<float>(images.bytes[i] * scale);
  Tensor y(DType::I32, {rows});
  for (int64_t i = 0; i < rows; ++i) y.data<int32_t>()[i] = labels.bytes[static_cast<size_t>(i)];
  d.fields = {{"x", std::move(x)}, {"y", std::move(y)}};
  return d;
}

} // namespace

Splits load(const std::string &spec, double image_scale) {
  if (spec == "fashion-mnist") {
    std::string dir = kFashionDir;
    return {from_idx("fashion-mnist", dir + "train-images-idx3-ubyte.gz", dir + "train-labels-idx1-ubyte.gz", image_scale),
            from_idx("fashion-mnist (test)", dir + "t10k-images-idx3-ubyte.gz", dir + "t10k-labels-idx1-ubyte.gz", image_scale)};
  }
  if (spec == "xor") {
    Dataset d{"xor", {{"x", Tensor::f32({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1})}, {"y", Tensor::f32({4, 1}, {0, 1, 1, 0})}}, 4};
    return {d, std::nullopt};
  }
  if (spec.starts_with("idx:")) {
    auto o = spec_options(spec, 4);
    if (!o.count("images") || !o.count("labels"))
      throw Error(fmt::format("data spec '{}': idx needs images=PATH,labels=PATH", spec));
    return {from_idx(spec, o["images"], o["labels"], image_scale), std::nullopt};
  }
  throw Error(fmt::format("unknown data spec '{}' (expected fashion-mnist, xor or idx:images=PATH,labels=PATH)", spec));
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
