#include "tools/nncc/evaluation.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <numeric>

namespace nncc::tool {

namespace {

/// Every distinct data input of the model's entry points, in order
/// (apply_update's inputs are gradients, not data).
std::vector<const ArgDesc *> model_inputs(const ModelDesc &model) {
  std::vector<const ArgDesc *> inputs;
  for (const FunctionDesc &f : model.functions)
    for (const ArgDesc &a : f.args)
      if (f.name != "apply_update" && a.kind == ArgKind::Input && std::none_of(inputs.begin(), inputs.end(), [&](auto *i) { return i->name == a.name; }))
        inputs.push_back(&a);
  return inputs;
}

bool is_float(DType t) { return t != DType::I32; }

/// Labels outside [0, limit) would index out of bounds in compiled code:
/// refuse the dataset up front, naming the first offending row.
void check_label_range(const Tensor &labels, int64_t limit, const std::string &input, const std::string &field, const data::Dataset &d) {
  int64_t per_row = std::max<int64_t>(labels.numel() / std::max<int64_t>(d.rows, 1), 1);
  for (int64_t i = 0; i < labels.numel(); ++i) {
    int32_t v = labels.data<int32_t>()[i];
    if (v < 0 || v >= limit)
      throw Error(fmt::format("dataset '{}': field '{}' holds {} in row {}, but model input '{}' takes values in [0, {})", d.name, field, v,
                              i / per_row, input, limit));
  }
}

} // namespace

Binding::Binding(const ModelDesc &model, const data::Dataset &d, const std::map<std::string, std::string> &overrides) {
  std::vector<const ArgDesc *> inputs = model_inputs(model);
  std::vector<std::string> field_names;
  for (const auto &[name, t] : d.fields) field_names.push_back(name);
  for (const auto &[input, field] : overrides) {
    if (std::none_of(inputs.begin(), inputs.end(), [&](auto *a) { return a->name == input; }))
      throw Error(fmt::format("--bind {}={}: model '{}' has no input '{}'", input, field, model.name, input));
    if (!d.fields.count(field))
      throw Error(fmt::format("--bind {}={}: dataset '{}' has no field '{}' (fields: {})", input, field, d.name, field, fmt::join(field_names, ", ")));
  }
  bool features_taken = false;
  for (const ArgDesc *a : inputs) {
    std::string field = overrides.count(a->name) ? overrides.at(a->name)
                        : d.fields.count(a->name) ? a->name
                        : (is_float(a->dtype) && !features_taken ? "x" : "y");
    features_taken |= field == "x";
    if (!d.fields.count(field))
      throw Error(fmt::format("dataset '{}' has no field for input '{}' (fields: {}; use --bind {}=FIELD)", d.name, a->name,
                              fmt::join(field_names, ", "), a->name));
    const Tensor &t = d.fields.at(field);
    int64_t need = 1, have = t.numel() / std::max<int64_t>(t.shape()[0], 1);
    for (size_t i = 1; i < a->shape.size(); ++i) need *= a->shape[i].is_symbolic() ? -1 : a->shape[i].size;
    bool batched = !a->shape.empty() && a->shape[0].is_symbolic();
    // Floats convert between widths and whole-number labels convert to float
    // targets; floats never silently become integer labels.
    bool convertible = t.dtype() == a->dtype || is_float(a->dtype);
    if (!batched || need != have || !convertible)
      throw Error(fmt::format("input '{}' ({}) cannot take field '{}' of dataset '{}' ({}): {}", a->name, declared_str(model, *a), field,
                              d.name, t.type_str(),
                              !batched      ? std::string("the input's first dimension must be symbolic, one row per sample")
                              : !convertible ? std::string("float data cannot be integer labels")
                                             : fmt::format("its rows hold {} elements, the input's {}", have, need)));
    if (a->index_limit > 0 && t.dtype() == DType::I32) check_label_range(t, a->index_limit, a->name, field, d);
    std::vector<int64_t> shape;
    for (size_t i = 1; i < a->shape.size(); ++i) shape.push_back(a->shape[i].size);
    fields_.push_back({a->name, field, a->dtype, shape});
  }
}

TensorMap Binding::batch(const data::Dataset &d, std::span<const int64_t> rows) const {
  TensorMap out;
  for (const auto &b : fields_) out.emplace(b.input, data::gather(d, b.field, rows, b.dtype, b.row_shape));
  return out;
}

std::string Binding::label_input() const {
  for (const auto &b : fields_)
    if (b.field == "y") return b.input;
  return "";
}

std::string class_scores(const ModelDesc &m) {
  const FunctionDesc *f = m.function("evaluate");
  if (!f || f->results.size() < 2) return "";
  const TensorDesc &first = f->results.front();
  return first.shape.size() == 2 && first.shape[0].is_symbolic() && !first.shape[1].is_symbolic() && first.dtype != DType::I32 ? first.name : "";
}

Evaluation evaluate(Session &s, const Binding &binding, const data::Dataset &d, const std::string &scores) {
  Evaluation r;
  std::string labels = binding.label_input();
  int64_t correct = 0;
  const int64_t chunk = 1000;
  for (int64_t start = 0; start < d.rows; start += chunk) {
    std::vector<int64_t> rows(static_cast<size_t>(std::min(chunk, d.rows - start)));
    std::iota(rows.begin(), rows.end(), start);
    TensorMap inputs = binding.batch(d, rows), out = s.evaluate(inputs);
    r.loss += out.at("loss").item() * static_cast<double>(rows.size());
    if (scores.empty() || labels.empty() || inputs.at(labels).dtype() != DType::I32) continue;
    const Tensor &z = out.at(scores);
    auto k = static_cast<size_t>(z.shape().back());
    if (r.confusion.empty()) r.confusion.assign(k, std::vector<int64_t>(k, 0));
    for (size_t i = 0; i < rows.size(); ++i) {
      size_t best = 0;
      for (size_t j = 1; j < k; ++j)
        if (z.at(static_cast<int64_t>(i * k + j)) > z.at(static_cast<int64_t>(i * k + best))) best = j;
      auto truth = static_cast<size_t>(inputs.at(labels).data<int32_t>()[i]);
      correct += best == truth;
      ++r.confusion[truth][best];
    }
  }
  r.loss /= static_cast<double>(std::max<int64_t>(d.rows, 1));
  if (!r.confusion.empty()) r.accuracy = static_cast<double>(correct) / static_cast<double>(d.rows);
  return r;
}

} // namespace nncc::tool
