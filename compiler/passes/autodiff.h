// Reverse-mode automatic differentiation: from a module's `forward`
// function, builds `grad` — the forward computation of the loss followed by
// the backward graph, as ordinary IR.
#pragma once
#include "ir/module.h"

namespace nncc::compiler {

struct AutodiffOptions {
  bool input_gradients = false; // also dL/d(input) for every float input
};

/// Adds function `grad` to `module`. Its arguments are forward's; its
/// results are `loss`, then `d_<param>` for every param in declaration
/// order (then `d_<input>` when asked). Throws std::invalid_argument when
/// forward has no loss.
ir::Function &build_grad(ir::Module &module, const AutodiffOptions &options = {});

} // namespace nncc::compiler
