// nncc_model handles of the C ABI that are no AOT library's constant
// struct: models compiled in this process (libnncc.so's nncc_compile).
#pragma once
#include "nncc/aot_abi.h"
#include "nncc/nncc.hpp"

#include <memory>
#include <string>

namespace nncc::runtime {

/// A handle every C ABI function takes for `model`, until release_c_model.
const nncc_model *c_model_of(std::shared_ptr<const LoadedModel> model);
/// Frees a handle of c_model_of (another handle is ignored).
void release_c_model(const nncc_model *model);
/// What nncc_last_error(NULL) says next on this thread.
void set_create_error(std::string message);

} // namespace nncc::runtime
