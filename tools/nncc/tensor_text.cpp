#include "tools/nncc/tensor_text.h"

#include "nncc/npy.h"

#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

namespace nncc::tool {
namespace {

/// value ::= NUMBER | '[' (value (',' value)*)? ']'
class ListParser {
public:
  explicit ListParser(std::string_view s) : s_(s) {}

  bool parse(interp::Tensor &t, std::string &error) {
    std::vector<int64_t> shape;
    if (!value(0, shape, t.data, error)) return false;
    skip();
    if (pos_ != s_.size()) return fail(error, "unexpected text after the value");
    t.shape = shape;
    return true;
  }

private:
  void skip() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  bool fail(std::string &error, std::string_view what) {
    error = fmt::format("{} at column {}", what, pos_ + 1);
    return false;
  }
  bool value(size_t depth, std::vector<int64_t> &shape, std::vector<double> &data, std::string &error) {
    skip();
    if (depth > 32) return fail(error, "lists nested too deeply");
    if (pos_ < s_.size() && s_[pos_] == '[') {
      ++pos_;
      int64_t count = 0;
      std::vector<int64_t> inner;
      skip();
      while (pos_ < s_.size() && s_[pos_] != ']') {
        std::vector<int64_t> item_shape;
        if (!value(depth + 1, item_shape, data, error)) return false;
        if (count > 0 && item_shape != inner) return fail(error, "ragged nested list (rows of different lengths)");
        inner = item_shape;
        ++count;
        skip();
        if (pos_ < s_.size() && s_[pos_] == ',') ++pos_, skip();
        else if (pos_ >= s_.size() || s_[pos_] != ']') return fail(error, "expected ',' or ']'");
      }
      if (pos_ >= s_.size()) return fail(error, "missing ']'");
      ++pos_;
      shape = {count};
      shape.insert(shape.end(), inner.begin(), inner.end());
      return true;
    }
    std::string number(s_.substr(pos_, s_.find_first_of(",] \t", pos_) - pos_));
    char *end = nullptr;
    double v = std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size()) return fail(error, "expected a number or '['");
    pos_ += number.size();
    data.push_back(v);
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

std::string format_number(double v, int digits, bool json) {
  if (json && !std::isfinite(v)) return "null";
  if (digits > 0) return fmt::format("{:.{}g}", v, digits);
  return fmt::format("{}", v);
}

void format_rec(const interp::Tensor &t, size_t dim, int64_t &at, int digits, bool json, std::string &out) {
  if (dim == t.shape.size()) {
    out += format_number(t.data[static_cast<size_t>(at++)], digits, json);
    return;
  }
  out += '[';
  for (int64_t i = 0; i < t.shape[dim]; ++i) {
    if (i) out += ", ";
    format_rec(t, dim + 1, at, digits, json, out);
  }
  out += ']';
}

} // namespace

std::optional<interp::Tensor> parse_tensor(std::string_view text, ir::DType dtype, std::string &error) {
  interp::Tensor t{dtype, {}, {}};
  if (text.starts_with("@")) {
    try {
      npy::Array a = npy::read(std::string(text.substr(1)));
      t.shape = a.shape;
      t.data = std::move(a.values);
    } catch (const npy::Error &e) {
      error = e.what();
      return std::nullopt;
    }
  } else if (!ListParser(text).parse(t, error)) {
    return std::nullopt;
  }
  if (dtype == ir::DType::I32)
    for (double v : t.data)
      if (v != std::floor(v)) {
        error = fmt::format("{} is not an integer", v);
        return std::nullopt;
      }
  if (dtype == ir::DType::F32)
    for (double &v : t.data) v = static_cast<float>(v);
  return t;
}

std::string format_tensor(const interp::Tensor &t, int digits, bool json) {
  std::string out;
  int64_t at = 0;
  format_rec(t, 0, at, digits, json, out);
  return out;
}

} // namespace nncc::tool
