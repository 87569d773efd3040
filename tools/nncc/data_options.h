// The data options nncc train and nncc eval share: --data SPEC, --scale
// (for u8 images) and --bind INPUT=FIELD.
#pragma once
#include "nncc/dataset.hpp"

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

namespace nncc::tool {

struct DataOptions {
  std::string data;
  std::string scale = "1/255";
  std::vector<std::string> bind;

  /// Registers --data (required), --scale and --bind on `cmd`.
  void add_to(CLI::App &cmd, const std::string &data_help);
  /// --scale as a number: "0.5", "1/255". Throws Error.
  double image_scale() const;
  /// --bind items as input -> field. Throws Error.
  std::map<std::string, std::string> overrides() const;
  /// The dataset of `spec` at this --scale.
  data::Splits load(const std::string &spec) const { return data::load(spec, image_scale()); }
};

} // namespace nncc::tool
