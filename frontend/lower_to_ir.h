// Lowers checked-as-it-goes expressions to IR values in the forward
// function: resolves names and calls, inlines defs, turns literals into
// constants of the surrounding float type, and reports type errors through
// the op table's rules with notes on where each operand came from.
#pragma once
#include "frontend/sema_context.h"

#include <map>

namespace nncc::frontend {

class ExprLowering {
public:
  explicit ExprLowering(SemaContext &ctx) : ctx_(ctx) {}

  /// The value of `e`, or nullptr when an error was reported (callers stay
  /// silent about a null operand: its error is already out).
  ir::Value *lower(const ast::Expr &e);

  /// The statement whose expression is lowered next: its name (batch
  /// norm's running statistics are named after it) and its expression.
  void begin_statement(std::string name, const ast::Expr *root) {
    statement_ = std::move(name);
    statement_root_ = root;
    batch_norms_in_statement_ = 0;
  }
  /// The running statistics' new values, one result each (train_step's).
  const std::vector<ir::FunctionResult> &state_updates() const { return state_updates_; }

  /// Reports unknown names and functions in a def body at its definition
  /// (parameters `params` are in scope). Returns true when all resolve.
  bool check_names(const ast::Expr &e, const std::vector<ast::NameRef> &params);

private:
  struct Local {
    ir::Value *value;
    Location loc; // the argument it was bound to
  };
  using Scope = std::map<std::string, Local>;

  ir::Value *lower(const ast::Expr &e, ir::DType literal_dtype);
  ir::Value *lower_name(const ast::Expr &e);
  ir::Value *lower_call(const ast::Expr &e);
  ir::Value *inline_def(const ast::Expr &call, const Symbol &def);
  ir::Value *lower_batch_norm_call(const ast::Expr &e);
  /// Lowers operands, giving number literals the dtype of the others.
  std::optional<std::vector<ir::Value *>> lower_operands(std::span<const ast::Expr *const> operands);
  ir::Value *emit(ir::OpKind op, std::span<const ast::Expr *const> operand_exprs, ir::Attrs attrs,
                  const ast::Expr &at);
  void note_operand(const ast::Expr &e, const ir::Value *v);
  void report_unknown_name(const ast::Expr &e);
  void report_unknown_function(const ast::Expr &e);

  SemaContext &ctx_;
  std::vector<Scope> scopes_; // one per def being inlined (innermost last)
  int64_t next_dropout_key_ = 1;
  std::string statement_ = "bn";
  const ast::Expr *statement_root_ = nullptr;
  int batch_norms_in_statement_ = 0;
  std::vector<ir::FunctionResult> state_updates_;
};

} // namespace nncc::frontend
