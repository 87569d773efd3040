// Shared by nncc train and nncc eval: which dataset field feeds which model
// input, and the evaluation of a session over a whole dataset (loss,
// accuracy, confusion matrix) in inference mode.
#pragma once
#include "nncc/dataset.hpp"
#include "nncc/nncc.hpp"

#include <map>
#include <span>
#include <string>
#include <vector>

namespace nncc::tool {

/// Which dataset field feeds each input of the model: `overrides` (input ->
/// field, from --bind), else the field of the same name, else by role (the
/// first float input takes "x", the other "y"). Checks shapes, dtypes and
/// that integer labels are in the range the model indexes with.
class Binding {
public:
  Binding(const ModelDesc &model, const data::Dataset &d, const std::map<std::string, std::string> &overrides = {});

  /// The model's inputs for rows `rows`.
  TensorMap batch(const data::Dataset &d, std::span<const int64_t> rows) const;
  /// The input fed by the dataset's labels ("y"), or "".
  std::string label_input() const;

private:
  struct Field {
    std::string input, field;
    DType dtype; // the input's: fields convert on the way in
    std::vector<int64_t> row_shape;
  };
  std::vector<Field> fields_;
};

struct Evaluation {
  double loss = 0, accuracy = -1;        // accuracy < 0: not a classifier with labels
  std::vector<std::vector<int64_t>> confusion; // [true class][predicted class]
};

/// The model's first output when it holds class scores [N, K], else "".
std::string class_scores(const ModelDesc &model);

/// Loss, accuracy and confusion matrix over all of `d`, in inference mode.
Evaluation evaluate(Session &s, const Binding &binding, const data::Dataset &d, const std::string &scores);

} // namespace nncc::tool
