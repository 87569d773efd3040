// The SSA IR: a Module holds params, the optimizer and functions; a Function
// is a list of Values in definition order. Every Value is defined once —
// as a function argument (an input or a param) or by one op — and has a
// static type, an optional source name and a source location.
#pragma once
#include "ir/decls.h"
#include "ir/ops.h"

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace nncc::ir {

// Function arguments are inputs (data of each call), params (trained
// tensors) or state (optimizer state and run-time hyperparameters such as
// the learning rate, owned by the session like params but not trained).
enum class ValueKind { Input, Param, State, Op };

std::string_view value_kind_name(ValueKind kind); // "input", "param", "state", "op"

// How a value's elements are stored. Plain: row-major in its shape (NCHW
// for images), as the caller sees every tensor. Blocked: an image
// [N, C, H, W] stored as oneDNN's nChw{B}c, channels in blocks of B (the
// runtime's choice: 16 on AVX-512 cores, 8 otherwise; C is a multiple of
// 16), the layout its convolutions and poolings run fastest in. The layouts
// pass decides it, and places the relayouts between the two.
enum class Layout : uint8_t { Plain, Blocked };
inline constexpr int64_t kLayoutChannelMultiple = 16;


struct Value {
  ValueKind kind = ValueKind::Op;
  Type type;
  std::string name; // source name ("h"), or "" for a temporary
  Location loc;
  // What the value means, printed as a trailing comment: backward values
  // name the chain-rule term they implement ("dL/dh = dL/dz @ W2.T").
  std::string note;
  // For ValueKind::Op:
  OpKind op = OpKind::Const;
  std::vector<Value *> operands;
  Attrs attrs;
  // The fused region (one kernel) the value is computed in, numbered from
  // 1 within its function; 0: its own kernel. Set by the fuse pass, whose
  // regions are contiguous in the body.
  int region = 0;
  // The arena slot holding the value (Function::arena_slots), or -1: not
  // planned (arguments, results, aliases, values inside a region, -O0).
  int slot = -1;
  // The value's storage order (set by the layouts pass; inside a fused
  // region, the order its loop walks).
  Layout layout = Layout::Plain;

  bool is_argument() const { return kind != ValueKind::Op; }
  const OpInfo &info() const { return op_info(op); }
  // Attributes by name, typed; a name or kind no op of ops.def declares
  // does not compile, an attribute this op lacks throws std::logic_error.
  const AttrValue &attr(AttrName attr_name) const { return info().attr(attrs, attr_name); }
  int64_t int_attr(TypedAttrName<AttrKind::Int> n) const { return std::get<int64_t>(info().attr_named(attrs, n.name)); }
  double float_attr(TypedAttrName<AttrKind::Float> n) const { return attr_float(info().attr_named(attrs, n.name)); }
  bool bool_attr(TypedAttrName<AttrKind::Bool> n) const { return std::get<bool>(info().attr_named(attrs, n.name)); }
  /// An "int?" attribute such as a reduction's axis: nullopt for none.
  std::optional<int64_t> optional_int_attr(TypedAttrName<AttrKind::Int> n) const {
    const AttrValue &a = info().attr_named(attrs, n.name);
    return attr_is_none(a) ? std::nullopt : std::optional(std::get<int64_t>(a));
  }
};

struct FunctionResult {
  std::string name; // "p", "loss", ...
  Value *value = nullptr;
};

class Function {
public:
  explicit Function(std::string name) : name_(std::move(name)) {}

  const std::string &name() const { return name_; }
  const std::vector<Value *> &arguments() const { return args_; }
  /// Op values in definition order (every operand is defined earlier).
  const std::vector<Value *> &body() const { return body_; }
  const std::vector<FunctionResult> &results() const { return results_; }

  Value *add_argument(ValueKind kind, std::string name, Type type, Location loc);
  /// Appends an op value whose type was already inferred.
  Value *append(OpKind op, std::vector<Value *> operands, Attrs attrs, Type type,
                std::string name = {}, Location loc = {});
  /// Inserts an op value (type already inferred) just before body value
  /// `position`, so that `position` may read it.
  Value *insert_before(const Value *position, OpKind op, std::vector<Value *> operands, Attrs attrs, Type type,
                       Location loc = {});
  /// Appends a copy of op value `v` (op, attributes, type, name, location,
  /// note) reading `operands`, which are values of this function.
  Value *append_copy(const Value &v, std::vector<Value *> operands);
  /// Appends copies of all of `src`'s arguments and op values (not its
  /// results); returns the map from `src`'s values to the copies.
  std::unordered_map<const Value *, Value *> append_function(const Function &src);
  /// Puts the body in `order`, a permutation of it that keeps every operand
  /// before its users.
  void reorder_body(std::vector<Value *> order);
  void add_result(std::string name, Value *value) { results_.push_back({std::move(name), value}); }
  void set_result_value(size_t index, Value *value) { results_.at(index).value = value; }
  Value *find_argument(std::string_view name) const;
  /// Deletes the op values no result depends on (and, when asked, the
  /// input arguments none depends on).
  void remove_unused(bool unused_inputs_too = false);
  void remove_result(std::string_view result_name);
  /// Every operand and result that is a key of `with` reads its value
  /// instead (chains followed: a -> b -> c reads c). Types must match.
  void replace_uses(const std::unordered_map<const Value *, Value *> &with);
  const FunctionResult *find_result(std::string_view name) const;
  /// The memory plan (plan_memory): each slot's size; slots lie one after
  /// another in one arena per call.
  std::vector<ByteSize> &arena_slots() { return arena_slots_; }
  const std::vector<ByteSize> &arena_slots() const { return arena_slots_; }

private:
  std::vector<ByteSize> arena_slots_;
  std::string name_;
  std::vector<std::unique_ptr<Value>> storage_;
  std::vector<Value *> args_, body_;
  std::vector<FunctionResult> results_;
};

class Module {
public:
  std::string name;
  std::string source_file; // the .nn file it came from, for locations
  std::string source_text; // its text (from the frontend), for source lines in run-time reports
  // --check-nan: the entry points check every value they compute and stop
  // at the first that is not finite (set by build_entry_points).
  bool check_nan = false;
  std::vector<ParamDecl> params;
  std::vector<StateDecl> states;
  std::optional<OptimizerDecl> optimizer;

  Function &add_function(std::string fn_name);
  Function *find_function(std::string_view fn_name) const;
  const std::vector<std::unique_ptr<Function>> &functions() const { return functions_; }
  const ParamDecl *find_param(std::string_view param_name) const;
  const StateDecl *find_state(std::string_view state_name) const;

private:
  std::vector<std::unique_ptr<Function>> functions_;
};

} // namespace nncc::ir
