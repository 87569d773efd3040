// CSV datasets: comma-separated numbers, one sample per line, an optional
// header line (detected: a first line with a field that is not a number;
// or as the spec's header=yes|no says).
#include "data/loaders.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <optional>
#include <sstream>

namespace nncc::data {

namespace {

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  std::string out(s.substr(b, e - b + 1));
  if (out.size() >= 2 && out.front() == '"' && out.back() == '"') out = out.substr(1, out.size() - 2);
  return out;
}

std::vector<std::string> split_fields(const std::string &line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(trim(item));
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

std::optional<double> number(const std::string &s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

} // namespace

Dataset from_csv(const std::string &name, const std::string &path, const std::string &label, CsvHeader header_line) {
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  std::vector<std::string> header;
  std::vector<double> values;
  size_t columns = 0, line_no = 0, first_line = 0;
  int64_t rows = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    std::vector<std::string> fields = split_fields(line);
    if (header_line == CsvHeader::Yes && header.empty() && rows == 0 && columns == 0) { // skipped, whatever its fields
      header = fields;
      header_line = CsvHeader::No;
      continue;
    }
    bool first = columns == 0;
    if (first) columns = fields.size(), first_line = line_no;
    if (fields.size() != columns)
      throw Error(fmt::format("'{}' line {} has {} fields, line {} has {}", path, line_no, fields.size(), first_line, columns));
    if (first && header_line == CsvHeader::Auto && !std::all_of(fields.begin(), fields.end(), [](auto &f) { return number(f).has_value(); })) {
      header = fields;
      continue;
    }
    for (size_t c = 0; c < columns; ++c) {
      std::optional<double> v = number(fields[c]);
      if (!v) throw Error(fmt::format("'{}' line {} column {}: '{}' is not a number", path, line_no, c + 1, fields[c]));
      if (!std::isfinite(*v)) throw Error(fmt::format("'{}' line {} column {}: {} (only finite numbers are data)", path, line_no, c + 1, fields[c]));
      values.push_back(*v);
    }
    ++rows;
  }
  if (rows == 0) throw Error(fmt::format("'{}' has no data rows", path));

  if (header.size() != columns) header.clear(); // a line of counts, not of column names
  std::optional<size_t> label_column;
  if (!label.empty()) {
    auto named = std::find(header.begin(), header.end(), label);
    if (named != header.end()) label_column = static_cast<size_t>(named - header.begin());
    else if (auto index = number(label); index && *index >= 0 && *index < static_cast<double>(columns) && *index == std::floor(*index))
      label_column = static_cast<size_t>(*index);
    else
      throw Error(fmt::format("'{}': no column '{}' (the file has {} columns{})", path, label, columns,
                              header.empty() ? ", no header" : fmt::format(": {}", fmt::join(header, ", "))));
  }
  auto features = static_cast<int64_t>(columns - (label_column ? 1 : 0));
  if (features == 0) throw Error(fmt::format("'{}': no feature columns besides the label", path));
  Tensor x(DType::F32, {rows, features});
  std::vector<double> labels;
  for (int64_t r = 0; r < rows; ++r)
    for (size_t c = 0, f = 0; c < columns; ++c) {
      double v = values[static_cast<size_t>(r) * columns + c];
      if (label_column == c) labels.push_back(v);
      else x.data<float>()[r * features + static_cast<int64_t>(f++)] = static_cast<float>(v);
    }
  Dataset d{name, {{"x", std::move(x)}}, rows};
  if (label_column) {
    bool whole = std::all_of(labels.begin(), labels.end(), [](double v) { return v == std::floor(v) && std::abs(v) < 2147483648.0; });
    Tensor y(whole ? DType::I32 : DType::F32, {rows});
    for (int64_t r = 0; r < rows; ++r) {
      if (whole) y.data<int32_t>()[r] = static_cast<int32_t>(labels[static_cast<size_t>(r)]);
      else y.data<float>()[r] = static_cast<float>(labels[static_cast<size_t>(r)]);
    }
    d.fields.emplace("y", std::move(y));
  }
  return d;
}

} // namespace nncc::data
