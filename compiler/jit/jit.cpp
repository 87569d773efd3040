#include "compiler/jit/jit.h"

#include "compiler/codegen/lower.h"
#include "compiler/jit/perf_map.h"
#include "nncc/kernel_abi.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/MemoryBuffer.h>
#include <mutex>
#include <thread>

namespace nncc::jit {

namespace {

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

/// Threads that generate one entry point's code: $NNCC_COMPILE_THREADS, else
/// the machine's cores, at most 4 (an MLP's train_step has a dozen
/// kernels; more parts than that only add overhead).
unsigned compile_threads() {
  if (const char *v = std::getenv("NNCC_COMPILE_THREADS"); v && std::atoi(v) > 0) return static_cast<unsigned>(std::atoi(v));
  return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
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

/// The model's entry points, each lowered into a module of its own and
/// compiled (or loaded from the cache) the first time the Session asks for
/// it: `nncc bench` compiles train_step only, `nncc train` train_step and
/// evaluate.
struct JitModel : LoadedModel {
  int opt_level = 2;
  std::string cpu; // TargetOptions::cpu: each code generation thread makes its TargetMachine
  std::optional<ObjectCache> cache;
  std::unique_ptr<llvm::TargetMachine> tm;
  std::unique_ptr<llvm::LLVMContext> context; // before the modules: destroyed after them
  std::unique_ptr<llvm::orc::LLJIT> jit;
  mutable std::mutex mutex; // guards the members below, the context and the JIT
  mutable std::vector<std::unique_ptr<llvm::Module>> pending; // per desc.functions entry; null once compiled
  std::vector<std::string> symbols;
  std::unique_ptr<std::atomic<EntryPoint>[]> ready; // per desc.functions entry; null until compiled

  EntryPoint code(const FunctionDesc &f) const override {
    size_t i = static_cast<size_t>(&f - desc.functions.data());
    if (i >= desc.functions.size()) throw Error(fmt::format("JIT: '{}' is not an entry point of model '{}'", f.name, desc.name));
    if (EntryPoint e = ready[i].load(std::memory_order_acquire)) return e;
    std::lock_guard lock(mutex);
    if (EntryPoint e = ready[i].load(std::memory_order_acquire)) return e;
    EntryPoint e = nullptr;
    try {
      e = compile_entry(i);
    } catch (const Error &) {
      throw;
    } catch (const std::exception &error) {
      throw Error(fmt::format("internal compiler error while compiling {} of model '{}': {}", f.name, desc.name, error.what()));
    }
    ready[i].store(e, std::memory_order_release);
    return e;
  }

private:
  /// The object files come from the cache, or are optimized and emitted now
  /// (on compile_threads() threads) and cached: the JIT links objects either
  /// way, so both paths run the same code.
  EntryPoint compile_entry(size_t i) const {
    auto start = std::chrono::steady_clock::now();
    llvm::Module &module = *pending[i];
    std::string key = cache ? cache_key(module, *tm, opt_level) : std::string();
    std::optional<std::vector<std::string>> objects = cache ? cache->load(key) : std::nullopt;
    bool cached = objects.has_value();
    if (!cached) {
      objects = codegen::compile_objects(module, *tm, cpu, opt_level, compile_threads());
      if (cache) cache->store(key, *objects);
    }
    for (size_t part = 0; part < objects->size(); ++part)
      check(jit->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy((*objects)[part], fmt::format("{}.{}.o", symbols[i], part))),
            "adding an object");
    auto e = unwrap(jit->lookup(symbols[i]), "looking up an entry point").toPtr<EntryPoint>();
    pending[i].reset();
    ++(cached ? loaded_from_cache : compiled_afresh);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    compile_ms += ms;
    if (debug_level() >= 1)
      fmt::print(stderr, "nncc: JIT compiled {} of model '{}' in {:.1f} ms ({})\n", desc.functions[i].name, desc.name, ms,
                 cached ? "from the cache" : fmt::format("LLVM O{} + machine code in {} part{}", opt_level, objects->size(),
                                                         objects->size() == 1 ? "" : "s"));
    return e;
  }
};

} // namespace

std::shared_ptr<LoadedModel> compile(const ir::Module &module, const codegen::TargetOptions &target,
                                     const std::optional<ObjectCache> &cache) {
  auto start = std::chrono::steady_clock::now();
  auto model = std::make_shared<JitModel>();
  model->desc = codegen::describe(module);
  model->opt_level = target.opt_level;
  model->cpu = target.cpu;
  model->cache = cache;
  model->tm = codegen::make_target_machine(target.cpu, target.opt_level);
  model->context = std::make_unique<llvm::LLVMContext>();
  model->pending = codegen::lower_each(module, *model->context, *model->tm); // describe's order: compiler::entry_points
  for (const FunctionDesc &f : model->desc.functions) model->symbols.push_back(codegen::entry_symbol(module, f.name));
  model->ready = std::make_unique<std::atomic<EntryPoint>[]>(model->desc.functions.size());

  const llvm::TargetMachine &tm = *model->tm;
  llvm::orc::JITTargetMachineBuilder jtmb(tm.getTargetTriple());
  jtmb.setCPU(tm.getTargetCPU().str());
  jtmb.addFeatures(std::vector<std::string>{tm.getTargetFeatureString().str()});
  jtmb.setCodeGenOptLevel(tm.getOptLevel());
  model->jit = unwrap(llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(jtmb)).create(), "creating LLJIT");
  llvm::orc::LLJIT &jit = *model->jit;
  enable_perf_map(jit);
  llvm::orc::JITDylib &lib = jit.getMainJITDylib();
  check(lib.define(llvm::orc::absoluteSymbols(runtime_symbols(jit))), "registering runtime symbols");
  // libm (exp, log, tanh, pow of f64 code) and memcpy/memset.
  lib.addGenerator(unwrap(llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(jit.getDataLayout().getGlobalPrefix()),
                          "searching this process"));
  model->compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (debug_level() >= 1)
    fmt::print(stderr, "nncc: JIT lowered model '{}' in {:.1f} ms; each entry point compiles at its first call\n", module.name,
               model->compile_ms.load());
  return model;
}

} // namespace nncc::jit
