#include "tools/nncc/standardize.h"

#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace nncc::tool {

namespace {

constexpr const char *kPrefix = "standardize.";

bool is_feature(const std::string &name, const Tensor &t) { return name != "y" && t.dtype() == DType::F32 && t.shape().size() == 2; }

std::vector<double> numbers(const std::string &key, const std::string &text) {
  std::vector<double> out;
  for (size_t at = 0; at <= text.size();) {
    size_t end = text.find(',', at);
    if (end == std::string::npos) end = text.size();
    double v = 0;
    auto [stop, ec] = std::from_chars(text.data() + at, text.data() + end, v);
    if (ec != std::errc() || stop != text.data() + end || !std::isfinite(v))
      throw Error(fmt::format("checkpoint metadata '{}' is not a list of numbers", key));
    out.push_back(v);
    at = end + 1;
  }
  return out;
}

} // namespace

Standardization Standardization::fit(const data::Dataset &train) {
  Standardization s;
  for (const auto &[name, t] : train.fields) {
    if (!is_feature(name, t)) continue;
    int64_t rows = t.shape()[0], columns = t.shape()[1];
    Columns c{std::vector<double>(static_cast<size_t>(columns)), std::vector<double>(static_cast<size_t>(columns))};
    const float *x = t.data<float>();
    for (int64_t j = 0; j < columns; ++j) {
      double sum = 0, squares = 0;
      for (int64_t i = 0; i < rows; ++i) sum += x[i * columns + j];
      double mean = sum / static_cast<double>(rows);
      for (int64_t i = 0; i < rows; ++i) squares += (x[i * columns + j] - mean) * (x[i * columns + j] - mean);
      double sd = std::sqrt(squares / static_cast<double>(rows));
      c.mean[static_cast<size_t>(j)] = mean;
      c.scale[static_cast<size_t>(j)] = sd > 0 ? sd : 1;
    }
    s.fields.emplace(name, std::move(c));
  }
  if (s.fields.empty())
    throw Error(fmt::format("--standardize: '{}' has no feature columns (f32 [rows, columns] fields such as a CSV's or an .npy's)", train.name));
  return s;
}

std::map<std::string, std::string> Standardization::metadata() const {
  std::map<std::string, std::string> m;
  for (const auto &[name, c] : fields) {
    m[fmt::format("{}{}.mean", kPrefix, name)] = fmt::format("{}", fmt::join(c.mean, ","));
    m[fmt::format("{}{}.scale", kPrefix, name)] = fmt::format("{}", fmt::join(c.scale, ","));
  }
  return m;
}

Standardization Standardization::from_metadata(const std::map<std::string, std::string> &metadata) {
  Standardization s;
  for (const auto &[key, value] : metadata) {
    if (!key.starts_with(kPrefix) || !key.ends_with(".mean")) continue;
    std::string field = key.substr(std::char_traits<char>::length(kPrefix), key.size() - std::char_traits<char>::length(kPrefix) - 5);
    std::string scale_key = fmt::format("{}{}.scale", kPrefix, field);
    auto scale = metadata.find(scale_key);
    if (scale == metadata.end()) throw Error(fmt::format("checkpoint metadata has '{}' but no '{}'", key, scale_key));
    Columns c{numbers(key, value), numbers(scale_key, scale->second)};
    if (c.mean.size() != c.scale.size()) throw Error(fmt::format("checkpoint metadata '{}' and '{}' differ in length", key, scale_key));
    for (double v : c.scale)
      if (v <= 0) throw Error(fmt::format("checkpoint metadata '{}' holds a scale of {}", scale_key, v));
    s.fields.emplace(field, std::move(c));
  }
  return s;
}

void Standardization::apply(data::Dataset &d) const {
  for (const auto &[name, c] : fields) {
    auto it = d.fields.find(name);
    if (it == d.fields.end() || !is_feature(name, it->second) || it->second.shape()[1] != static_cast<int64_t>(c.mean.size()))
      throw Error(fmt::format("'{}' has no f32 field '{}' of {} columns to standardize as in training", d.name, name, c.mean.size()));
    Tensor &t = it->second;
    int64_t rows = t.shape()[0], columns = t.shape()[1];
    float *x = t.data<float>();
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < columns; ++j)
        x[i * columns + j] = static_cast<float>((x[i * columns + j] - c.mean[static_cast<size_t>(j)]) / c.scale[static_cast<size_t>(j)]);
  }
}

} // namespace nncc::tool
