// nncc dump FILE.nn --stage=S [--format=text|dot] — print a compiler stage.
#include "compiler/kernel_plan.h"
#include "compiler/codegen/codegen.h"
#include "compiler/passes/autodiff.h"
#include "compiler/pipeline.h"
#include "compiler/passes/optimizer.h"
#include "frontend/ast_printer.h"
#include "ir/dot_printer.h"
#include "ir/printer.h"
#include "tools/nncc/common.h"

#include <fmt/format.h>

namespace nncc::tool {

namespace {

struct DumpOptions {
  std::string path, stage = "ir", format = "text", output, cpu = "native";
  CodeOptions code;
  int opt_level = 2;
  std::vector<std::string> print_after; // pass names
  bool print_after_all = false, memory = false;
};

std::vector<std::string> pass_names() {
  std::vector<std::string> names;
  for (const compiler::PassInfo &p : compiler::all_passes()) names.emplace_back(p.name);
  return names;
}

/// An error of the command line: printed, and the command fails.
std::nullopt_t fail(std::string_view message) {
  fmt::print(stderr, "nncc: error: {}\n", message);
  return std::nullopt;
}

/// The graph stages: the IR as lowered (ir), with the backward graph and
/// the update (grad), the entry points after the passes (opt).
std::optional<std::string> graph_text(const DumpOptions &opt, ir::Module &m, bool dot) {
  if (opt.stage == "grad") {
    if (!require_loss(opt.path, m, "differentiate")) return std::nullopt;
    compiler::build_grad(m);
    if (m.optimizer) compiler::build_train_step(m);
  }
  std::string text = dot ? ir::print_dot(m) : ir::print_module(m);
  if (opt.memory)
    for (const ir::Function *fn : compiler::entry_points(m)) text += compiler::format_kernel_plan(*fn);
  return text;
}

/// LLVM IR or assembly of the entry points.
std::optional<std::string> machine_text(const DumpOptions &opt, ir::Module &m, bool dot) {
  if (dot) return fail("--format=dot is for the graph stages (ast, ir, grad, opt)");
  try {
    return codegen::emit_text(m, {.cpu = opt.cpu, .opt_level = opt.opt_level},
                              opt.stage == "llvm" ? codegen::TextStage::Llvm : codegen::TextStage::Asm);
  } catch (const std::runtime_error &e) { // an unknown --target-cpu
    return fail(e.what());
  }
}

std::optional<std::string> stage_text(const DumpOptions &opt, CompiledFile &f) {
  bool dot = opt.format == "dot";
  // The AST is shown even when checks fail, as far as it could be parsed.
  if (opt.stage == "ast") return f.result.ast ? std::optional(dot ? frontend::print_ast_dot(*f.result.ast) : frontend::print_ast(*f.result.ast)) : std::nullopt;
  if (!f.result.module) return std::nullopt;
  if (opt.memory && (opt.stage != "opt" || dot)) return fail("--memory is for --stage=opt in text");
  bool machine = opt.stage == "llvm" || opt.stage == "asm";
  if (opt.stage == "opt" || machine) {
    std::string trace;
    compiler::PipelineOptions pipeline = opt.code.pipeline();
    pipeline.print_after_all = opt.print_after_all;
    pipeline.print_after = opt.print_after;
    compiler::build_entry_points(*f.result.module, opt.opt_level, pipeline, &trace);
    std::fwrite(trace.data(), 1, trace.size(), stderr);
  }
  return machine ? machine_text(opt, *f.result.module, dot) : graph_text(opt, *f.result.module, dot);
}

int run_dump(const DumpOptions &opt) {
  CompiledFile f;
  compile_file(opt.path, f);
  std::optional<std::string> text = stage_text(opt, f);
  if (!text || !write_output(opt.output, *text)) return kUserError;
  return f.diags.has_errors() ? kUserError : kSuccess;
}

} // namespace

void add_dump_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("dump", "Print a stage of the compiler: the AST, the IR, LLVM IR or assembly");
  auto opt = std::make_shared<DumpOptions>();
  cmd->add_option("file", opt->path, "the .nn model file")->required();
  cmd->add_option("--stage", opt->stage,
                  "ast: the syntax tree; ir: the forward graph as lowered; grad: forward + backward graph (and "
                  "train_step: + the optimizer update, when the model has an optimizer); opt: the entry points "
                  "(forward, evaluate, grad, train_step) after the graph passes, fused regions shown; llvm: their "
                  "LLVM IR after LLVM's optimizer; asm: their machine code")
      ->check(CLI::IsMember({"ast", "ir", "grad", "opt", "llvm", "asm"}))
      ->capture_default_str();
  cmd->add_flag("--memory", opt->memory, "with --stage=opt: after the IR, each entry point's kernel plan, memory plan and peak bytes (docs/kernel_plan.md)");
  cmd->add_flag("--print-after-all", opt->print_after_all, "with opt, llvm, asm: print the IR after every graph pass (to stderr)");
  cmd->add_option("--print-after", opt->print_after, "with opt, llvm, asm: print the IR after these graph passes (to stderr)")
      ->delimiter(',')
      ->check(CLI::IsMember(pass_names()));
  cmd->add_option("-O", opt->opt_level, "optimization level for opt, llvm and asm: 0 runs no graph pass and LLVM at -O0 (0..3)")->check(CLI::Range(0, 3))->capture_default_str();
  add_code_options(*cmd, opt->code);
  cmd->add_option("--target-cpu", opt->cpu, "CPU for llvm and asm: native (this host) or an LLVM CPU name such as x86-64-v3")
      ->capture_default_str();
  cmd->add_option("--format", opt->format, "text or dot (Graphviz)")
      ->check(CLI::IsMember({"text", "dot"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", opt->output, "write to this file instead of stdout");
  cmd->callback([opt, &status] { status = run_dump(*opt); });
}

} // namespace nncc::tool
