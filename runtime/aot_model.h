// A LoadedModel over the nncc_model struct of an AOT library: the JSON
// description parsed, the entry table's code pointers attached.
#pragma once
#include "nncc/aot_abi.h"
#include "nncc/nncc.hpp"

#include <memory>

namespace nncc::runtime {

/// `keep_alive` owns whatever keeps the code mapped (a dlopen handle), or
/// is null when the code is part of this image. Throws Error on an ABI
/// version or entry-count mismatch.
std::shared_ptr<const LoadedModel> aot_model(const nncc_model *model, std::shared_ptr<void> keep_alive);

} // namespace nncc::runtime
