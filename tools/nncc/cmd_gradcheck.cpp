// nncc gradcheck FILE.nn [--seed S] — compare every gradient of the loss
// with central finite differences, in f64, through the reference
// interpreter; print the worst relative error per param and float input.
#include "compiler/index_limit.h"
#include "compiler/interp/interpreter.h"
#include "compiler/interp/params.h"
#include "compiler/passes/autodiff.h"
#include "compiler/passes/pass_registry.h"
#include "nncc/rng.h"
#include "tools/nncc/common.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace nncc::tool {
namespace {

constexpr int64_t kSymbolicSize = 3;     // every symbolic dimension (the batch)
constexpr int64_t kMaxCheckedEntries = 16; // per tensor, chosen at random
constexpr double kStep = 1e-5;

interp::Tensor random_input(const ir::Function &fn, const ir::Value *a, uint64_t seed, uint64_t stream) {
  std::vector<int64_t> shape;
  for (const ir::Dim &d : a->type.shape) shape.push_back(d.is_symbolic() ? kSymbolicSize : d.size);
  interp::Tensor t = interp::Tensor::zeros(a->type.dtype, shape);
  int64_t limit = compiler::index_limit(fn, a), range = a->type.dtype == ir::DType::I32 ? (limit > 0 ? limit : 2) : 0;
  for (size_t i = 0; i < t.data.size(); ++i) {
    double u = rng::uniform(seed, stream, i);
    t.data[i] = range ? std::floor(u * static_cast<double>(range)) : 0.1 + 0.8 * u;
  }
  return t;
}

struct GradcheckOptions {
  std::string path;
  uint64_t seed = 0;
  double tolerance = 1e-6;
};

using Arguments = std::map<std::string, interp::Tensor>;

/// The worst relative error of the analytic dL/d(a), `g`, against central
/// differences of the loss, over `count` of its entries (all of them, or
/// a seeded random sample).
double worst_error(const ir::Function &fwd, const Arguments &args, const ir::Value &a, const interp::Tensor &g, int64_t count,
                   uint64_t seed, uint64_t stream) {
  auto loss_at = [&](const Arguments &at) { return interp::run(fwd, at, {.training = true, .seed = seed}).results.at("loss").item(); };
  int64_t n = g.numel();
  double worst = 0;
  Arguments shifted = args;
  for (int64_t k = 0; k < count; ++k) {
    auto i = static_cast<size_t>(count == n ? k : static_cast<int64_t>(rng::bits(seed, 0xC0FFEE + stream, static_cast<uint64_t>(k)) % static_cast<uint64_t>(n)));
    double &x = shifted[a.name].data[i], x0 = x;
    x = x0 + kStep;
    double up = loss_at(shifted);
    x = x0 - kStep;
    double numeric = (up - loss_at(shifted)) / (2 * kStep);
    x = x0;
    double error = std::abs(g.data[i] - numeric) / std::max({std::abs(g.data[i]), std::abs(numeric), 1e-3});
    worst = std::max(worst, std::isnan(error) ? INFINITY : error);
  }
  return worst;
}

int run_gradcheck(const GradcheckOptions &opt) {
  CompiledFile f;
  compile_file(opt.path, f);
  if (!f.result.module) return kUserError;
  ir::Module &m = *f.result.module;
  if (!require_loss(opt.path, m, "check")) return kUserError;
  const compiler::PassInfo *promote[] = {compiler::find_pass("promote-f64")};
  std::string trace;
  std::vector<std::string> errors;
  compiler::run_pipeline(m, promote, {}, trace, errors);
  const ir::Function &fwd = *m.find_function("forward");
  const ir::Function &grad = compiler::build_grad(m, {.input_gradients = true}).fn;

  Arguments args = interp::initial_params(m, opt.seed);
  uint64_t stream = 1;
  for (const ir::Value *a : fwd.arguments())
    if (a->kind == ir::ValueKind::Input) args[a->name] = random_input(fwd, a, opt.seed, stream++);
  interp::Execution analytic = interp::run(grad, args, {.training = true, .seed = opt.seed});

  bool ok = true;
  fmt::print("{:<12} {:<16} {:>14}  {}\n", "gradient", "type", "worst error", "entries checked");
  for (const ir::Value *a : fwd.arguments()) {
    if (!ir::is_float(a->type.dtype) || a->kind == ir::ValueKind::State) continue;
    const interp::Tensor &g = analytic.results.at("d_" + a->name);
    int64_t n = g.numel(), count = std::min(n, kMaxCheckedEntries);
    double worst = worst_error(fwd, args, *a, g, count, opt.seed, stream++);
    bool pass = worst <= opt.tolerance;
    ok &= pass;
    fmt::print("{:<12} {:<16} {:>14.3g}  {} of {}{}\n", "d_" + a->name, a->type.str(), worst, count, n, pass ? "" : "  FAILED");
  }
  fmt::print("gradcheck {} (tolerance {:g}, f64, step {:g}, symbolic dimensions = {})\n", ok ? "passed" : "FAILED", opt.tolerance,
             kStep, kSymbolicSize);
  return ok ? kSuccess : kUserError;
}

} // namespace

void add_gradcheck_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("gradcheck", "Check every gradient against central finite differences in f64");
  auto opt = std::make_shared<GradcheckOptions>();
  cmd->add_option("file", opt->path, "the .nn model file")->required();
  cmd->add_option("--seed", opt->seed, "seed of params, inputs and dropout")->capture_default_str();
  cmd->add_option("--tolerance", opt->tolerance,
                  "largest accepted |analytic - numeric| / max(|analytic|, |numeric|, 1e-3)")
      ->capture_default_str();
  cmd->callback([opt, &status] { status = run_gradcheck(*opt); });
}

} // namespace nncc::tool
