// Op kinds and their static properties, generated from ir/ops.def.
#pragma once
#include "ir/attributes.h"
#include "ir/types.h"

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nncc::ir {

enum class OpKind {
#define OP(Enum, spelling, arity, lowering, flags, attrs, rule) Enum,
#include "ir/ops.def"
};

/// `case OpKind::Enum:` of one row of ops.def. A switch over the ops of one
/// family lists the others with
///   #define LOOP_OP(...)          // (the family handled above)
///   #define OP NNCC_OP_CASE
///   #include "ir/ops.def"
/// so it needs no `default:` and a new op of the family is a compile error.
#define NNCC_OP_CASE(Enum, ...) case ::nncc::ir::OpKind::Enum:

/// How code generation computes an op (its family's macro in ops.def).
enum class Lowering {
  Loop,      // one generated loop, element by element; chains fuse into one loop
  Reduce,    // one loop nest accumulating into the output; fuses with the chain before it
  Row,       // a few passes over each 1-D slice along an axis
  Loss,      // a scalar loss or the fused gradient of one
  Move,      // moves or picks elements, or makes a scalar
  Primitive, // a call of a runtime primitive
  Alias,     // no kernel: the operand's memory
};

/// What a primitive can apply to its result in the same call.
enum class Epilogue { None, Bias, Relu, Tanh, Sigmoid };

/// Binding strengths of the notations of ops (OP_INFIX, OP_NOTATION).
namespace precedence {
enum : int { Sum = 1, Product = 2, Unary = 3, Atom = 4 };
}

/// An operand of integer indices and what bounds them: each index must be
/// less than dimension `axis` (negative: from the end) of operand
/// `bound_by`, or of the result when `bound_by` is -1.
struct IndexOperand {
  int operand = 0;
  int bound_by = 0;
  int axis = 0;
};

namespace opflag {
enum : unsigned {
  NONE = 0,
  RANDOM = 1u << 0,                // draws random numbers (dropout)
  NOT_DIFFERENTIABLE = 1u << 1,    // no gradient flows through it
  INTERNAL = 1u << 2,              // not callable from .nn source
  CONSTANT = 1u << 3,              // its value is its `value` attribute: loops take it as an immediate
  IDENTITY_IN_INFERENCE = 1u << 4, // the identity outside training (dropout): aliases its operand there
  COPIES_VALUES = 1u << 5,         // every result element is an operand element (indices stay indices)
  TRANSPOSE = 1u << 6,             // swaps the axes of a matrix: a reader with strides can fold it
  STRIDED_OPERANDS = 1u << 7,      // reads a transposed operand through strides (no copy)
  TAKES_EPILOGUE = 1u << 8,        // a primitive that adds a bias along axis 1 and applies an activation in the same call
  MODE_SELECT = 1u << 9,           // operand 0 in training, operand 1 in inference (a batch norm's batch or running statistics)
  TAKES_RELU = 1u << 10,           // a primitive that applies a relu to its result in the same pass (batch norm's affine pass)

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

namespace detail {
/// The attribute specs of every op, as ops.def writes them.
inline constexpr std::string_view kOpAttrSpecs[] = {
#define OP(Enum, spelling, arity, lowering, flags, attrs, rule) attrs,
#include "ir/ops.def"
};
consteval std::string_view kind_spelling(int kind) {
  switch (static_cast<AttrKind>(kind)) {
  case AttrKind::Int: return "int";
  case AttrKind::Float: return "float";
  case AttrKind::Bool: return "bool";
  case AttrKind::Dims: return "dims";
  case AttrKind::DType: return "dtype";
  case AttrKind::Pair: return "pair";
  }
  return "";
}
/// Whether some op declares attribute `name` of `kind` (-1: of any kind).
consteval bool op_table_declares(std::string_view name, int kind) {
  for (std::string_view spec : kOpAttrSpecs) {
    while (!spec.empty()) {
      size_t comma = spec.find(',');
      std::string_view item = spec.substr(0, comma);
      spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
      item.remove_prefix(std::min(item.find_first_not_of(' '), item.size()));
      size_t colon = item.find(':');
      std::string_view declared = item.substr(colon + 1);
      if (item.substr(0, colon) == name && (kind < 0 || declared.substr(0, declared.find_first_of("?= ")) == kind_spelling(kind)))
        return true;
    }
  }
  return false;
}
} // namespace detail

/// The name of an op attribute, checked at compile time against the specs
/// of ops.def: a name that no op declares (as an attribute of `Kind`, when
/// given) does not compile. Which op has it is checked when it is read.
template <int Kind = -1> struct AttrNameOf {
  std::string_view name;
  consteval AttrNameOf(const char *spelling) : name(spelling) {
    if (!detail::op_table_declares(name, Kind)) throw "no op of ir/ops.def declares this attribute (of this kind)";
  }
};
using AttrName = AttrNameOf<>;
template <AttrKind K> using TypedAttrName = AttrNameOf<static_cast<int>(K)>;

/// An attribute given by name when building an op (ir::attrs_of).
struct NamedAttr {
  AttrName name;
  AttrValue value;
};

struct OpInfo;
using TypeRule = TypeResult (*)(const OpInfo &op, std::span<const Type> operands, const Attrs &attrs);

struct OpInfo {
  OpKind kind;
  std::string_view name;
  int arity; // -1: variadic
  Lowering lowering;
  unsigned flags;
  std::vector<AttrSpec> attrs;
  TypeRule rule;
  Epilogue epilogue = Epilogue::None;
  std::optional<IndexOperand> index;
  char infix = 0;                 // written `a SYMBOL b` ...
  std::string_view notation;      // ... or by this format (empty: as a call)
  int precedence = precedence::Atom;

  bool has(unsigned flag) const { return (flags & flag) != 0; }
  const AttrValue &attr(const Attrs &values, AttrName attr_name) const { return attr_named(values, attr_name.name); }
  /// The same for a name known only at run time.
  const AttrValue &attr_named(const Attrs &values, std::string_view attr_name) const;
};

const OpInfo &op_info(OpKind kind);
/// Attributes of a `kind` op given by name; the others take their defaults.
/// A name the op lacks, a value of the wrong kind or a missing required
/// attribute is a compiler bug (std::logic_error).
Attrs attrs_of(OpKind kind, std::initializer_list<NamedAttr> named);
/// The op spelled `name`, or nullptr.
const OpInfo *find_op(std::string_view name);
std::span<const OpInfo> all_ops();

/// Runs the op's type rule after checking its arity.
TypeResult infer_type(OpKind kind, std::span<const Type> operands, const Attrs &attrs);

} // namespace nncc::ir
