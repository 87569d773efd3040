// Where the values of an entry point live, as code generation lowers them:
// arguments and results in the caller's buffers; reshapes (and dropout in
// inference) in their operand's memory; a transpose read only by matmuls
// nowhere (the matmul reads its operand with swapped strides); the values
// inside a fused region in registers; everything else in scratch memory.
// plan_memory assigns scratch to arena slots, codegen follows the plan.
#pragma once
#include "ir/module.h"

#include <string>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace nncc::compiler {

/// Transposes code generation folds into the matmuls that read them.
std::unordered_set<const ir::Value *> folded_transposes(const ir::Function &fn);

/// Values whose memory is their operand's (reshape; dropout in inference).
bool aliases_operand(const ir::Function &fn, const ir::Value &v);

/// Scalar constants that only elementwise ops read: compiled into their
/// loops as immediates, never stored.
std::unordered_set<const ir::Value *> immediate_constants(const ir::Function &fn);

/// The op values that need scratch memory, in definition order.
std::vector<const ir::Value *> scratch_values(const ir::Function &fn);

/// When a scratch value is needed, in body positions of the kernels that
/// write and read it: written at `first`, last read at `last` (reads
/// through aliases and folded transposes count; kEnd: read after the body).
struct Lifetime {
  static constexpr size_t kEnd = SIZE_MAX;
  size_t first = 0, last = 0;
};
std::unordered_map<const ir::Value *, Lifetime> scratch_lifetimes(const ir::Function &fn);

/// The `nncc dump --memory` table of a function: its ops, kernels and
/// primitive calls; each slot, the values it holds and when, and the peak
/// against one buffer per value.
std::string memory_report(const ir::Function &fn);

} // namespace nncc::compiler
