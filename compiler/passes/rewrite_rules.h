// Named local rewrite rules (MLIR's patterns, Theano's local optimizers):
// a rule looks at one value and its operands and either replaces the value
// by another one of the same type, rewrites it in place, or does nothing.
// simplify and stabilize are lists of such rules; each firing is counted by
// rule name for --print-after.
#pragma once
#include "compiler/passes/pass_registry.h"

#include <span>

namespace nncc::compiler {

struct RewriteRule {
  const char *name;
  ir::OpKind op; // the op the rule looks at (Const: any op)
  /// The value that replaces v, &v when v was rewritten in place, or null.
  /// New values a rule needs go before v (Function::insert_before).
  ir::Value *(*apply)(ir::Function &fn, ir::Value &v);
};

/// An op value (not an argument) computed by `op`.
inline bool defined_by(const ir::Value *v, ir::OpKind op) { return !v->is_argument() && v->op == op; }

/// The operand of v's first operand when that one is computed by unary op
/// `inner` (log(softmax(x)) -> x for inner = softmax), or null.
inline ir::Value *operand_through(const ir::Value &v, ir::OpKind inner) {
  return defined_by(v.operands[0], inner) ? v.operands[0]->operands[0] : nullptr;
}

/// Applies the rules to every value in definition order (operands first, so
/// chains rewrite bottom-up) until none fires, then deletes what became
/// unused.
void apply_rewrite_rules(ir::Function &fn, PassContext &ctx, std::span<const RewriteRule> rules);

} // namespace nncc::compiler
