#include "ir/ops.h"

#include "ir/shape_rules.h"

#include <fmt/format.h>
#include <stdexcept>

namespace nncc::ir {
namespace {

std::vector<OpInfo> build_table() {
  using namespace opflag;
  std::vector<OpInfo> table;
#define OP(Enum, spelling, arity, flags, attrs, rule)                                              \
  table.push_back(OpInfo{OpKind::Enum, spelling, arity, flags, parse_attr_specs(attrs), &rules::rule});
#include "ir/ops.def"
  return table;
}

const std::vector<OpInfo> &table() {
  static const std::vector<OpInfo> t = build_table();
  return t;
}

} // namespace

const AttrValue &OpInfo::attr(const Attrs &values, std::string_view attr_name) const {
  int i = find_attr(attrs, attr_name);
  if (i < 0 || static_cast<size_t>(i) >= values.size())
    throw std::logic_error(fmt::format("op '{}' has no attribute '{}'", name, attr_name));
  return values[static_cast<size_t>(i)];
}

const OpInfo &op_info(OpKind kind) { return table()[static_cast<size_t>(kind)]; }

const OpInfo *find_op(std::string_view name) {
  for (const OpInfo &info : table())
    if (info.name == name) return &info;
  return nullptr;
}

std::span<const OpInfo> all_ops() { return table(); }

TypeResult infer_type(OpKind kind, std::span<const Type> operands, const Attrs &attrs) {
  const OpInfo &info = op_info(kind);
  size_t n = operands.size();
  if (info.arity >= 0 && n != static_cast<size_t>(info.arity))
    return TypeResult::fail(fmt::format("'{}' takes {} operand{}, got {}", info.name, info.arity,
                                        info.arity == 1 ? "" : "s", n));
  if (info.arity < 0 && n == 0)
    return TypeResult::fail(fmt::format("'{}' needs at least one operand", info.name));
  if (attrs.size() != info.attrs.size())
    return TypeResult::fail(fmt::format("'{}' expects {} attributes, got {}", info.name,
                                        info.attrs.size(), attrs.size()));
  return info.rule(info, operands, attrs);
}

} // namespace nncc::ir
