// The pass registry: every pass by name (from passes.def), and a runner
// that applies a list of them with --print-after / --print-after-all.
#pragma once
#include "ir/module.h"

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nncc::compiler {

struct PassContext {
  ir::Module &module;
  std::vector<std::string> errors; // a pass that fails says why here
  std::map<std::string, int> rules; // named rewrite -> times it fired (printed after the pass)

  void fired(const std::string &rule, int times = 1) {
    if (times > 0) rules[rule] += times;
  }
};

using PassFn = void (*)(ir::Function &, PassContext &);

struct PassInfo {
  std::string_view name;
  std::string_view description;
  PassFn run;
};

#define PASS(id, name, description) void run_##id(ir::Function &, PassContext &);
#include "compiler/passes/passes.def"

std::span<const PassInfo> all_passes();
const PassInfo *find_pass(std::string_view name);

struct PipelineOptions {
  bool print_after_all = false;
  std::vector<std::string> print_after; // pass names
  bool bf16 = false; // --precision bf16: bf16-products runs after autodiff
  // --check-nan: no fuse (every op writes its value, so each is checked
  // where it is computed), and the module's check_nan is set.
  bool check_nan = false;
  // Data-parallel training: build apply_update too (build_apply_update).
  bool apply_update = false;
};

/// The passes of -O`level` after autodiff: none at 0; stabilize, simplify,
/// cse, simplify, dce, fuse, layouts, plan_memory from 1 on (build_entry_points runs stabilize before
/// autodiff too); without fuse when `fuse` is false.
std::vector<const PassInfo *> optimization_pipeline(int level, bool fuse = true);

/// Runs `passes` in order over every function of the module. The IR printed
/// after passes (as asked by `options`) is appended to `trace`. Stops at the
/// first pass that reports errors; returns false then.
bool run_pipeline(ir::Module &module, std::span<const PassInfo *const> passes,
                  const PipelineOptions &options, std::string &trace, std::vector<std::string> &errors);

} // namespace nncc::compiler
