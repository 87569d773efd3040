// nncc opt FILE.nnir --pass=P[,P...] — run passes on text IR, print the result.
#include "compiler/kernel_plan.h"
#include "compiler/passes/pass_registry.h"
#include "ir/ir_parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "tools/nncc/common.h"

#include <fmt/format.h>

namespace nncc::tool {

namespace {

struct OptOptions {
  std::string path, output;
  std::vector<std::string> passes, print_after;
  bool print_after_all = false, memory = false;
};

/// The passes --pass names, or nullopt (after a message) for an unknown one.
std::optional<std::vector<const compiler::PassInfo *>> named_passes(const std::vector<std::string> &names) {
  std::vector<const compiler::PassInfo *> passes;
  for (const std::string &name : names) {
    const compiler::PassInfo *p = compiler::find_pass(name);
    if (!p) {
      fmt::print(stderr, "error: unknown pass '{}' (see nncc opt --help)\n", name);
      return std::nullopt;
    }
    passes.push_back(p);
  }
  return passes;
}

int run_opt(const OptOptions &opt) {
  auto passes = named_passes(opt.passes);
  if (!passes) return kUserError;
  SourceManager sources;
  DiagnosticEngine diags(sources);
  auto file = frontend::load_file(opt.path, sources, diags);
  std::unique_ptr<ir::Module> module = file ? ir::parse_module(*file, sources, diags) : nullptr;
  if (!module) {
    print_diagnostics(diags);
    return kUserError;
  }
  std::vector<std::string> errors = ir::verify(*module);
  std::string trace;
  if (errors.empty()) compiler::run_pipeline(*module, *passes, {opt.print_after_all, opt.print_after}, trace, errors);
  for (const std::string &e : errors) fmt::print(stderr, "{}: error: {}\n", opt.path, e);
  if (!errors.empty()) return kUserError;
  std::fwrite(trace.data(), 1, trace.size(), stderr);
  std::string text = ir::print_module(*module);
  if (opt.memory)
    for (const auto &fn : module->functions()) text += compiler::format_kernel_plan(*fn);
  return write_output(opt.output, text) ? kSuccess : kUserError;
}

} // namespace

void add_opt_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("opt", "Run passes on a text IR file (.nnir) and print the result");
  auto opt = std::make_shared<OptOptions>();
  std::string pass_names;
  for (const compiler::PassInfo &p : compiler::all_passes())
    pass_names += fmt::format("\n  {:<12} {}", p.name, p.description);
  cmd->add_option("file", opt->path, "the .nnir file ('-' is not supported)")->required();
  cmd->add_option("--pass", opt->passes, "passes to run, in order:" + pass_names)->delimiter(',');
  cmd->add_option("--print-after", opt->print_after, "print the IR after these passes")->delimiter(',');
  cmd->add_flag("--print-after-all", opt->print_after_all, "print the IR after every pass");
  cmd->add_flag("--memory", opt->memory, "after the IR, each function's kernel plan and memory plan (docs/kernel_plan.md)");
  cmd->add_option("-o,--output", opt->output, "write the result to this file instead of stdout");
  cmd->callback([opt, &status] { status = run_opt(*opt); });
}

} // namespace nncc::tool
