#include "frontend/sema.h"

#include "frontend/decl_checks.h"
#include "frontend/lower_to_ir.h"
#include "ir/suggest.h"

#include <fmt/format.h>
#include <set>

namespace nncc::frontend {
namespace {

using ast::Stmt;
using ast::StmtKind;

class Sema {
public:
  Sema(SemaContext &ctx) : ctx_(ctx), lowering_(ctx) {}

  void run(const ast::Model &model) {
    for (const Stmt &s : model.stmts) {
      if (ctx_.diags.should_stop()) return;
      statement(s);
    }
    if (optimizer_stmt_ && !loss_stmt_)
      ctx_.diags.error(optimizer_stmt_->loc, "'optimizer' needs a 'loss' statement to minimize");
    for (const ir::FunctionResult &r : outputs_) ctx_.forward.add_result(r.name, r.value);
    if (loss_) ctx_.forward.add_result("loss", loss_);
    // Running statistics' new values: train_step returns them (the other entry points drop them).
    for (const ir::FunctionResult &r : lowering_.state_updates()) ctx_.forward.add_result(r.name, r.value);
  }

private:
  void statement(const Stmt &s) {
    if (s.incomplete) return declare_incomplete(s);
    switch (s.kind) {
    case StmtKind::Input: return input(s);
    case StmtKind::Param: return param(s);
    case StmtKind::Assign: return assign(s);
    case StmtKind::Def: return def(s);
    case StmtKind::Output: return output(s);
    case StmtKind::Loss: return loss(s);
    case StmtKind::Optimizer: return optimizer(s);
    }
  }

  /// Declares `name` once; a second definition is an error pointing at both.
  Symbol *declare(const ast::NameRef &name, Symbol::Kind kind) {
    if (const Symbol *prev = ctx_.find(name.name)) {
      ctx_.diags.error(name.loc, fmt::format("redefinition of '{}' (every name is defined exactly once)", name.name));
      ctx_.diags.note(prev->loc, fmt::format("'{}' was first defined here", name.name));
      return nullptr;
    }
    if (kind == Symbol::Kind::Def && ir::find_op(name.name)) {
      ctx_.diags.error(name.loc, fmt::format("def '{}' would hide the built-in op of that name", name.name));
      return nullptr;
    }
    Symbol &s = ctx_.globals[name.name];
    s = Symbol{kind, name.name, name.loc};
    return &s;
  }

  /// A statement with a syntax error defines its name without a value: uses
  /// of it then stay silent instead of repeating the error.
  void declare_incomplete(const Stmt &s) {
    Symbol::Kind kind = s.kind == StmtKind::Input   ? Symbol::Kind::Input
                        : s.kind == StmtKind::Param ? Symbol::Kind::Param
                        : s.kind == StmtKind::Def   ? Symbol::Kind::Def
                                                    : Symbol::Kind::Value;
    if (Symbol *sym = declare(s.name, kind)) sym->def_ok = false;
  }

  /// input_decl: becomes an argument of `forward`.
  void input(const Stmt &s) {
    Symbol *sym = declare(s.name, Symbol::Kind::Input);
    auto type = check_type(s.type, TypeUse::Input, s.name.name, ctx_);
    if (sym && type) sym->value = ctx_.forward.add_argument(ir::ValueKind::Input, s.name.name, *type, s.name.loc);
  }

  /// param_decl: a module param plus an argument of `forward`.
  void param(const Stmt &s) {
    Symbol *sym = declare(s.name, Symbol::Kind::Param);
    auto type = check_type(s.type, TypeUse::Param, s.name.name, ctx_);
    if (!type) return;
    auto init = check_initializer(s, *type, ctx_);
    if (!sym || !init) return;
    ctx_.module.params.push_back(ir::ParamDecl{s.name.name, *type, *init, s.name.loc});
    sym->value = ctx_.forward.add_argument(ir::ValueKind::Param, s.name.name, *type, s.name.loc);
  }

  /// assignment: the value of the expression takes the name.
  void assign(const Stmt &s) {
    lowering_.begin_statement(s.name.name, s.value.get());
    ir::Value *v = lowering_.lower(*s.value);
    Symbol *sym = declare(s.name, Symbol::Kind::Value);
    if (!sym || !v) return;
    // `h = x` aliases an existing value; it keeps its own name.
    if (v->name.empty()) v->name = s.name.name;
    sym->value = v;
  }

  void def(const Stmt &s) {
    std::set<std::string> seen;
    bool ok = true;
    for (const ast::NameRef &p : s.names) {
      if (!seen.insert(p.name).second) {
        ctx_.diags.error(p.loc, fmt::format("parameter '{}' of '{}' is listed twice", p.name, s.name.name));
        ok = false;
      }
    }
    ok &= lowering_.check_names(*s.value, s.names);
    if (Symbol *sym = declare(s.name, Symbol::Kind::Def)) {
      sym->def = &s;
      sym->def_ok = ok;
    }
  }

  void output(const Stmt &s) {
    for (const ast::NameRef &n : s.names) {
      const Symbol *sym = ctx_.find(n.name);
      bool duplicate = false;
      for (const ir::FunctionResult &r : outputs_) duplicate |= r.name == n.name;
      if (!sym) {
        ctx_.diags.error(n.loc, fmt::format("unknown name '{}' in output", n.name));
        if (auto m = closest_match(n.name, ctx_.names_of({Symbol::Kind::Input, Symbol::Kind::Param,
                                                          Symbol::Kind::Value})))
          ctx_.diags.note(n.loc, fmt::format("did you mean '{}'?", *m), false);
      } else if (sym->kind == Symbol::Kind::Def) {
        ctx_.diags.error(n.loc, fmt::format("'{}' is a function, not a value; outputs are values", n.name));
      } else if (duplicate) {
        ctx_.diags.error(n.loc, fmt::format("'{}' is already an output", n.name));
      } else if (sym->value) {
        outputs_.push_back({n.name, sym->value});
      }
    }
  }

  void loss(const Stmt &s) {
    if (loss_stmt_) {
      ctx_.diags.error(s.loc, "a model has exactly one 'loss'");
      ctx_.diags.note(loss_stmt_->loc, "the first 'loss' is here");
      return;
    }
    loss_stmt_ = &s;
    lowering_.begin_statement("loss", s.value.get());
    ir::Value *v = lowering_.lower(*s.value);
    if (!v) return;
    if (!v->type.is_scalar() || !ir::is_float(v->type.dtype)) {
      ctx_.diags.error(s.value->loc, fmt::format("the loss must be a float scalar, got {}", v->type.str()));
      if (ir::is_float(v->type.dtype))
        ctx_.diags.note(s.value->loc, "reduce it to a scalar, for example with mean(...) or sum(...)", false);
      return;
    }
    loss_ = v;
  }

  void optimizer(const Stmt &s) {
    if (optimizer_stmt_) {
      ctx_.diags.error(s.loc, "a model has at most one 'optimizer'");
      ctx_.diags.note(optimizer_stmt_->loc, "the first 'optimizer' is here");
      return;
    }
    optimizer_stmt_ = &s;
    if (auto opt = check_optimizer(s, ctx_)) ctx_.module.optimizer = std::move(*opt);
  }

  SemaContext &ctx_;
  ExprLowering lowering_;
  std::vector<ir::FunctionResult> outputs_;
  ir::Value *loss_ = nullptr;
  const Stmt *loss_stmt_ = nullptr;
  const Stmt *optimizer_stmt_ = nullptr;
};

} // namespace

std::unique_ptr<ir::Module> check_model(const ast::Model &model, const std::string &source_file,
                                        DiagnosticEngine &diags) {
  auto module = std::make_unique<ir::Module>();
  module->name = model.name;
  module->source_file = source_file;
  SemaContext ctx{diags, *module, module->add_function("forward"), {}, {}};
  Sema(ctx).run(model);
  if (diags.has_errors()) return nullptr;
  return module;
}

} // namespace nncc::frontend
