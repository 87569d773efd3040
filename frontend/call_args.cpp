#include "frontend/call_args.h"

#include "ir/suggest.h"

#include <fmt/format.h>

namespace nncc::frontend {

using ast::Expr;
using ast::ExprKind;

std::vector<std::string> SemaContext::names_of(std::initializer_list<Symbol::Kind> kinds) const {
  std::vector<std::string> out;
  for (const auto &[name, s] : globals)
    for (Symbol::Kind k : kinds)
      if (s.kind == k) out.push_back(name);
  return out;
}

void SemaContext::note_declared(const Symbol &s) const {
  if (s.kind == Symbol::Kind::Def) {
    diags.note(s.loc, fmt::format("'{}' is defined here", s.name));
    return;
  }
  bool declared = s.kind == Symbol::Kind::Input || s.kind == Symbol::Kind::Param;
  diags.note(s.loc, fmt::format("'{}' {} here as {}", s.name, declared ? "declared" : "defined",
                                s.value ? s.value->type.str() : "?"));
}

bool is_number_literal(const Expr &e) {
  if (e.kind == ExprKind::Number) return true;
  return e.kind == ExprKind::Unary && is_number_literal(*e.args[0]);
}

double number_literal_value(const Expr &e) {
  return e.kind == ExprKind::Number ? e.number : -number_literal_value(*e.args[0]);
}

namespace {

/// An integer literal, possibly negated, that fits in int64.
std::optional<int64_t> integer_literal(const Expr &e) {
  if (e.kind == ExprKind::Number) return e.is_integer ? std::optional(e.integer) : std::nullopt;
  if (e.kind == ExprKind::Unary && e.args[0]->kind == ExprKind::Number && e.args[0]->is_integer)
    return -e.args[0]->integer;
  return std::nullopt;
}

} // namespace

std::optional<ir::AttrValue> literal_attr(const Expr &e, std::string_view what, const SemaContext &ctx) {
  if (auto i = integer_literal(e)) return *i;
  if (is_number_literal(e)) return number_literal_value(e);
  if (e.kind == ExprKind::Bool) return e.boolean;
  if (e.kind == ExprKind::Name && e.text == "none") return ir::NoneAttr{}; // axis = none: all axes
  if (e.kind == ExprKind::List) {
    std::vector<ir::Dim> dims;
    for (const ast::ExprPtr &item : e.args) {
      if (auto i = integer_literal(*item)) {
        dims.push_back(ir::Dim::fixed(*i));
      } else if (item->kind == ExprKind::Name && ctx.dim_symbols.count(item->text)) {
        dims.push_back(ir::Dim::named(item->text));
      } else if (item->kind == ExprKind::Name) {
        ctx.diags.error(item->loc, fmt::format("'{}' is not a symbolic dimension of any input", item->text));
        return std::nullopt;
      } else {
        ctx.diags.error(item->loc, fmt::format("{}: list items must be integers or symbolic dimensions", what));
        return std::nullopt;
      }
    }
    return dims;
  }
  ctx.diags.error(e.loc, fmt::format("{} must be a literal (a number, true/false or a [list])", what));
  return std::nullopt;
}

std::optional<ir::Attrs> bind_attributes(std::string_view owner, const std::vector<ir::AttrSpec> &specs,
                                         std::span<const Expr *const> positional,
                                         const std::vector<ast::KeywordArg> &kwargs,
                                         Location call_loc, const SemaContext &ctx) {
  ir::Attrs attrs = ir::default_attrs(specs);
  std::vector<bool> given(specs.size(), false);
  bool ok = true;
  auto bind = [&](size_t i, const Expr &value) {
    const ir::AttrSpec &spec = specs[i];
    std::string what = fmt::format("argument '{}' of '{}'", spec.name, owner);
    auto literal = literal_attr(value, what, ctx);
    if (!literal) return false;
    auto coerced = ir::coerce_attr(spec, *literal);
    if (!coerced) {
      ctx.diags.error(value.loc, fmt::format("{} must be {}", what, ir::attr_kind_name(spec.kind)));
      return false;
    }
    attrs[i] = *coerced;
    given[i] = true;
    return true;
  };
  if (positional.size() > specs.size()) {
    ctx.diags.error(positional[specs.size()]->loc,
                    fmt::format("too many arguments to '{}' (it takes at most {} here)", owner, specs.size()));
    return std::nullopt;
  }
  for (size_t i = 0; i < positional.size(); ++i) ok &= bind(i, *positional[i]);
  for (const ast::KeywordArg &k : kwargs) {
    int i = ir::find_attr(specs, k.name);
    if (i < 0) {
      ctx.diags.error(k.loc, fmt::format("'{}' has no argument named '{}'", owner, k.name));
      std::vector<std::string> names;
      for (const ir::AttrSpec &s : specs) names.push_back(s.name);
      if (auto m = closest_match(k.name, names)) ctx.diags.note(k.loc, fmt::format("did you mean '{}'?", *m), false);
      ok = false;
    } else if (given[static_cast<size_t>(i)]) {
      ctx.diags.error(k.loc, fmt::format("argument '{}' of '{}' is given twice", k.name, owner));
      ok = false;
    } else {
      ok &= bind(static_cast<size_t>(i), *k.value);
    }
  }
  for (size_t i = 0; ok && i < specs.size(); ++i)
    if (!given[i] && !specs[i].default_value) {
      ctx.diags.error(call_loc, fmt::format("'{}' needs argument '{}' ({})", owner, specs[i].name,
                                            ir::attr_kind_name(specs[i].kind)));
      ok = false;
    }
  return ok ? std::optional(attrs) : std::nullopt;
}

} // namespace nncc::frontend
