// Initial values of a module's params and state as interpreter tensors.
#pragma once
#include "compiler/interp/tensor.h"
#include "ir/module.h"

#include <map>
#include <string>

namespace nncc::interp {

/// Every param of `module`, initialized from `seed` (SPEC §1.7), and its
/// module state (a batch norm's running statistics) at its initial values.
std::map<std::string, Tensor> initial_params(const ir::Module &module, uint64_t seed);

} // namespace nncc::interp
