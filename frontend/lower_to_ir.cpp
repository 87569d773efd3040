#include "frontend/lower_to_ir.h"

#include "frontend/batch_norm.h"

#include "frontend/call_args.h"
#include "ir/builder.h"
#include "ir/suggest.h"

#include <fmt/format.h>

namespace nncc::frontend {

using ast::Expr;
using ast::ExprKind;
using ir::OpKind;

namespace {

const ir::OpInfo *callable_op(std::string_view name) {
  const ir::OpInfo *op = ir::find_op(name);
  return op && !op->has(ir::opflag::INTERNAL) ? op : nullptr;
}

std::vector<std::string> callable_op_names() {
  std::vector<std::string> names;
  for (const ir::OpInfo &op : ir::all_ops())
    if (!op.has(ir::opflag::INTERNAL)) names.emplace_back(op.name);
  return names;
}

OpKind binary_op(std::string_view spelling) {
  if (spelling == "+") return OpKind::Add;
  if (spelling == "-") return OpKind::Sub;
  if (spelling == "*") return OpKind::Mul;
  if (spelling == "/") return OpKind::Div;
  return OpKind::Matmul; // "@"
}

} // namespace

ir::Value *ExprLowering::lower(const Expr &e) { return lower(e, ir::DType::F32); }

ir::Value *ExprLowering::lower(const Expr &e, ir::DType literal_dtype) {
  ir::Builder b(ctx_.forward);
  switch (e.kind) {
  case ExprKind::Number:
    return b.constant(e.number, literal_dtype, e.loc);
  case ExprKind::Bool:
    ctx_.diags.error(e.loc, fmt::format("'{}' is not a tensor; booleans are only keyword arguments", e.text));
    return nullptr;
  case ExprKind::List:
    ctx_.diags.error(e.loc, "a [list] is only allowed as an argument such as reshape(x, [N, 784])");
    return nullptr;
  case ExprKind::Name:
    return lower_name(e);
  case ExprKind::Unary: {
    if (is_number_literal(e)) return b.constant(number_literal_value(e), literal_dtype, e.loc);
    const Expr *operand = e.args[0].get();
    return emit(OpKind::Neg, {&operand, 1}, {}, e);
  }
  case ExprKind::Transpose: {
    const Expr *operand = e.args[0].get();
    return emit(OpKind::Transpose, {&operand, 1}, {}, e);
  }
  case ExprKind::Binary: {
    if (e.text == "**") {
      const Expr &exponent = *e.args[1];
      if (!is_number_literal(exponent)) {
        ctx_.diags.error(exponent.loc, "the exponent of '**' must be a number literal");
        return nullptr;
      }
      const Expr *base = e.args[0].get();
      return emit(OpKind::Pow, {&base, 1}, ir::Attrs{number_literal_value(exponent)}, e);
    }
    const Expr *operands[] = {e.args[0].get(), e.args[1].get()};
    return emit(binary_op(e.text), operands, {}, e);
  }
  case ExprKind::Call:
    return lower_call(e);
  }
  return nullptr;
}

ir::Value *ExprLowering::lower_name(const Expr &e) {
  if (!scopes_.empty()) {
    auto it = scopes_.back().find(e.text);
    if (it != scopes_.back().end()) return it->second.value;
  }
  const Symbol *s = ctx_.find(e.text);
  if (s && s->kind == Symbol::Kind::Def) {
    ctx_.diags.error(e.loc, fmt::format("'{}' is a function; call it as {}(...)", e.text, e.text));
    return nullptr;
  }
  if (s) return s->value; // null when its definition failed (already reported)
  report_unknown_name(e);
  return nullptr;
}

void ExprLowering::report_unknown_name(const Expr &e) {
  if (callable_op(e.text)) {
    ctx_.diags.error(e.loc, fmt::format("'{}' is a built-in op; call it as {}(...)", e.text, e.text));
    return;
  }
  ctx_.diags.error(e.loc, fmt::format("unknown name '{}'", e.text));
  std::vector<std::string> candidates =
      ctx_.names_of({Symbol::Kind::Input, Symbol::Kind::Param, Symbol::Kind::Value});
  if (!scopes_.empty())
    for (const auto &[name, local] : scopes_.back()) candidates.push_back(name);
  if (auto m = closest_match(e.text, candidates))
    ctx_.diags.note(e.loc, fmt::format("did you mean '{}'?", *m), false);
}

void ExprLowering::report_unknown_function(const Expr &e) {
  const Symbol *s = ctx_.find(e.text);
  if (s) {
    ctx_.diags.error(e.name_loc, fmt::format("'{}' is a value, not a function", e.text));
    ctx_.note_declared(*s);
    return;
  }
  ctx_.diags.error(e.name_loc, fmt::format("unknown function '{}'", e.text));
  std::vector<std::string> candidates = callable_op_names();
  for (std::string &d : ctx_.names_of({Symbol::Kind::Def})) candidates.push_back(std::move(d));
  if (auto m = closest_match(e.text, candidates))
    ctx_.diags.note(e.name_loc, fmt::format("did you mean '{}'?", *m), false);
}

ir::Value *ExprLowering::lower_call(const Expr &e) {
  const Symbol *s = ctx_.find(e.text);
  if (s && s->kind == Symbol::Kind::Def) return inline_def(e, *s);
  if (e.text == "batch_norm") return lower_batch_norm_call(e);
  const ir::OpInfo *op = callable_op(e.text);
  if (!op) {
    // Check the arguments anyway: their errors are independent of this one.
    for (const ast::ExprPtr &a : e.args)
      if (!is_number_literal(*a)) lower(*a);
    report_unknown_function(e);
    return nullptr;
  }
  size_t n_operands = op->arity < 0 ? e.args.size() : static_cast<size_t>(op->arity);
  if (e.args.size() < n_operands || (op->arity < 0 && e.args.empty())) {
    ctx_.diags.error(e.loc, fmt::format("'{}' takes {} tensor argument{}, got {}", op->name,
                                        op->arity < 0 ? "one or more" : std::to_string(op->arity),
                                        n_operands == 1 ? "" : "s", e.args.size()));
    return nullptr;
  }
  std::vector<const Expr *> operands, attr_args;
  for (size_t i = 0; i < e.args.size(); ++i) (i < n_operands ? operands : attr_args).push_back(e.args[i].get());
  auto attrs = bind_attributes(op->name, op->attrs, attr_args, e.kwargs, e.loc, ctx_);
  if (!attrs) return nullptr;
  if (op->kind == OpKind::Dropout) {
    // Each dropout (each inlined copy too) draws its own mask.
    bool keyed = false;
    for (const ast::KeywordArg &k : e.kwargs) keyed |= k.name == "key";
    if (!keyed) (*attrs)[static_cast<size_t>(ir::find_attr(op->attrs, "key"))] = int64_t{next_dropout_key_};
    ++next_dropout_key_;
  }
  return emit(op->kind, operands, std::move(*attrs), e);
}

ir::Value *ExprLowering::lower_batch_norm_call(const Expr &e) {
  if (e.args.size() < 3) {
    ctx_.diags.error(e.loc, fmt::format("'batch_norm' takes 3 tensor arguments (x, gamma, beta), got {}", e.args.size()));
    return nullptr;
  }
  std::vector<const Expr *> operands, attr_args;
  for (size_t i = 0; i < e.args.size(); ++i) (i < 3 ? operands : attr_args).push_back(e.args[i].get());
  auto attrs = bind_attributes("batch_norm", batch_norm_attrs(), attr_args, e.kwargs, e.loc, ctx_);
  auto values = lower_operands(operands);
  if (!attrs || !values) return nullptr;
  // The statement's own batch norm takes its name; one nested in an
  // expression or a def adds a counter (SPEC 1.6a).
  bool own = &e == statement_root_ && scopes_.empty();
  std::string name = own ? statement_ : fmt::format("{}.bn{}", statement_, batch_norms_in_statement_);
  ++batch_norms_in_statement_;
  BatchNormCall call{(*values)[0], (*values)[1], (*values)[2], ir::attr_float((*attrs)[0]), ir::attr_float((*attrs)[1]), name, e.loc};
  return lower_batch_norm(call, ctx_, state_updates_);
}

ir::Value *ExprLowering::inline_def(const Expr &call, const Symbol &def) {
  if (!def.def) return nullptr; // its statement did not parse (already reported)
  const ast::Stmt &stmt = *def.def;
  if (!call.kwargs.empty() || call.args.size() != stmt.names.size()) {
    ctx_.diags.error(call.loc, fmt::format("'{}' takes {} positional argument{}, got {}{}", def.name,
                                           stmt.names.size(), stmt.names.size() == 1 ? "" : "s",
                                           call.args.size(),
                                           call.kwargs.empty() ? "" : " and keyword arguments"));
    ctx_.note_declared(def);
    return nullptr;
  }
  std::vector<const Expr *> arg_exprs;
  for (const ast::ExprPtr &a : call.args) arg_exprs.push_back(a.get());
  auto args = lower_operands(arg_exprs);
  if (!args || !def.def_ok) return nullptr;
  Scope scope;
  for (size_t i = 0; i < args->size(); ++i) scope[stmt.names[i].name] = Local{(*args)[i], call.args[i]->loc};
  int errors_before = ctx_.diags.error_count();
  scopes_.push_back(std::move(scope));
  ir::Value *result = lower(*stmt.value);
  scopes_.pop_back();
  if (ctx_.diags.error_count() > errors_before)
    ctx_.diags.note(call.loc, fmt::format("in '{}', inlined here", def.name));
  return result;
}

std::optional<std::vector<ir::Value *>> ExprLowering::lower_operands(std::span<const Expr *const> exprs) {
  std::vector<ir::Value *> values(exprs.size(), nullptr);
  bool ok = true;
  std::optional<ir::DType> dtype;
  for (size_t i = 0; i < exprs.size(); ++i) {
    if (is_number_literal(*exprs[i])) continue;
    values[i] = lower(*exprs[i]);
    ok &= values[i] != nullptr;
    if (values[i] && !dtype && ir::is_float(values[i]->type.dtype)) dtype = values[i]->type.dtype;
  }
  for (size_t i = 0; i < exprs.size(); ++i)
    if (is_number_literal(*exprs[i])) values[i] = lower(*exprs[i], dtype.value_or(ir::DType::F32));
  if (!ok) return std::nullopt;
  return values;
}

ir::Value *ExprLowering::emit(OpKind op, std::span<const Expr *const> operand_exprs, ir::Attrs attrs,
                              const Expr &at) {
  auto operands = lower_operands(operand_exprs);
  if (!operands) return nullptr;
  ir::Builder b(ctx_.forward);
  ir::BuildResult r = b.try_create(op, *operands, std::move(attrs), at.loc);
  if (r.value) return r.value;
  ctx_.diags.error(at.loc, r.error.message);
  for (int i : r.error.operands)
    if (i >= 0 && static_cast<size_t>(i) < operand_exprs.size())
      note_operand(*operand_exprs[static_cast<size_t>(i)], (*operands)[static_cast<size_t>(i)]);
  return nullptr;
}

void ExprLowering::note_operand(const Expr &e, const ir::Value *v) {
  if (e.kind == ExprKind::Name) {
    if (!scopes_.empty()) {
      auto it = scopes_.back().find(e.text);
      if (it != scopes_.back().end()) {
        ctx_.diags.note(it->second.loc, fmt::format("'{}' is bound to this argument, {}", e.text, v->type.str()));
        return;
      }
    }
    if (const Symbol *s = ctx_.find(e.text)) {
      ctx_.note_declared(*s);
      return;
    }
  }
  ctx_.diags.note(e.loc, fmt::format("this operand is {}", v->type.str()));
}

bool ExprLowering::check_names(const Expr &e, const std::vector<ast::NameRef> &params) {
  bool ok = true;
  if (e.kind == ExprKind::Name) {
    bool is_param = false;
    for (const ast::NameRef &p : params) is_param |= p.name == e.text;
    const Symbol *s = ctx_.find(e.text);
    if (!is_param && (!s || s->kind == Symbol::Kind::Def)) {
      lower_name(e); // reports the unknown name
      ok = false;
    }
  } else if (e.kind == ExprKind::Call && !callable_op(e.text)) {
    const Symbol *s = ctx_.find(e.text);
    if (!s || s->kind != Symbol::Kind::Def) {
      report_unknown_function(e);
      ok = false;
    }
  }
  // Attribute arguments (keyword values, lists) are literals, not names.
  if (e.kind != ExprKind::List)
    for (const ast::ExprPtr &a : e.args) ok &= check_names(*a, params);
  return ok;
}

} // namespace nncc::frontend
