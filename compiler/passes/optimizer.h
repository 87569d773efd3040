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

/// Adds `apply_update`: the update of train_step on gradients computed
/// elsewhere (data-parallel training: grad on each shard, the gradients
/// averaged across processes, then the same update everywhere). Arguments:
/// the inputs `d_<param>` (gradients, the params' types), the params, then
/// the state as in train_step. Results: the new params and state tensors.
/// Throws std::invalid_argument when the module has no optimizer.
ir::Function &build_apply_update(ir::Module &module);

} // namespace nncc::compiler
