// Code generation's interface for the rest of nncc, free of LLVM types:
// the model description a Session needs, and the LLVM IR / assembly text
// of `nncc dump --stage=llvm|asm`. (The JIT and AOT use lower.h directly.)
#pragma once
#include "ir/module.h"
#include "nncc/model_desc.hpp"

#include <string>

namespace nncc::codegen {

struct TargetOptions {
  std::string cpu = "native"; // or an LLVM CPU name such as x86-64-v3
  int opt_level = 2;
};

/// The name of the machine-code symbol of entry point `fn`.
std::string entry_symbol(const ir::Module &module, const std::string &fn);

/// The ModelDesc of a module whose entry points are built (code pointers
/// left null): params, states, symbols, each entry's buffers, the i32
/// inputs' index limits.
ModelDesc describe(const ir::Module &module);

enum class TextStage { Llvm, Asm };
/// The optimized LLVM IR or the assembly of the module's entry points.
/// Throws std::runtime_error when the target is unavailable.
std::string emit_text(const ir::Module &module, const TargetOptions &target, TextStage stage);

} // namespace nncc::codegen
