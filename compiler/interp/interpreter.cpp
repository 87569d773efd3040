#include "compiler/interp/interpreter.h"

#include "ir/printer.h"
#include "nncc/nonfinite.h"

#include <cmath>
#include <fmt/format.h>

namespace nncc::interp {

int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Tensor Tensor::zeros(ir::DType dtype, std::vector<int64_t> shape) {
  Tensor t{dtype, std::move(shape), {}};
  t.data.assign(static_cast<size_t>(product(t.shape)), 0.0);
  return t;
}

Tensor Tensor::scalar(double value, ir::DType dtype) { return Tensor{dtype, {}, {value}}; }

std::string Tensor::type_str() const {
  if (shape.empty()) return std::string(ir::dtype_name(dtype));
  return fmt::format("{}[{}]", ir::dtype_name(dtype), fmt::join(shape, ", "));
}

namespace {

/// Binds the symbolic dims of `type` to the sizes of `t`, checking the rest.
void bind_argument(const ir::Value &arg, const Tensor &t, std::map<std::string, int64_t> &dims,
                   std::map<std::string, std::string> &bound_by) {
  const ir::Type &type = arg.type;
  if (t.dtype != type.dtype || static_cast<int>(t.shape.size()) != type.rank() ||
      static_cast<int64_t>(t.data.size()) != product(t.shape))
    throw InterpError(fmt::format("'{}' must be {}, got {}", arg.name, type.str(), t.type_str()));
  for (size_t i = 0; i < t.shape.size(); ++i) {
    const ir::Dim &d = type.shape[i];
    if (!d.is_symbolic()) {
      if (d.size != t.shape[i])
        throw InterpError(fmt::format("'{}' must be {}, got {} (dimension {} is {}, expected {})", arg.name,
                                      type.str(), t.type_str(), i, t.shape[i], d.size));
      continue;
    }
    auto [it, fresh] = dims.emplace(d.symbol, t.shape[i]);
    if (fresh) {
      bound_by[d.symbol] = arg.name;
    } else if (it->second != t.shape[i]) {
      throw InterpError(fmt::format("symbolic dimension {} is {} in '{}' but {} in '{}'", d.symbol, it->second,
                                    bound_by[d.symbol], t.shape[i], arg.name));
    }
  }
}

/// --check-nan: throws the report when a checked value is not finite.
void check_finite(const ir::Value &v, const Tensor &t, const RunOptions &options) {
  const compiler::CheckSite *site = options.check_nan ? options.check_nan->find(&v) : nullptr;
  if (!site) return;
  nonfinite::Found found = nonfinite::scan(t.data.data(), t.numel(), [](double x) { return x; });
  if (found.count > 0) throw InterpError(nonfinite::report(site->what, site->where, found, t.numel(), options.step));
}
} // namespace

Execution run(const ir::Function &fn, const std::map<std::string, Tensor> &args, const RunOptions &options) {
  Execution ex;
  std::map<std::string, std::string> bound_by;
  for (const ir::Value *a : fn.arguments()) {
    auto it = args.find(a->name);
    if (it == args.end())
      throw InterpError(fmt::format("missing {} '{}' ({})", ir::value_kind_name(a->kind), a->name, a->type.str()));
    bind_argument(*a, it->second, ex.dims, bound_by);
    ex.values[a] = it->second;
    check_finite(*a, it->second, options);
  }
  for (const auto &[name, t] : args)
    if (!fn.find_argument(name)) throw InterpError(fmt::format("'{}' is not an input or param of @{}", name, fn.name()));
  for (const ir::Value *v : fn.body()) {
    std::vector<const Tensor *> operands;
    for (const ir::Value *o : v->operands) operands.push_back(&ex.values.at(o));
    check_finite(*v, ex.values[v] = evaluate(*v, operands, ex.dims, options), options);
  }
  for (const ir::FunctionResult &r : fn.results()) ex.results[r.name] = ex.values.at(r.value);
  return ex;
}

} // namespace nncc::interp
