// Compile-time attributes of ops, initializers and optimizers (axis, eps,
// lr, ...). Each owner declares its attributes once as a spec string such as
// "axis:int?=none, keepdims:bool=false"; parsers, printers and the frontend's
// keyword-argument checks all read that one declaration.
#pragma once
#include "ir/types.h"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace nncc::ir {

struct NoneAttr {
  bool operator==(const NoneAttr &) const = default;
};

using AttrValue = std::variant<NoneAttr, int64_t, double, bool, std::vector<Dim>, DType>;

/// Pair: an int or [h, w] (conv strides, padding, pool kernels), stored as [h, w].
enum class AttrKind { Int, Float, Bool, Dims, DType, Pair };

struct AttrSpec {
  std::string name;
  AttrKind kind = AttrKind::Int;
  bool allows_none = false;           // "int?": the value may be `none`
  std::optional<AttrValue> default_value;  // nullopt: the attribute is required
};

/// Parses "name:kind[?][=default], ..." (a malformed spec is a programming
/// error in an op table and throws std::logic_error).
std::vector<AttrSpec> parse_attr_specs(std::string_view spec);

std::string_view attr_kind_name(AttrKind kind);

/// Converts `value` to the spec's kind (an integer is a valid float), or
/// returns nullopt when it does not fit.
std::optional<AttrValue> coerce_attr(const AttrSpec &spec, const AttrValue &value);

/// The text form used by the IR printer and parser: 3, 0.5, true, none,
/// [N, 784], f32.
std::string format_attr(const AttrValue &value);

/// Attribute values stored in spec order, defaults filled in.
using Attrs = std::vector<AttrValue>;

Attrs default_attrs(const std::vector<AttrSpec> &specs);
int find_attr(const std::vector<AttrSpec> &specs, std::string_view name);

/// The value of a pair attribute given as [h, w].
std::vector<Dim> pair(int64_t h, int64_t w);

inline double attr_float(const AttrValue &v) {
  if (auto *i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::get<double>(v);
}
inline bool attr_is_none(const AttrValue &v) { return std::holds_alternative<NoneAttr>(v); }

} // namespace nncc::ir
