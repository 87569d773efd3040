#include "compiler/aot/aot.h"

#include "compiler/aot/link.h"
#include "compiler/codegen/lower.h"
#include "nncc/aot_abi.h"
#include "nncc/desc_json.hpp"
#include "nncc/tensor.hpp"

#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/Support/raw_ostream.h>

namespace nncc::aot {

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

/// Adds the library's nncc_model constant (aot_abi.h) and the functions
/// that return it: NAME_model() and nncc_library_model(). The entry points
/// become hidden: hosts reach them only through the model.
void add_model_struct(llvm::Module &m, const ir::Module &module, const ModelDesc &desc) {
  llvm::LLVMContext &c = m.getContext();
  auto *ptr = llvm::PointerType::get(c, 0);
  auto *i32 = llvm::Type::getInt32Ty(c);
  auto string_constant = [&](const std::string &text, const char *name) {
    auto *init = llvm::ConstantDataArray::getString(c, text);
    auto *g = new llvm::GlobalVariable(m, init->getType(), true, llvm::GlobalValue::PrivateLinkage, init, name);
    g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    return g;
  };
  std::vector<llvm::Constant *> entries;
  for (const FunctionDesc &f : desc.functions) {
    llvm::Function *fn = m.getFunction(codegen::entry_symbol(module, f.name));
    if (!fn) throw Error(fmt::format("AOT: no code for entry point '{}'", f.name));
    fn->setVisibility(llvm::GlobalValue::HiddenVisibility);
    entries.push_back(fn);
  }
  auto *table_type = llvm::ArrayType::get(ptr, entries.size());
  auto *table = new llvm::GlobalVariable(m, table_type, true, llvm::GlobalValue::PrivateLinkage,
                                         llvm::ConstantArray::get(table_type, entries), "nncc.entries");
  auto *struct_type = llvm::StructType::get(c, {i32, i32, ptr, ptr, ptr});
  auto *model = new llvm::GlobalVariable(
      m, struct_type, true, llvm::GlobalValue::PrivateLinkage,
      llvm::ConstantStruct::get(struct_type, {llvm::ConstantInt::get(i32, NNCC_AOT_ABI_VERSION), llvm::ConstantInt::get(i32, entries.size()),
                                              string_constant(desc.name, "nncc.name"), string_constant(desc_to_json(desc), "nncc.desc"), table}),
      "nncc.model");
  for (const std::string &name : {module.name + "_model", std::string("nncc_library_model")}) {
    auto *fn = llvm::Function::Create(llvm::FunctionType::get(ptr, false), llvm::GlobalValue::ExternalLinkage, name, m);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(c, "entry", fn));
    b.CreateRet(model);
  }
}

void write_file(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out.flush()) throw Error(fmt::format("cannot write '{}'", path));
}

} // namespace

Timing compile(const ir::Module &module, const Options &options) {
  Timing timing;
  auto start = Clock::now();
  ModelDesc desc = codegen::describe(module);
  std::unique_ptr<llvm::TargetMachine> tm;
  try {
    tm = codegen::make_target_machine(options.target.cpu, options.target.opt_level);
  } catch (const std::runtime_error &e) {
    throw Error(e.what());
  }
  llvm::LLVMContext context;
  auto lowered = codegen::lower(module, context, *tm);
  codegen::optimize(*lowered, *tm, options.target.opt_level);
  add_model_struct(*lowered, module, desc);
  if (options.emit == Emit::Llvm) {
    std::string text;
    llvm::raw_string_ostream os(text);
    lowered->print(os, nullptr);
    write_file(options.output, text);
    timing.codegen_ms = ms_since(start);
    return timing;
  }
  std::string object = codegen::emit_machine_code(*lowered, *tm, codegen::MachineCode::Object);
  timing.codegen_ms = ms_since(start);
  if (options.emit == Emit::Object) {
    write_file(options.output, object);
    return timing;
  }
  auto link_start = Clock::now();
  std::filesystem::path object_path = options.output + ".o.tmp";
  write_file(object_path, object);
  try {
    link_shared_library(object_path.string(), options.output, module.name);
  } catch (...) {
    std::filesystem::remove(object_path);
    throw;
  }
  std::filesystem::remove(object_path);
  timing.link_ms = ms_since(link_start);
  return timing;
}

} // namespace nncc::aot
