// --standardize: each feature column scaled to mean 0 and variance 1 with
// the training data's statistics (scikit-learn's StandardScaler: population
// variance; a constant column is only centred), kept in the checkpoint's
// metadata so that nncc eval and --resume apply the very same transform.
#pragma once
#include "nncc/dataset.hpp"

#include <map>
#include <string>
#include <vector>

namespace nncc::tool {

struct Standardization {
  struct Columns {
    std::vector<double> mean, scale; // x' = (x - mean) / scale, per column
  };
  std::map<std::string, Columns> fields; // the f32 fields [rows, columns] but the labels

  /// The statistics of `train`'s feature fields; throws Error when it has none.
  static Standardization fit(const data::Dataset &train);
  /// What `metadata` (a checkpoint's) holds; empty when it holds none.
  static Standardization from_metadata(const std::map<std::string, std::string> &metadata);
  std::map<std::string, std::string> metadata() const;
  /// Scales `d`'s fields in place; throws Error when a field or its width is missing.
  void apply(data::Dataset &d) const;
  bool empty() const { return fields.empty(); }
};

} // namespace nncc::tool
