// Ahead-of-time compilation (nncc compile): the same lowering as the JIT,
// written out as an object file and linked with the runtime into a shared
// library that needs neither LLVM nor nncc at run time. LLVM-free interface.
#pragma once
#include "compiler/codegen/codegen.h"
#include "ir/module.h"

#include <string>

namespace nncc::aot {

enum class Emit { SharedLibrary, Object, Llvm };

struct Options {
  codegen::TargetOptions target;
  Emit emit = Emit::SharedLibrary;
  std::string output;
};

struct Timing {
  double codegen_ms = 0, link_ms = 0;
};

/// `module` must have its entry points built. Writes `options.output`;
/// throws Error (with the linker's output when linking fails).
Timing compile(const ir::Module &module, const Options &options);

/// The C header of the library: the model's signature and memory needs as
/// a comment, and typed functions NAME_create, NAME_train_step, ... as
/// static inline wrappers over the generic ABI of nncc/nncc.h.
/// `module` (entry points built) gives the scratch-memory bound.
std::string c_header(const ir::Module &module, const ModelDesc &desc);

} // namespace nncc::aot
