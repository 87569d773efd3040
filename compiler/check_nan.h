// --check-nan: which values of an entry point are checked, and what a
// report says about each — the value and its op, the phase of the step it
// belongs to, and its place in the .nn file with the source line. Compiled
// code (codegen) and the reference interpreter use the same sites.
#pragma once
#include "ir/module.h"

#include <string>
#include <string_view>
#include <unordered_map>

namespace nncc::compiler {

/// The part of a training step a value belongs to.
enum class Phase { Forward, Backward, Update };
std::string_view phase_name(Phase phase);

/// What a report says about a checked value.
struct CheckSite {
  std::string what;  // "backward value %14 = mul(%d_h, %13) : f32[N, 8]", "input %x : f32[N, 2]"
  std::string where; // "xor.nn:13:10: note: dL/d(...) = ...\n<source line>\n<caret>"
};

class CheckSites {
public:
  /// Sites for fn's float arguments (checked on entry) and the float op
  /// values it computes (constants excepted).
  CheckSites(const ir::Module &module, const ir::Function &fn);
  /// The site of v, or null when v is not checked.
  const CheckSite *find(const ir::Value *v) const;

private:
  std::unordered_map<const ir::Value *, CheckSite> sites_;
};

/// The phase of each op value of fn: update — computed by the optimizer's
/// statement; forward — what the loss depends on, and whatever neither the
/// update nor a gradient result needs (running statistics); backward — the
/// rest (the gradients and what only they need).
std::unordered_map<const ir::Value *, Phase> phases(const ir::Module &module, const ir::Function &fn);

} // namespace nncc::compiler
