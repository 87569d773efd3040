#include "tools/nncc/trace_run.h"

#include "compiler/interp/params.h"
#include "nncc/nncc.hpp"
#include "tools/nncc/common.h"
#include "tools/nncc/tensor_text.h"

#include <algorithm>
#include <fmt/format.h>
#include <unordered_set>

namespace nncc::tool {

void add_run_point_options(CLI::App &cmd, RunPoint &at) {
  cmd.add_option("file", at.path, "the .nn model file")->required();
  cmd.add_option("--set", at.sets, "NAME=VALUE for an input or param: a number, a nested list like [[1,2],[3,4]], or @FILE.npy");
  cmd.add_option("--seed", at.seed, "seed of the params not set and of dropout")->capture_default_str();
  cmd.add_flag("--eval", at.eval, "inference mode (dropout off)");
  cmd.add_flag("--check-nan", at.check_nan, "stop at the first value (forward or backward) that holds nan or inf, naming its op and source line");
}

std::optional<std::map<std::string, interp::Tensor>> trace_arguments(const RunPoint &at, const ir::Module &m) {
  const ir::Function &fwd = *m.find_function("forward");
  std::map<std::string, interp::Tensor> args = interp::initial_params(m, at.seed);
  for (const std::string &set : at.sets) {
    size_t eq = set.find('=');
    std::string name = set.substr(0, eq);
    const ir::Value *arg = fwd.find_argument(name);
    if (eq == std::string::npos || !arg) {
      fmt::print(stderr, "error: --set {}: {}\n", set,
                 eq == std::string::npos ? "expected NAME=VALUE" : fmt::format("'{}' is not an input or param of '{}'", name, m.name));
      return std::nullopt;
    }
    std::string error;
    auto t = parse_tensor(std::string_view(set).substr(eq + 1), arg->type.dtype, error);
    if (!t) {
      fmt::print(stderr, "error: --set {}: {}\n", name, error);
      return std::nullopt;
    }
    args[name] = std::move(*t);
  }
  for (const ir::Value *a : fwd.arguments())
    if (!args.count(a->name)) {
      fmt::print(stderr, "error: input '{}' ({}) needs a value: --set {}=...\n", a->name, a->type.str(), a->name);
      return std::nullopt;
    }
  return args;
}

int with_trace(const RunPoint &at, std::string_view command, const std::function<int(const Trace &, const std::string &)> &use) {
  CompiledFile f;
  compile_file(at.path, f);
  if (!f.result.module) return kUserError;
  auto args = trace_arguments(at, *f.result.module);
  if (!args) return kUserError;
  try {
    return use(Trace(*f.result.module, at, *args), f.result.module->name);
  } catch (const interp::InterpError &e) {
    fmt::print(stderr, "error: {}\n", e.what());
  } catch (const Error &e) {
    fmt::print(stderr, "nncc {}: error: {}\n", command, e.what());
  }
  return kUserError;
}

Trace::Trace(ir::Module &m, const RunPoint &at, const std::map<std::string, interp::Tensor> &args) : fwd_(*m.find_function("forward")) {
  interp::RunOptions options{.training = !at.eval, .seed = at.seed, .step = 0};
  if (fwd_.find_result("loss")) {
    grad_.emplace(compiler::build_grad(m, {.input_gradients = true, .keep_all = true}));
    std::optional<compiler::CheckSites> sites;
    if (at.check_nan) options.check_nan = &sites.emplace(m, grad_->fn);
    run_ = interp::run(grad_->fn, args, options);
  }
  // The grad function keeps only what the loss needs: outputs the loss does
  // not read (a softmax printed next to a cross-entropy) come from forward,
  // run only when there are such values.
  bool complete = grad_ && std::all_of(fwd_.body().begin(), fwd_.body().end(), [&](const ir::Value *v) {
    auto copy = grad_->copy_of.find(v);
    return copy != grad_->copy_of.end() && run_.values.count(copy->second);
  });
  if (!complete) {
    std::optional<compiler::CheckSites> sites;
    options.check_nan = at.check_nan ? &sites.emplace(m, fwd_) : nullptr;
    forward_run_ = interp::run(fwd_, args, options);
  }
}

const interp::Tensor *Trace::value(const ir::Value *v) const {
  if (grad_)
    if (auto copy = grad_->copy_of.find(v); copy != grad_->copy_of.end())
      if (auto it = run_.values.find(copy->second); it != run_.values.end()) return &it->second;
  if (auto it = run_.values.find(v); it != run_.values.end()) return &it->second; // a value of the grad function
  auto it = forward_run_.values.find(v);
  return it == forward_run_.values.end() ? nullptr : &it->second;
}

const interp::Tensor *Trace::gradient(const ir::Value *v) const {
  if (!grad_) return nullptr;
  auto it = grad_->gradient_of.find(v);
  return it == grad_->gradient_of.end() ? nullptr : &run_.values.at(it->second);
}

std::vector<const ir::Value *> Trace::nodes() const {
  std::vector<const ir::Value *> out(fwd_.arguments().begin(), fwd_.arguments().end());
  out.insert(out.end(), fwd_.body().begin(), fwd_.body().end());
  return out;
}

std::vector<const ir::Value *> Trace::backward() const {
  if (!grad_) return {};
  std::unordered_set<const ir::Value *> forward;
  for (const auto &[fwd_value, copy] : grad_->copy_of) forward.insert(copy);
  std::vector<const ir::Value *> out;
  for (const ir::Value *v : grad_->fn.body())
    if (!forward.count(v)) out.push_back(v);
  return out;
}

std::vector<const ir::Value *> Trace::gradient_for(const ir::Value *g) const {
  std::vector<const ir::Value *> out;
  for (const ir::Value *v : nodes())
    if (grad_ && gradient(v) && grad_->gradient_of.at(v) == g) out.push_back(v);
  return out;
}

} // namespace nncc::tool
