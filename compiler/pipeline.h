// From a frontend module to the entry points code generation compiles:
//   forward    — inference: the model's outputs only (no loss, no labels);
//   evaluate   — inference: the outputs and the loss (test loss, accuracy);
//   grad       — training-mode loss and d_<param> (when the model has a loss);
//   train_step — forward + backward + optimizer update (with an optimizer);
//   apply_update — the update alone, on given gradients (when asked for).
// Each keeps only the inputs it reads.
#pragma once
#include "compiler/passes/pass_registry.h"
#include "ir/module.h"

#include <string>
#include <vector>

namespace nncc::compiler {

/// Adds grad and train_step as the model allows and trims forward; with
/// `options.bf16`, casts the operands of every matrix product to bf16; at
/// `opt_level` >= 1 runs the graph optimizations (optimization_pipeline)
/// over every entry point. -O0 leaves the graph as autodiff built it.
/// The IR after the passes `options` names is appended to `trace`.
/// With `options.check_nan`, nothing is fused and the code checks every
/// value it computes (ir::Module::check_nan).
void build_entry_points(ir::Module &module, int opt_level = 2, const PipelineOptions &options = {},
                        std::string *trace = nullptr);

/// forward and evaluate run in inference mode: dropout is the identity there.
bool is_inference(const ir::Function &fn);

/// The entry points of a module after build_entry_points, in order.
std::vector<const ir::Function *> entry_points(const ir::Module &module);

} // namespace nncc::compiler
