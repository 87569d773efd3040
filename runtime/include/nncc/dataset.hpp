// Datasets for training: named fields whose first dimension is the row
// (sample) index. SPECs (SPEC §4): `fashion-mnist` (Debian's
// dataset-fashion-mnist: train and t10k splits), `idx:images=PATH,labels=PATH`
// and the synthetic `xor`. Images become f32 rows scaled by `image_scale`;
// labels i32.
#pragma once
#include "nncc/nncc.hpp"

#include <optional>
#include <span>
#include <string>

namespace nncc::data {

struct Dataset {
  std::string name;
  TensorMap fields; // "x": features, "y": labels or targets
  int64_t rows = 0;
};

struct Splits {
  Dataset train;
  std::optional<Dataset> test;
};

/// Throws Error naming the spec or the file and the problem.
Splits load(const std::string &spec, double image_scale = 1.0 / 255.0);

/// The rows `rows` of every field, in that order.
TensorMap gather(const Dataset &d, std::span<const int64_t> rows);

} // namespace nncc::data
