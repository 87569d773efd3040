// IR -> LLVM IR. Each entry point becomes one external function
// `void nncc_<model>_<fn>(ptr ctx, ptr buffers, ptr dims)` (see
// nncc/model_desc.hpp for the calling convention) that calls one internal
// kernel function per op; matmuls call the runtime. Private to codegen,
// jit and aot (it exposes LLVM types).
#pragma once
#include "ir/module.h"

#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>
#include <memory>
#include <vector>

namespace nncc::codegen {

/// The TargetMachine for `cpu` ("native": this host, with its features).
/// Throws std::runtime_error when LLVM has no such target.
std::unique_ptr<llvm::TargetMachine> make_target_machine(const std::string &cpu, int opt_level);

/// Lowers the module's entry points (compiler::build_entry_points first).
std::unique_ptr<llvm::Module> lower(const ir::Module &module, llvm::LLVMContext &context, const llvm::TargetMachine &tm);
/// The same code, one LLVM module per entry point (compiler::entry_points
/// order), each compilable on its own (the JIT compiles them on first call).
std::vector<std::unique_ptr<llvm::Module>> lower_each(const ir::Module &module, llvm::LLVMContext &context,
                                                      const llvm::TargetMachine &tm);

/// LLVM's default pipeline at `opt_level` (0..3), vectorizers included.
void optimize(llvm::Module &module, llvm::TargetMachine &tm, int opt_level);

enum class MachineCode { Assembly, Object };
/// Assembly text or an ELF object (position-independent) of `module`.
std::string emit_machine_code(llvm::Module &module, llvm::TargetMachine &tm, MachineCode kind);

/// `module` optimized and emitted as ELF objects that link together, on up
/// to `threads` threads: split into parts (a few functions each at least)
/// compiled in parallel, each part but the first in a context and on a
/// TargetMachine (`cpu`) of its own. One object when `threads` is 1 or the
/// module is small. The module's internal symbols are renamed and made
/// external when it is split.
std::vector<std::string> compile_objects(llvm::Module &module, llvm::TargetMachine &tm, const std::string &cpu, int opt_level,
                                         unsigned threads);

} // namespace nncc::codegen
