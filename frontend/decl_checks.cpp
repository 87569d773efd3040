#include "frontend/decl_checks.h"

#include "frontend/call_args.h"
#include "ir/suggest.h"
#include "ir/type_limits.h"

#include <fmt/format.h>

namespace nncc::frontend {

using ast::Expr;
using ast::ExprKind;

namespace {

constexpr int64_t kMaxDim = (int64_t{1} << 31) - 1;
constexpr int64_t kMaxParamElements = int64_t{1} << 31;

/// A declaration written as NAME or NAME(args): its kind from `table` and
/// its bound attributes.
template <typename Kind>
std::optional<std::pair<Kind, ir::Attrs>> check_named_call(const Expr &e, std::string_view what,
                                                           std::span<const ir::DeclKindInfo<Kind>> table,
                                                           SemaContext &ctx) {
  if (e.kind != ExprKind::Name && e.kind != ExprKind::Call) {
    ctx.diags.error(e.loc, fmt::format("expected {} such as {}(...)", what, table.front().name));
    return std::nullopt;
  }
  const auto *info = ir::find_decl_kind(table, e.text);
  if (!info) {
    ctx.diags.error(e.name_loc, fmt::format("unknown {} '{}'", what, e.text));
    std::vector<std::string> names;
    for (const auto &k : table) names.emplace_back(k.name);
    if (auto m = closest_match(e.text, names)) ctx.diags.note(e.name_loc, fmt::format("did you mean '{}'?", *m), false);
    return std::nullopt;
  }
  std::vector<const Expr *> positional;
  for (const ast::ExprPtr &a : e.args) positional.push_back(a.get());
  auto attrs = bind_attributes(info->name, info->attrs, positional, e.kwargs, e.loc, ctx);
  if (!attrs) return std::nullopt;
  return std::pair{info->kind, std::move(*attrs)};
}

/// Reports `message` at the argument named `name` of the call `e` (or at
/// the call) when `bad`.
bool check_arg(bool bad, const Expr &e, std::string_view name, std::string message, SemaContext &ctx) {
  if (!bad) return true;
  Location loc = e.loc;
  for (const ast::KeywordArg &k : e.kwargs)
    if (k.name == name) loc = k.value->loc;
  ctx.diags.error(loc, std::move(message));
  return false;
}

} // namespace

std::optional<ir::Type> check_type(const ast::TypeSyntax &t, TypeUse use, std::string_view owner,
                                   SemaContext &ctx) {
  auto dtype = ir::parse_dtype(t.dtype);
  if (dtype == ir::DType::BF16) {
    Location loc = t.loc;
    loc.len = static_cast<uint32_t>(t.dtype.size());
    ctx.diags.error(loc, "bf16 is a compute precision, not a type to declare: declare f32 and compile with "
                         "--precision bf16");
    return std::nullopt;
  }
  if (!dtype) {
    Location loc = t.loc;
    loc.len = static_cast<uint32_t>(t.dtype.size());
    ctx.diags.error(loc, fmt::format("unknown type '{}' (types are f32, f64 and i32)", t.dtype));
    if (auto m = closest_match(t.dtype, {"f32", "f64", "i32"}))
      ctx.diags.note(loc, fmt::format("did you mean '{}'?", *m), false);
    return std::nullopt;
  }
  bool ok = true;
  ir::Type type{*dtype, {}};
  if (use == TypeUse::Param && !ir::is_float(*dtype)) {
    ctx.diags.error(t.loc, fmt::format("param '{}' must be f32 or f64 (it is trained), got {}", owner, t.dtype));
    ok = false;
  }
  for (const ast::DimSyntax &d : t.dims) {
    if (!d.size) {
      if (use == TypeUse::Param) {
        ctx.diags.error(d.loc, fmt::format("param '{}' must have a static shape, but '{}' is a symbolic "
                                           "dimension",
                                           owner, d.symbol));
        ok = false;
      }
      ctx.dim_symbols.emplace(d.symbol, d.loc);
      type.shape.push_back(ir::Dim::named(d.symbol));
    } else if (*d.size <= 0 || *d.size > kMaxDim) {
      ctx.diags.error(d.loc, fmt::format("dimension {} is out of range (1 to {})", *d.size, kMaxDim));
      ok = false;
    } else {
      type.shape.push_back(ir::Dim::fixed(*d.size));
    }
  }
  if (ok && !ir::fixed_size_fits(type)) {
    ctx.diags.error(t.loc, fmt::format("'{}': type {}", owner, ir::too_large_message(type)));
    ok = false;
  }
  if (ok && use == TypeUse::Param) {
    auto n = ir::static_numel(type.shape);
    if (!n || *n > kMaxParamElements) {
      ctx.diags.error(t.loc, fmt::format("param '{}' is too large: {} has more than 2^31 elements", owner, type.str()));
      ok = false;
    }
  }
  return ok ? std::optional(type) : std::nullopt;
}

std::optional<ir::Initializer> check_initializer(const ast::Stmt &param, const ir::Type &type, SemaContext &ctx) {
  if (!param.value)
    return ir::Initializer{type.rank() >= 2 ? ir::InitKind::GlorotUniform : ir::InitKind::Zeros, {}};
  const Expr &e = *param.value;
  auto bound = check_named_call(e, "initializer", ir::all_initializers(), ctx);
  if (!bound) return std::nullopt;
  ir::Initializer init{bound->first, std::move(bound->second)};
  const auto &info = ir::init_info(init.kind);
  auto arg = [&](std::string_view name) {
    return ir::attr_float(init.attrs[static_cast<size_t>(ir::find_attr(info.attrs, name))]);
  };
  bool ok = true;
  switch (init.kind) {
  case ir::InitKind::Uniform:
    ok = check_arg(!(arg("lo") < arg("hi")), e, "hi",
                   fmt::format("uniform needs lo < hi, got lo = {} and hi = {}", arg("lo"), arg("hi")), ctx);
    break;
  case ir::InitKind::Normal:
    ok = check_arg(!(arg("std") >= 0), e, "std", fmt::format("normal needs std >= 0, got {}", arg("std")), ctx);
    break;
  case ir::InitKind::GlorotUniform:
  case ir::InitKind::GlorotNormal:
  case ir::InitKind::HeUniform:
  case ir::InitKind::HeNormal:
  case ir::InitKind::LecunNormal:
    if (type.rank() < 2) {
      ctx.diags.error(e.loc, fmt::format("'{}' needs a param of rank >= 2 (it has fan_in and fan_out), but "
                                         "'{}' is {}",
                                         info.name, param.name.name, type.str()));
      ctx.diags.note(param.name.loc, "use zeros, constant(v), uniform(lo, hi) or normal(mean, std) for biases");
      ok = false;
    }
    break;
  default: break;
  }
  return ok ? std::optional(init) : std::nullopt;
}

std::optional<ir::OptimizerDecl> check_optimizer(const ast::Stmt &stmt, SemaContext &ctx) {
  const Expr &e = *stmt.value;
  auto bound = check_named_call(e, "optimizer", ir::all_optimizers(), ctx);
  if (!bound) return std::nullopt;
  ir::OptimizerDecl opt{bound->first, std::move(bound->second), stmt.loc};
  const auto &specs = ir::optimizer_info(opt.kind).attrs;
  auto value = [&](std::string_view name) -> const ir::AttrValue & {
    return opt.attrs[static_cast<size_t>(ir::find_attr(specs, name))];
  };
  auto num = [&](std::string_view name) { return ir::attr_float(value(name)); };
  bool ok = check_arg(!(num("lr") > 0), e, "lr", fmt::format("learning rate lr = {} must be positive", num("lr")), ctx);
  ok &= check_arg(!(num("weight_decay") >= 0), e, "weight_decay",
                  fmt::format("weight_decay = {} must be >= 0", num("weight_decay")), ctx);
  ok &= check_arg(!(num("clip_norm") >= 0), e, "clip_norm",
                  fmt::format("clip_norm = {} must be >= 0 (0 turns clipping off)", num("clip_norm")), ctx);
  if (opt.kind == ir::OptimizerKind::Sgd) {
    ok &= check_arg(!(num("momentum") >= 0), e, "momentum", fmt::format("momentum = {} must be >= 0", num("momentum")), ctx);
    ok &= check_arg(std::get<bool>(value("nesterov")) && !(num("momentum") > 0), e, "nesterov",
                    "nesterov = true needs a momentum > 0", ctx);
  } else {
    for (std::string_view beta : {"beta1", "beta2"})
      ok &= check_arg(!(num(beta) >= 0 && num(beta) < 1), e, beta,
                      fmt::format("{} = {} must be in [0, 1)", beta, num(beta)), ctx);
    ok &= check_arg(!(num("eps") > 0), e, "eps", fmt::format("eps = {} must be positive", num("eps")), ctx);
  }
  return ok ? std::optional(opt) : std::nullopt;
}

} // namespace nncc::frontend
