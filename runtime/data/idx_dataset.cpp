// `idx:images=PATH,labels=PATH` and Fashion-MNIST: u8 images and labels.
#include "data/loaders.h"

#include "nncc/idx.hpp"

#include <cstring>
#include <fmt/format.h>

namespace nncc::data {

Dataset from_idx(const std::string &name, const std::string &images_path, const std::string &labels_path, double scale) {
  IdxArray images = read_idx(images_path), labels = read_idx(labels_path);
  if (labels.shape.size() != 1)
    throw Error(fmt::format("'{}': labels must be one-dimensional, the file holds {}", labels_path, shape_str(labels.shape)));
  if (images.shape[0] != labels.shape[0])
    throw Error(fmt::format("'{}' has {} images but '{}' has {} labels", images_path, images.shape[0], labels_path, labels.shape[0]));
  int64_t rows = images.shape[0], width = static_cast<int64_t>(images.bytes.size()) / std::max<int64_t>(rows, 1);
  Dataset d{name, {}, rows, scale};
  Tensor x(DType::U8, {rows, width}); // scaled when batches are gathered
  std::memcpy(x.raw(), images.bytes.data(), images.bytes.size());
  Tensor y(DType::I32, {rows});
  int32_t *classes = y.data<int32_t>();
  for (int64_t i = 0; i < rows; ++i) classes[i] = labels.bytes[static_cast<size_t>(i)];
  d.fields = {{"x", std::move(x)}, {"y", std::move(y)}};
  return d;
}

} // namespace nncc::data
