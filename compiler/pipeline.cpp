#include "compiler/pipeline.h"

#include "compiler/passes/autodiff.h"
#include "compiler/passes/optimizer.h"
#include "compiler/passes/pass_registry.h"

#include <stdexcept>

namespace nncc::compiler {

void build_entry_points(ir::Module &module, int opt_level, const PipelineOptions &options, std::string *trace) {
  ir::Function &forward = *module.find_function("forward");
  std::string discarded;
  if (!trace) trace = &discarded;
  std::vector<std::string> errors;
  // Stable forms before autodiff, so the backward graph differentiates them.
  const PassInfo *before_autodiff[] = {find_pass("stabilize")};
  if (opt_level > 0 && !run_pipeline(module, before_autodiff, options, *trace, errors))
    throw std::logic_error("graph optimization failed: " + errors.front());
  bool has_loss = forward.find_result("loss") != nullptr;
  if (has_loss && !module.find_function("evaluate")) {
    ir::Function &evaluate = module.add_function("evaluate");
    auto map = evaluate.append_function(forward);
    for (const ir::FunctionResult &r : forward.results()) evaluate.add_result(r.name, map.at(r.value));
  }
  if (has_loss && !module.find_function("grad")) build_grad(module);
  if (has_loss && module.optimizer && !module.find_function("train_step")) build_train_step(module);
  if (options.apply_update && module.optimizer && !module.find_function("apply_update")) build_apply_update(module);
  forward.remove_result("loss");
  // Only train_step updates the running statistics (module state); grad
  // returns the new ones when apply_update is built, so that grad then
  // apply_update(gradients + statistics) is the step train_step takes.
  for (const ir::StateDecl &s : module.states)
    for (const char *fn : {"forward", "evaluate", "grad"})
      if (ir::Function *f = module.find_function(fn); f && !(options.apply_update && f->name() == "grad")) f->remove_result(s.name);
  for (const auto &fn : module.functions()) fn->remove_unused(/*unused_inputs_too=*/true);
  const PassInfo *precision[] = {find_pass("bf16-products")};
  if (options.bf16 && !run_pipeline(module, precision, options, *trace, errors))
    throw std::logic_error("bf16 products failed: " + errors.front());
  module.check_nan = options.check_nan;
  if (!run_pipeline(module, optimization_pipeline(opt_level, /*fuse=*/!options.check_nan), options, *trace, errors))
    throw std::logic_error("graph optimization failed: " + errors.front()); // passes never report errors on verified IR
}

bool is_inference(const ir::Function &fn) { return fn.name() == "forward" || fn.name() == "evaluate"; }

std::vector<const ir::Function *> entry_points(const ir::Module &module) {
  std::vector<const ir::Function *> out;
  for (const char *name : {"forward", "evaluate", "grad", "train_step", "apply_update"})
    if (const ir::Function *f = module.find_function(name)) out.push_back(f);
  return out;
}

} // namespace nncc::compiler
