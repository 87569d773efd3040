#include "compiler/jit/jit.h"

#include "compiler/codegen/lower.h"
#include "nncc/kernel_abi.h"

#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/Support/MemoryBuffer.h>

#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>

namespace nncc::jit {

namespace {

struct JitModel : LoadedModel {
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

template <typename T> T unwrap(llvm::Expected<T> value, const char *what) {
  if (!value) throw Error(fmt::format("JIT: {}: {}", what, llvm::toString(value.takeError())));
  return std::move(*value);
}

void check(llvm::Error error, const char *what) {
  if (error) throw Error(fmt::format("JIT: {}: {}", what, llvm::toString(std::move(error))));
}

/// The runtime functions generated code calls, registered by address (the
/// nncc binary does not export them).
llvm::orc::SymbolMap runtime_symbols(llvm::orc::LLJIT &jit) {
  llvm::orc::SymbolMap symbols;
  auto add = [&](const char *name, auto *fn) {
    symbols[jit.mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn), llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable};
  };
#define NNCC_RUNTIME_FUNCTION(name, result, parameters) add(#name, &name);
#include "nncc/runtime_functions.def"
  return symbols;
}

int debug_level() {
  const char *v = std::getenv("NNCC_DEBUG");
  return v ? std::atoi(v) : 0;
}

/// The cache key of a lowered module: its unoptimized IR (as bitcode) and
/// everything LLVM's optimizer and code generator are told.
std::string cache_key(const llvm::Module &lowered, const llvm::TargetMachine &tm, int opt_level) {
  llvm::SmallString<0> bitcode;
  llvm::raw_svector_ostream os(bitcode);
  llvm::WriteBitcodeToFile(lowered, os);
  std::string triple = tm.getTargetTriple().str(), cpu = tm.getTargetCPU().str(), features = tm.getTargetFeatureString().str();
  std::string level = std::to_string(opt_level);
  return ObjectCache::key({bitcode.str(), triple, cpu, features, level});
}

} // namespace

std::shared_ptr<LoadedModel> compile(const ir::Module &module, const codegen::TargetOptions &target,
                                     const std::optional<ObjectCache> &cache) {
  auto start = std::chrono::steady_clock::now();
  auto model = std::make_shared<JitModel>();
  model->desc = codegen::describe(module);

  // The object file: from the cache, or optimized and emitted now (and
  // cached). The JIT links it either way, so both paths run the same code.
  auto tm = codegen::make_target_machine(target.cpu, target.opt_level);
  llvm::LLVMContext context;
  auto lowered = codegen::lower(module, context, *tm);
  std::string key = cache ? cache_key(*lowered, *tm, target.opt_level) : std::string();
  std::optional<std::string> object = cache ? cache->load(key) : std::nullopt;
  model->from_cache = object.has_value();
  if (!object) {
    codegen::optimize(*lowered, *tm, target.opt_level);
    object = codegen::emit_machine_code(*lowered, *tm, codegen::MachineCode::Object);
    if (cache) cache->store(key, *object);
  }
  auto lowered_at = std::chrono::steady_clock::now();

  llvm::orc::JITTargetMachineBuilder jtmb(tm->getTargetTriple());
  jtmb.setCPU(tm->getTargetCPU().str());
  jtmb.addFeatures(std::vector<std::string>{tm->getTargetFeatureString().str()});
  jtmb.setCodeGenOptLevel(tm->getOptLevel());
  model->jit = unwrap(llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(jtmb)).create(), "creating LLJIT");
  llvm::orc::LLJIT &jit = *model->jit;
  llvm::orc::JITDylib &lib = jit.getMainJITDylib();
  check(lib.define(llvm::orc::absoluteSymbols(runtime_symbols(jit))), "registering runtime symbols");
  // libm (exp, log, tanh, pow of f64 code) and memcpy/memset.
  lib.addGenerator(unwrap(llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(jit.getDataLayout().getGlobalPrefix()),
                          "searching this process"));
  check(jit.addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(*object, module.name + ".o")), "adding the object");

  for (FunctionDesc &f : model->desc.functions)
    f.code = unwrap(jit.lookup(codegen::entry_symbol(module, f.name)), "looking up an entry point").toPtr<EntryPoint>();
  auto end = std::chrono::steady_clock::now();
  model->compile_ms = std::chrono::duration<double, std::milli>(end - start).count();
  if (debug_level() >= 1)
    fmt::print(stderr, "nncc: JIT compiled model '{}' in {:.1f} ms ({} {:.1f} ms, linking {:.1f} ms)\n", module.name,
               model->compile_ms,
               model->from_cache ? "lowering + loading from the cache"
                                 : fmt::format("lowering + LLVM O{} + machine code", target.opt_level),
               std::chrono::duration<double, std::milli>(lowered_at - start).count(),
               std::chrono::duration<double, std::milli>(end - lowered_at).count());
  return model;
}

} // namespace nncc::jit
