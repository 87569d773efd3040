// The kernel plan: the second level of nncc's IR. After `fuse` (and
// `plan_memory`), an entry point is an ordered list of kernels — a
// generated loop nest over one op or a fused region, a call of a runtime
// primitive, or an alias that runs nothing — each with the buffers it reads
// and writes, and for every value the place its elements live:
//   - arguments and results in the caller's buffers;
//   - reshapes (and dropout in inference) in their operand's memory;
//   - a transpose read only by matmuls nowhere: they read its operand
//     through swapped strides;
//   - scalar constants read only by loops in the loops' code (immediates);
//   - a fused region's inner values in registers (unless later kernels
//     read them: a row-epilogue's row op);
//   - everything else in scratch memory: an arena slot of plan_memory.
// plan_memory assigns the slots from this plan's lifetimes, codegen lowers
// the plan kernel by kernel, and `nncc dump --stage=opt --memory` prints it.
// Nothing else derives any of this.
#pragma once
#include "ir/module.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace nncc::compiler {

/// Where a value's elements live while its entry point runs.
struct Storage {
  enum class Kind {
    Argument,   // the caller's argument buffer `index`
    Result,     // the caller's result buffer `index`
    Scratch,    // arena slot `index` (-1: an allocation of its own, before plan_memory)
    Alias,      // the memory of `of`
    Transposed, // `of`'s memory, read with swapped strides
    Immediate,  // a constant compiled into the loops that read it
    Register,   // inside a fused region, never stored
  };
  Kind kind = Kind::Register;
  int index = -1;
  const ir::Value *of = nullptr;
};

struct Kernel {
  /// The family of the root (ir/ops.def): a generated loop nest of some
  /// shape, a primitive call, or an alias.
  ir::Lowering kind;
  std::vector<const ir::Value *> values; // the ops it computes, in body order; the root last
  /// What it reads from memory, in kernel-argument order: for a loop
  /// region, the operands its values take from outside it (each once,
  /// immediates left out); otherwise the root's operands as written.
  std::vector<const ir::Value *> reads;
  /// What it stores: the root first, then the region's inner values that
  /// are results of the function or that later kernels read.
  std::vector<const ir::Value *> writes;

  const ir::Value &root() const { return *values.back(); }
};

/// When a scratch value is needed, in kernel numbers: written by kernel
/// `first`, last read by kernel `last` (reads through aliases and
/// transposed views count; kEnd: read after the last kernel).
struct Lifetime {
  static constexpr size_t kEnd = SIZE_MAX;
  size_t first = 0, last = 0;
};

struct KernelPlan {
  std::vector<Kernel> kernels;
  std::unordered_map<const ir::Value *, Storage> storage; // every argument and op value
  /// Results whose value is not computed into their buffer (an argument,
  /// an alias, a value returned twice): copied after the last kernel.
  std::vector<std::pair<size_t, const ir::Value *>> result_copies;
  std::vector<const ir::Value *> scratch;                 // in kernel order
  std::unordered_map<const ir::Value *, Lifetime> lifetimes; // of the scratch values

  const Storage &where(const ir::Value *v) const { return storage.at(v); }
  /// The value whose buffer holds v's elements: v itself, or what it aliases or transposes.
  const ir::Value *memory_of(const ir::Value *v) const;
};

/// The plan of a function whose fused regions (if any) are set; scratch
/// values take their `slot` (-1 before plan_memory).
KernelPlan plan_kernels(const ir::Function &fn);

/// `nncc dump --memory`: the kernels in order with what each reads and
/// writes and where, each slot with the values it holds and when, and the
/// arena's peak against one buffer per value.
std::string format_kernel_plan(const ir::Function &fn);

} // namespace nncc::compiler
