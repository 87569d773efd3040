// Graphviz (DOT) rendering of IR functions: one node per value, an edge from
// each operand to its user; inputs, params, ops and results drawn apart.
#pragma once
#include "ir/module.h"

#include <string>

namespace nncc::ir {

std::string print_dot(const Module &module);

} // namespace nncc::ir
