// Op kinds and their static properties, generated from ir/ops.def.
#pragma once
#include "ir/attributes.h"
#include "ir/types.h"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nncc::ir {

enum class OpKind {
#define OP(Enum, spelling, arity, flags, attrs, rule) Enum,
#include "ir/ops.def"
};

namespace opflag {
enum : unsigned {
  NONE = 0,
  ELEMENTWISE = 1u << 0,        // one output element per input element
  BROADCAST = 1u << 1,          // operands broadcast NumPy-style
  REDUCTION = 1u << 2,          // reduces along `axis` (or all axes)
  LOSS = 1u << 3,               // scalar objective
  RANDOM = 1u << 4,             // draws random numbers (dropout)
  NOT_DIFFERENTIABLE = 1u << 5, // no gradient flows through it
  INTERNAL = 1u << 6,           // not callable from .nn source
};
}

/// Why a type rule rejected its operands: the message, and which operands
/// are involved (so diagnostics can point at where each was defined).
struct TypeError {
  std::string message;
  std::vector<int> operands;
};

/// A type rule's result: the result type, or the reason there is none.
struct TypeResult {
  std::optional<Type> type;
  TypeError error;

  static TypeResult ok(Type t) { return {std::move(t), {}}; }
  static TypeResult fail(std::string msg, std::vector<int> operands = {}) {
    return {std::nullopt, {std::move(msg), std::move(operands)}};
  }
};

struct OpInfo;
using TypeRule = TypeResult (*)(const OpInfo &op, std::span<const Type> operands, const Attrs &attrs);

struct OpInfo {
  OpKind kind;
  std::string_view name;
  int arity; // -1: variadic
  unsigned flags;
  std::vector<AttrSpec> attrs;
  TypeRule rule;

  bool has(unsigned flag) const { return (flags & flag) != 0; }
  const AttrValue &attr(const Attrs &values, std::string_view attr_name) const;
};

const OpInfo &op_info(OpKind kind);
/// The op spelled `name`, or nullptr.
const OpInfo *find_op(std::string_view name);
std::span<const OpInfo> all_ops();

/// Runs the op's type rule after checking its arity.
TypeResult infer_type(OpKind kind, std::span<const Type> operands, const Attrs &attrs);

} // namespace nncc::ir
