// Structural checks of a Module: SSA (each value defined once, before use,
// in its function), types agree with the op table's rules, params match
// their declarations, results exist.
#pragma once
#include "ir/module.h"

#include <string>
#include <vector>

namespace nncc::ir {

/// Every problem found, one message each; empty when the module is valid.
std::vector<std::string> verify(const Module &module);
/// The checks of one function of `module`.
std::vector<std::string> verify_function(const Module &module, const Function &fn);

} // namespace nncc::ir
