#include "compiler/passes/pass_registry.h"

#include "ir/printer.h"

#include <algorithm>
#include <fmt/format.h>

namespace nncc::compiler {

namespace {
const PassInfo kPasses[] = {
#define PASS(id, name, description) {name, description, &run_##id},
#include "compiler/passes/passes.def"
};
} // namespace

std::span<const PassInfo> all_passes() { return kPasses; }

const PassInfo *find_pass(std::string_view name) {
  for (const PassInfo &p : kPasses)
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<const PassInfo *> optimization_pipeline(int level, bool fuse) {
  if (level <= 0) return {};
  std::vector<const PassInfo *> passes{find_pass("stabilize"), find_pass("simplify"), find_pass("cse"), find_pass("simplify"),
                                       find_pass("dce")};
  if (fuse) passes.push_back(find_pass("fuse"));
  passes.insert(passes.end(), {find_pass("layouts"), find_pass("plan_memory")});
  return passes;
}

bool run_pipeline(ir::Module &module, std::span<const PassInfo *const> passes,
                  const PipelineOptions &options, std::string &trace, std::vector<std::string> &errors) {
  for (const PassInfo *pass : passes) {
    PassContext ctx{module, {}, {}};
    for (const auto &fn : module.functions()) pass->run(*fn, ctx);
    if (!ctx.errors.empty()) {
      for (std::string &e : ctx.errors) errors.push_back(fmt::format("after pass '{}': {}", pass->name, e));
      return false;
    }
    bool print = options.print_after_all ||
                 std::find(options.print_after.begin(), options.print_after.end(), pass->name) !=
                     options.print_after.end();
    if (!print) continue;
    std::vector<std::string> fired;
    for (const auto &[rule, times] : ctx.rules) fired.push_back(fmt::format("{} x{}", rule, times));
    trace += fmt::format("# *** IR after pass '{}' ***{}\n{}", pass->name, fired.empty() ? "" : fmt::format(" rules: {}", fmt::join(fired, ", ")),
                         ir::print_module(module));
  }
  return true;
}

} // namespace nncc::compiler
