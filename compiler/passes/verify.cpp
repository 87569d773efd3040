// verify: the IR verifier as a pass, so that any pipeline can check its
// input and `nncc opt --pass=verify` round-trips text IR.
#include "compiler/passes/pass_registry.h"
#include "ir/verifier.h"

namespace nncc::compiler {

void run_verify(ir::Function &fn, PassContext &ctx) {
  for (std::string &e : ir::verify_function(ctx.module, fn)) ctx.errors.push_back(std::move(e));
}

} // namespace nncc::compiler
