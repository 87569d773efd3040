// Target machines, LLVM's optimization pipeline and textual output.
#include "compiler/codegen/codegen.h"
#include "compiler/codegen/lower.h"

#include <fmt/format.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Host.h>
#include <mutex>
#include <stdexcept>

namespace nncc::codegen {

std::unique_ptr<llvm::TargetMachine> make_target_machine(const std::string &cpu, int opt_level) {
  static std::once_flag initialized;
  std::call_once(initialized, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  std::string triple = llvm::sys::getProcessTriple(), error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) throw std::runtime_error(fmt::format("no LLVM target for {}: {}", triple, error));
  // The host's feature list, not its CPU name, decides what code may use
  // (these VMs report a CPU name that does not match their features).
  std::string name = cpu, features;
  if (cpu != "native") {
    std::unique_ptr<llvm::MCSubtargetInfo> info(target->createMCSubtargetInfo(triple, "", ""));
    if (!info || !info->isCPUStringValid(cpu)) throw std::runtime_error(fmt::format("unknown target CPU '{}' (try native, x86-64-v3 or x86-64-v4)", cpu));
  } else {
    name = llvm::sys::getHostCPUName().str();
    for (const auto &f : llvm::sys::getHostCPUFeatures()) features += (features.empty() ? "" : ",") + std::string(f.getValue() ? "+" : "-") + f.getKey().str();
  }
  auto level = opt_level <= 0 ? llvm::CodeGenOptLevel::None : opt_level >= 3 ? llvm::CodeGenOptLevel::Aggressive : llvm::CodeGenOptLevel::Default;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(triple, name, features, llvm::TargetOptions(),
                                                                      llvm::Reloc::PIC_, std::nullopt, level));
  if (!tm) throw std::runtime_error(fmt::format("LLVM cannot target CPU '{}'", cpu));
  return tm;
}

void optimize(llvm::Module &module, llvm::TargetMachine &tm, int opt_level) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = tuning.SLPVectorization = opt_level >= 2;
  // No unrolling beyond the vectorizer's interleaving: generated loops are
  // vector loops already, and unrolling them (and their remainders) made
  // fashion_mlp's code ~40 % slower to compile for no measurable speed
  // (docs/codegen.md, the compile cache section).
  tuning.LoopUnrolling = false;
  llvm::PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  static const llvm::OptimizationLevel levels[] = {llvm::OptimizationLevel::O0, llvm::OptimizationLevel::O1,
                                                   llvm::OptimizationLevel::O2, llvm::OptimizationLevel::O3};
  const llvm::OptimizationLevel &level = levels[std::clamp(opt_level, 0, 3)];
  llvm::ModulePassManager mpm = opt_level <= 0 ? pb.buildO0DefaultPipeline(level) : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
}

std::string emit_text(const ir::Module &module, const TargetOptions &target, TextStage stage) {
  auto tm = make_target_machine(target.cpu, target.opt_level);
  llvm::LLVMContext context;
  auto lowered = lower(module, context, *tm);
  optimize(*lowered, *tm, target.opt_level);
  std::string text;
  llvm::raw_string_ostream os(text);
  if (stage == TextStage::Llvm) {
    lowered->print(os, nullptr);
    return text;
  }
  return emit_machine_code(*lowered, *tm, MachineCode::Assembly);
}

std::string emit_machine_code(llvm::Module &module, llvm::TargetMachine &tm, MachineCode kind) {
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  auto type = kind == MachineCode::Assembly ? llvm::CodeGenFileType::AssemblyFile : llvm::CodeGenFileType::ObjectFile;
  if (tm.addPassesToEmitFile(pm, os, nullptr, type)) throw std::runtime_error("LLVM cannot emit machine code for this target");
  pm.run(module);
  return std::string(buffer.str());
}

} // namespace nncc::codegen
