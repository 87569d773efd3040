// Parallel code generation: one entry point's module split into parts that
// are optimized and turned into machine code on several threads, as LLVM's
// LTO does (llvm::splitCodeGen). LLVM's optimizer and code generator take
// most of a model's compile time and use one core each; a context is not
// thread-safe, so every part but the first moves to a context of its own
// through bitcode, and every thread has its own TargetMachine.
#include "compiler/codegen/lower.h"

#include <future>
#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Transforms/Utils/SplitModule.h>
#include <stdexcept>

namespace nncc::codegen {

namespace {

/// Defined functions with a body: what the split distributes.
size_t defined_functions(const llvm::Module &module) {
  size_t n = 0;
  for (const llvm::Function &f : module)
    if (!f.isDeclaration()) ++n;
  return n;
}

std::string optimize_and_emit(llvm::Module &module, llvm::TargetMachine &tm, int opt_level) {
  optimize(module, tm, opt_level);
  return emit_machine_code(module, tm, MachineCode::Object);
}

/// A part handed over as bitcode, compiled in a context of its own.
std::string compile_bitcode(const std::string &bitcode, const std::string &cpu, int opt_level) {
  llvm::LLVMContext context;
  auto parsed = llvm::parseBitcodeFile(llvm::MemoryBufferRef(bitcode, "part"), context);
  if (!parsed) throw std::runtime_error("reading back a split module: " + llvm::toString(parsed.takeError()));
  auto tm = make_target_machine(cpu, opt_level);
  return optimize_and_emit(**parsed, *tm, opt_level);
}

} // namespace

std::vector<std::string> compile_objects(llvm::Module &module, llvm::TargetMachine &tm, const std::string &cpu, int opt_level,
                                         unsigned threads) {
  // A few functions per part at least: splitting a small entry point
  // (forward, evaluate) costs more than it saves.
  constexpr size_t kFunctionsPerPart = 4;
  unsigned parts = std::min<size_t>(threads, defined_functions(module) / kFunctionsPerPart);
  if (parts <= 1) return {optimize_and_emit(module, tm, opt_level)};

  // The split makes internal symbols external so that the parts link; the
  // entry point's name before each keeps them apart from other entry
  // points' in the same JIT.
  std::string prefix = module.getModuleIdentifier() + ".";
  for (llvm::GlobalValue &g : module.global_values())
    if (g.hasLocalLinkage() && g.hasName()) g.setName(prefix + g.getName());

  std::unique_ptr<llvm::Module> first;
  std::vector<std::string> bitcode;
  llvm::SplitModule(module, parts, [&](std::unique_ptr<llvm::Module> part) {
    if (!first) {
      first = std::move(part);
      return;
    }
    llvm::raw_string_ostream os(bitcode.emplace_back());
    llvm::WriteBitcodeToFile(*part, os);
  });
  std::vector<std::future<std::string>> others;
  for (const std::string &b : bitcode)
    others.push_back(std::async(std::launch::async, compile_bitcode, std::cref(b), std::cref(cpu), opt_level));
  std::vector<std::string> objects{optimize_and_emit(*first, tm, opt_level)};
  for (auto &f : others) objects.push_back(f.get());
  return objects;
}

} // namespace nncc::codegen
