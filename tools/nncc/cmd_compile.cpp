// nncc compile FILE.nn [-o libNAME.so] [--header NAME.h] [-O0..-O3]
//   [--emit=so|obj|llvm] [--target-cpu=native|x86-64-v3|...] [--data-parallel]
// Ahead-of-time compilation: a shared library with the model's entry points
// and the nncc runtime inside (it needs oneDNN, not LLVM), and a C header.
#include "compiler/aot/aot.h"
#include "compiler/pipeline.h"
#include "tools/nncc/common.h"

#include <fmt/format.h>

namespace nncc::tool {

namespace {

struct CompileOptions {
  std::string path, output, header, emit = "so", cpu = "native";
  CodeOptions code;
  int opt_level = 2;
  bool data_parallel = false;
};

int run_compile(const CompileOptions &opt) {
  CompiledFile file;
  compile_file(opt.path, file);
  if (!file.result.module) return kUserError;
  ir::Module &module = *file.result.module;
  compiler::PipelineOptions pipeline = opt.code.pipeline();
  pipeline.apply_update = opt.data_parallel;
  compiler::build_entry_points(module, opt.opt_level, pipeline);
  aot::Options o{{.cpu = opt.cpu, .opt_level = opt.opt_level},
                 opt.emit == "so" ? aot::Emit::SharedLibrary : opt.emit == "obj" ? aot::Emit::Object : aot::Emit::Llvm, opt.output};
  if (o.output.empty())
    o.output = o.emit == aot::Emit::SharedLibrary ? "lib" + module.name + ".so" : module.name + (o.emit == aot::Emit::Object ? ".o" : ".ll");
  aot::Timing t = aot::compile(module, o);
  fmt::print("compiled {} -> {} in {:.0f} ms (code {:.0f} ms, link {:.0f} ms)\n", module.name, o.output, t.codegen_ms + t.link_ms,
             t.codegen_ms, t.link_ms);
  if (!opt.header.empty()) {
    if (!write_output(opt.header, aot::c_header(module, codegen::describe(module)))) throw Error(fmt::format("cannot write '{}'", opt.header));
    fmt::print("header {}\n", opt.header);
  }
  return kSuccess;
}

} // namespace

void add_compile_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("compile", "Compile a model ahead of time into a shared library and a C header");
  auto opt = std::make_shared<CompileOptions>();
  cmd->add_option("file", opt->path, "the .nn model file")->required();
  cmd->add_option("-o", opt->output, "output file (default: libNAME.so, NAME.o or NAME.ll)");
  cmd->add_option("--header", opt->header, "also write the C header of the library");
  cmd->add_option("-O", opt->opt_level, "LLVM optimization level 0..3")->capture_default_str()->check(CLI::Range(0, 3));
  cmd->add_option("--emit", opt->emit, "so: shared library; obj: object file; llvm: LLVM IR text")
      ->capture_default_str()->check(CLI::IsMember({"so", "obj", "llvm"}));
  add_code_options(*cmd, opt->code);
  cmd->add_flag("--data-parallel", opt->data_parallel,
                "also build apply_update, so that a host can train data-parallel (nncc_set_communicator, nncc/nncc_mpi.h)");
  cmd->add_option("--target-cpu", opt->cpu, "native (this host: same code as the JIT) or an LLVM CPU name such as x86-64-v3")
      ->capture_default_str();
  cmd->callback([opt, &status] { status = run_compile(*opt); });
}

} // namespace nncc::tool
