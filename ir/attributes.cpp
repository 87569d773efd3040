#include "ir/attributes.h"

#include <charconv>
#include <fmt/format.h>
#include <stdexcept>

namespace nncc::ir {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

AttrValue parse_default(std::string_view text, AttrKind kind) {
  if (text == "none") return NoneAttr{};
  if (text == "true") return true;
  if (text == "false") return false;
  if (kind == AttrKind::Int || kind == AttrKind::Pair) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && p == text.data() + text.size()) return kind == AttrKind::Int ? AttrValue{v} : AttrValue{pair(v, v)};
  } else if (kind == AttrKind::Float) {
    return std::stod(std::string(text));
  } else if (kind == AttrKind::DType) {
    if (auto d = parse_dtype(text)) return *d;
  }
  throw std::logic_error(fmt::format("bad default '{}' in attribute spec", text));
}

} // namespace

std::vector<Dim> pair(int64_t h, int64_t w) { return {Dim::fixed(h), Dim::fixed(w)}; }

std::string_view attr_kind_name(AttrKind kind) {
  switch (kind) {
  case AttrKind::Int: return "an integer";
  case AttrKind::Float: return "a number";
  case AttrKind::Bool: return "true or false";
  case AttrKind::Dims: return "a list of dimensions";
  case AttrKind::DType: return "a dtype";
  case AttrKind::Pair: return "an integer or a list [h, w] of two integers";
  }
  return "?";
}

std::vector<AttrSpec> parse_attr_specs(std::string_view spec) {
  std::vector<AttrSpec> out;
  while (!trim(spec).empty()) {
    size_t comma = spec.find(',');
    std::string_view item = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);

    AttrSpec s;
    size_t colon = item.find(':');
    if (colon == std::string_view::npos) throw std::logic_error("attribute spec needs name:kind");
    s.name = std::string(trim(item.substr(0, colon)));
    std::string_view rest = item.substr(colon + 1);
    std::string_view default_text;
    if (size_t eq = rest.find('='); eq != std::string_view::npos) {
      default_text = trim(rest.substr(eq + 1));
      rest = rest.substr(0, eq);
    }
    rest = trim(rest);
    if (rest.ends_with('?')) {
      s.allows_none = true;
      rest.remove_suffix(1);
    }
    if (rest == "int") s.kind = AttrKind::Int;
    else if (rest == "float") s.kind = AttrKind::Float;
    else if (rest == "bool") s.kind = AttrKind::Bool;
    else if (rest == "dims") s.kind = AttrKind::Dims;
    else if (rest == "dtype") s.kind = AttrKind::DType;
    else if (rest == "pair") s.kind = AttrKind::Pair;
    else throw std::logic_error(fmt::format("unknown attribute kind '{}'", rest));
    if (!default_text.empty()) s.default_value = parse_default(default_text, s.kind);
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<AttrValue> coerce_attr(const AttrSpec &spec, const AttrValue &value) {
  if (attr_is_none(value)) return spec.allows_none ? std::optional(value) : std::nullopt;
  switch (spec.kind) {
  case AttrKind::Int:
    if (std::holds_alternative<int64_t>(value)) return value;
    break;
  case AttrKind::Float:
    if (std::holds_alternative<int64_t>(value) || std::holds_alternative<double>(value))
      return AttrValue{attr_float(value)};
    break;
  case AttrKind::Bool:
    if (std::holds_alternative<bool>(value)) return value;
    break;
  case AttrKind::Dims:
    if (std::holds_alternative<std::vector<Dim>>(value)) return value;
    break;
  case AttrKind::DType:
    if (std::holds_alternative<DType>(value)) return value;
    break;
  case AttrKind::Pair:
    if (auto *i = std::get_if<int64_t>(&value)) return AttrValue{pair(*i, *i)};
    if (auto *dims = std::get_if<std::vector<Dim>>(&value); dims && dims->size() == 2 && !(*dims)[0].is_symbolic() && !(*dims)[1].is_symbolic())
      return value;
    break;
  }
  return std::nullopt;
}

std::string format_attr(const AttrValue &value) {
  struct Visitor {
    std::string operator()(NoneAttr) const { return "none"; }
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const {
      std::string s = fmt::format("{}", v);
      // Keep floats recognisable as floats in the text IR.
      if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
      return s;
    }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::vector<Dim> &dims) const { return shape_str(dims); }
    std::string operator()(DType d) const { return std::string(dtype_name(d)); }
  };
  return std::visit(Visitor{}, value);
}

Attrs default_attrs(const std::vector<AttrSpec> &specs) {
  Attrs attrs;
  for (const AttrSpec &s : specs) attrs.push_back(s.default_value.value_or(NoneAttr{}));
  return attrs;
}

int find_attr(const std::vector<AttrSpec> &specs, std::string_view name) {
  for (size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == name) return static_cast<int>(i);
  return -1;
}

} // namespace nncc::ir
