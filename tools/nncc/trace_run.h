// One evaluation of a model at given values, with its backward graph when
// it has a loss: what `nncc trace` prints and `nncc explain` steps through.
#pragma once
#include "compiler/interp/interpreter.h"
#include "compiler/passes/autodiff.h"

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nncc::tool {

/// What both commands take: the model, the --set values, the seed of the
/// params not set (and of dropout), inference mode, --check-nan.
struct RunPoint {
  std::string path;
  std::vector<std::string> sets;
  bool eval = false, check_nan = false;
  uint64_t seed = 0;
};

/// Registers FILE, --set, --seed, --eval and --check-nan on `cmd`.
void add_run_point_options(CLI::App &cmd, RunPoint &at);

/// The forward function's arguments: the params' initial values, then the
/// --set values; nullopt (after a message) when one is malformed or missing.
std::optional<std::map<std::string, interp::Tensor>> trace_arguments(const RunPoint &at, const ir::Module &m);

/// One run of the model (with its backward graph when it has a loss), and
/// each forward node's value and gradient in it.
class Trace {
public:
  Trace(ir::Module &m, const RunPoint &at, const std::map<std::string, interp::Tensor> &args);

  const interp::Tensor *loss() const { return grad_ ? &run_.results.at("loss") : nullptr; }
  /// v's value: v a value of forward, or (with a loss) of the grad function.
  const interp::Tensor *value(const ir::Value *v) const;
  /// dL/dv for a value of forward; null where no gradient flows.
  const interp::Tensor *gradient(const ir::Value *v) const;
  /// The arguments, then the ops, of the forward function.
  std::vector<const ir::Value *> nodes() const;
  const ir::Function &forward() const { return fwd_; }
  /// The backward values of the grad function in the order they are
  /// computed (empty without a loss).
  std::vector<const ir::Value *> backward() const;
  /// The forward values (in node order) whose gradient `g` is: none for a
  /// partial term, several where an op passes its gradient on unchanged
  /// (dL/da = dL/de for e = a + 2b).
  std::vector<const ir::Value *> gradient_for(const ir::Value *g) const;
  /// The function backward() belongs to (null without a loss).
  const ir::Function *grad_function() const { return grad_ ? &grad_->fn : nullptr; }

private:
  const ir::Function &fwd_;
  std::optional<compiler::GradFunction> grad_;
  interp::Execution run_, forward_run_; // of grad (with a loss); of forward (when grad lacks a value)
};

/// Compiles the model at `at.path`, runs it at the --set values and hands
/// the trace and the model's name to `use`; returns use's exit status, or
/// kUserError after printing why the model, a value or a run failed
/// (`command` names the command in messages).
int with_trace(const RunPoint &at, std::string_view command, const std::function<int(const Trace &, const std::string &)> &use);

} // namespace nncc::tool
