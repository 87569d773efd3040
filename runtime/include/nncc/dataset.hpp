// Datasets for training: named fields whose first dimension is the row
// (sample) index. SPECs (SPEC §4): `fashion-mnist` (Debian's
// dataset-fashion-mnist: train and t10k splits), `idx:images=PATH,labels=PATH`
// and the synthetic `xor`. IDX images stay u8 in memory (a quarter of an f32
// copy) and are scaled by `image_scale` as batches are gathered; labels i32.
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
  double u8_scale = 1; // u8 fields (images) feed float inputs as u8_scale · value
  std::string vocabulary; // a text: dataset's characters in id order (UTF-8); empty otherwise
};

/// The checkpoint metadata key nncc train stores a text: dataset's
/// vocabulary under (nncc sample maps ids back to characters with it).
inline constexpr const char *kVocabularyMetadata = "text.vocabulary";

struct Splits {
  Dataset train;
  std::optional<Dataset> test;
};

/// Throws Error naming the spec or the file and the problem.
Splits load(const std::string &spec, double image_scale = 1.0 / 255.0);

/// The rows `rows` of every field, in that order, as dataset `name`.
Dataset subset(const Dataset &d, std::span<const int64_t> rows, std::string name);

/// The rows `rows` of `field`, in that order, as a model input of `dtype`
/// and shape [rows.size(), row_shape...] takes them (row_shape has as many
/// elements as a row of the field): a u8 field gives u8_scale · value
/// rounded to f32 (then widened for an f64 input), other fields convert by
/// value (i32 labels to float targets, floats between widths).
Tensor gather(const Dataset &d, const std::string &field, std::span<const int64_t> rows, DType dtype,
              std::span<const int64_t> row_shape);

} // namespace nncc::data
