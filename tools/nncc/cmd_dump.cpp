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

void add_dump_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("dump", "Print a stage of the compiler: the AST, the IR, LLVM IR or assembly");
  struct Options {
    std::string path, stage = "ir", format = "text", output, cpu = "native";
    int opt_level = 2;
    bool print_after_all = false, memory = false;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("file", opt->path, "the .nn model file")->required();
  cmd->add_option("--stage", opt->stage,
                  "ast: the syntax tree; ir: the forward graph as lowered; grad: forward + backward graph (and "
                  "train_step: + the optimizer update, when the model has an optimizer); opt: the entry points "
                  "(forward, evaluate, grad, train_step) after the graph passes, fused regions shown; llvm: their "
                  "LLVM IR after LLVM's optimizer; asm: their machine code")
      ->check(CLI::IsMember({"ast", "ir", "grad", "opt", "llvm", "asm"}))
      ->capture_default_str();
  cmd->add_flag("--memory", opt->memory, "with --stage=opt: after the IR, each entry point's memory plan and its peak bytes");
  cmd->add_flag("--print-after-all", opt->print_after_all, "with opt, llvm, asm: print the IR after every graph pass (to stderr)");
  cmd->add_option("-O", opt->opt_level, "optimization level for opt, llvm and asm: 0 runs no graph pass and LLVM at -O0 (0..3)")->check(CLI::Range(0, 3))->capture_default_str();
  cmd->add_option("--target-cpu", opt->cpu, "CPU for llvm and asm: native (this host) or an LLVM CPU name such as x86-64-v3")
      ->capture_default_str();
  cmd->add_option("--format", opt->format, "text or dot (Graphviz)")
      ->check(CLI::IsMember({"text", "dot"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", opt->output, "write to this file instead of stdout");
  cmd->callback([opt, &status] {
    CompiledFile f;
    compile_file(opt->path, f);
    bool dot = opt->format == "dot";
    std::string text;
    if (opt->stage == "ast") {
      // The AST is shown even when checks fail, as far as it could be parsed.
      if (!f.result.ast) {
        status = kUserError;
        return;
      }
      text = dot ? frontend::print_ast_dot(*f.result.ast) : frontend::print_ast(*f.result.ast);
    } else {
      if (!f.result.module) {
        status = kUserError;
        return;
      }
      if (opt->stage == "grad") {
        if (!require_loss(opt->path, *f.result.module, "differentiate")) {
          status = kUserError;
          return;
        }
        compiler::build_grad(*f.result.module);
        if (f.result.module->optimizer) compiler::build_train_step(*f.result.module);
      }
      if (opt->memory && (opt->stage != "opt" || dot)) {
        fmt::print(stderr, "nncc: error: --memory is for --stage=opt in text\n");
        status = kUserError;
        return;
      }
      if (opt->stage == "opt" || opt->stage == "llvm" || opt->stage == "asm") {
        std::string trace;
        compiler::build_entry_points(*f.result.module, opt->opt_level, {.print_after_all = opt->print_after_all, .print_after = {}}, &trace);
        std::fwrite(trace.data(), 1, trace.size(), stderr);
      }
      if (opt->stage == "llvm" || opt->stage == "asm") {
        if (dot) {
          fmt::print(stderr, "nncc: error: --format=dot is for the graph stages (ast, ir, grad, opt)\n");
          status = kUserError;
          return;
        }
        try {
          text = codegen::emit_text(*f.result.module, {.cpu = opt->cpu, .opt_level = opt->opt_level},
                                    opt->stage == "llvm" ? codegen::TextStage::Llvm : codegen::TextStage::Asm);
        } catch (const std::runtime_error &e) { // an unknown --target-cpu
          fmt::print(stderr, "nncc: error: {}\n", e.what());
          status = kUserError;
          return;
        }
      } else {
        text = dot ? ir::print_dot(*f.result.module) : ir::print_module(*f.result.module);
        if (opt->memory)
          for (const ir::Function *fn : compiler::entry_points(*f.result.module)) text += compiler::format_kernel_plan(*fn);
      }
    }
    if (!write_output(opt->output, text)) status = kUserError;
    else status = f.diags.has_errors() ? kUserError : kSuccess;
  });
}

} // namespace nncc::tool
