// Reverse-mode automatic differentiation: from a module's `forward`
// function, builds `grad` — the forward computation of the loss followed by
// the backward graph, as ordinary IR.
#pragma once
#include "ir/module.h"

#include <unordered_map>

namespace nncc::compiler {

struct AutodiffOptions {
  bool input_gradients = false; // also dL/d(input) for every float input
  bool keep_all = false;        // keep every intermediate gradient (for trace)
};

struct GradFunction {
  ir::Function &fn;
  // Keyed by forward's values: the copy in `fn`, and dL/d(value) in `fn`
  // (absent where no gradient flows).
  std::unordered_map<const ir::Value *, ir::Value *> copy_of, gradient_of;
};

/// Adds function `grad` to `module`. Its arguments are forward's; its
/// results are `loss`, then `d_<param>` for every param in declaration
/// order (then `d_<input>` when asked). Throws std::invalid_argument when
/// forward has no loss.
GradFunction build_grad(ir::Module &module, const AutodiffOptions &options = {});

} // namespace nncc::compiler
