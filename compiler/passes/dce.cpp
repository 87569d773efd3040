// dce: deletes the op values that no result of the function (output, loss,
// gradient, updated param or state) depends on.
#include "compiler/passes/pass_registry.h"

namespace nncc::compiler {

void run_dce(ir::Function &fn, PassContext &ctx) {
  size_t before = fn.body().size();
  fn.remove_unused();
  ctx.fired("dead-value", static_cast<int>(before - fn.body().size()));
}

} // namespace nncc::compiler
