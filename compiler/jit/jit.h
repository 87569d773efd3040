// The ORC JIT: compiles a module's entry points into this process.
// LLVM-free interface; the implementation keeps the JIT alive inside the
// returned LoadedModel.
#pragma once
#include "compiler/codegen/codegen.h"
#include "compiler/jit/object_cache.h"
#include "ir/module.h"
#include "nncc/nncc.hpp"

#include <memory>

namespace nncc::jit {

/// `module` must have its entry points built (compiler::build_entry_points).
/// The object code comes from `cache` when it holds it (and is stored there
/// otherwise); no cache: always compiled. With NNCC_DEBUG >= 1 the compile
/// time is printed to stderr.
std::shared_ptr<LoadedModel> compile(const ir::Module &module, const codegen::TargetOptions &target,
                                     const std::optional<ObjectCache> &cache = ObjectCache::open());

} // namespace nncc::jit
