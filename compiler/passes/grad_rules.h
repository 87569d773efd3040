// The derivative rules of every op, written with the IR builder so that the
// backward graph is ordinary IR.
#pragma once
#include "ir/builder.h"

#include <string>
#include <vector>

namespace nncc::compiler {

/// The vector-Jacobian product of op value `y`: given g = dL/dy, the
/// contribution to dL/d(operand) for each operand (nullptr where no gradient
/// flows). A contribution may still have y's broadcast shape; autodiff sums
/// it down to the operand's shape. Each contribution carries a note naming
/// its chain-rule term.
std::vector<ir::Value *> vjp(ir::Builder &b, const ir::Value &y, ir::Value *g);

} // namespace nncc::compiler
