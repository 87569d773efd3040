#include "ir/ops.h"

#include "ir/shape_rules.h"
#include "ir/type_limits.h"

#include <fmt/format.h>
#include <stdexcept>

namespace nncc::ir {
namespace {

std::vector<OpInfo> build_table() {
  using namespace opflag;
  std::vector<OpInfo> table;
#define OP(Enum, spelling, arity, lowering, flags, attrs, rule)                                    \
  table.push_back(OpInfo{OpKind::Enum, spelling, arity, Lowering::lowering, flags, parse_attr_specs(attrs), &rules::rule, \
                         Epilogue::None, std::nullopt, 0, {}, precedence::Atom}); /* facts below */
#include "ir/ops.def"
  auto row = [&](OpKind kind) -> OpInfo & { return table[static_cast<size_t>(kind)]; };
#define OP_EPILOGUE(Enum, role) row(OpKind::Enum).epilogue = Epilogue::role;
#define OP_INDEX(Enum, operand, bound_by, axis) row(OpKind::Enum).index = IndexOperand{operand, bound_by, axis};
#define OP_INFIX(Enum, symbol, strength)                                                           \
  row(OpKind::Enum).infix = symbol;                                                                \
  row(OpKind::Enum).precedence = precedence::strength;
#define OP_NOTATION(Enum, format, strength)                                                        \
  row(OpKind::Enum).notation = format;                                                             \
  row(OpKind::Enum).precedence = precedence::strength;
#include "ir/ops.def"
  return table;
}

const std::vector<OpInfo> &table() {
  static const std::vector<OpInfo> t = build_table();
  return t;
}

} // namespace

const AttrValue &OpInfo::attr_named(const Attrs &values, std::string_view attr_name) const {
  int i = find_attr(attrs, attr_name);
  if (i < 0 || static_cast<size_t>(i) >= values.size())
    throw std::logic_error(fmt::format("op '{}' has no attribute '{}'", name, attr_name));
  return values[static_cast<size_t>(i)];
}

const OpInfo &op_info(OpKind kind) { return table()[static_cast<size_t>(kind)]; }

Attrs attrs_of(OpKind kind, std::initializer_list<NamedAttr> named) {
  const OpInfo &info = op_info(kind);
  Attrs attrs = default_attrs(info.attrs);
  std::vector<bool> given(attrs.size(), false);
  for (const auto &[attr_name, value] : named) {
    std::string_view name = attr_name.name;
    int i = find_attr(info.attrs, name);
    if (i < 0) throw std::logic_error(fmt::format("op '{}' has no attribute '{}'", info.name, name));
    auto coerced = coerce_attr(info.attrs[static_cast<size_t>(i)], value);
    if (!coerced) throw std::logic_error(fmt::format("'{}' of op '{}' must be {}", name, info.name, attr_kind_name(info.attrs[static_cast<size_t>(i)].kind)));
    attrs[static_cast<size_t>(i)] = *coerced;
    given[static_cast<size_t>(i)] = true;
  }
  for (size_t i = 0; i < attrs.size(); ++i)
    if (!given[i] && !info.attrs[i].default_value)
      throw std::logic_error(fmt::format("op '{}' needs attribute '{}'", info.name, info.attrs[i].name));
  return attrs;
}

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
  TypeResult result = info.rule(info, operands, attrs);
  if (result.type && !fixed_size_fits(*result.type))
    return TypeResult::fail(fmt::format("the result of '{}': {}", info.name, too_large_message(*result.type)));
  return result;
}

} // namespace nncc::ir
