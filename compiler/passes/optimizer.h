// In-graph optimizer updates (as Theano's `updates`): appends the update of
// the module's optimizer (SPEC §1.8, PyTorch's rules) to the backward graph,
// making `train_step` = forward + backward + update in one function.
#pragma once
#include "ir/module.h"

#include <string>
#include <vector>

namespace nncc::compiler {

/// The state tensors the optimizer keeps per param, in argument order:
/// "opt.W.velocity" (SGD with momentum), "opt.W.m" and "opt.W.v" (Adam).
std::vector<std::string> optimizer_state_names(const ir::Module &module, const std::string &param);

/// Adds `train_step`. Arguments: forward's inputs and params, then state:
/// `lr` and `step` (the 1-based number of this step, f32/f64 scalars of the
/// params' dtype), then each param's optimizer state. Results: `loss`, the
/// new value of every param (named like the param) and of every state
/// tensor. Builds `grad` first if the module has none. Throws
/// std::invalid_argument when the module has no loss or no optimizer.
ir::Function &build_train_step(ir::Module &module);

} // namespace nncc::compiler
