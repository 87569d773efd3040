// The reference interpreter: executes any IR function with plain loops, in
// f32 and f64. It is the oracle generated code is tested against and the
// engine of `nncc trace` and `nncc gradcheck`, so it stays small and
// obviously right rather than fast.
#pragma once
#include "compiler/check_nan.h"
#include "compiler/interp/tensor.h"
#include "ir/module.h"

#include <map>
#include <string>
#include <unordered_map>

namespace nncc::interp {

struct RunOptions {
  bool training = true; // dropout active
  uint64_t seed = 0;    // dropout masks: (seed, step, op key)
  uint64_t step = 0;
  // --check-nan: these sites' values are checked as they are bound or
  // computed; the first that is not finite throws InterpError with its report.
  const compiler::CheckSites *check_nan = nullptr;
};

struct Execution {
  std::map<std::string, int64_t> dims;                   // symbolic dims as bound
  std::unordered_map<const ir::Value *, Tensor> values;  // every argument and op value
  std::map<std::string, Tensor> results;                 // by result name
};

/// Runs `fn` on arguments given by name (inputs and params). Throws
/// InterpError naming the argument on a missing one, a wrong dtype or
/// shape, or a symbolic dimension bound to two sizes.
Execution run(const ir::Function &fn, const std::map<std::string, Tensor> &args, const RunOptions &options = {});

/// The value of one op given its operands (already computed).
Tensor evaluate(const ir::Value &v, const std::vector<const Tensor *> &operands,
                const std::map<std::string, int64_t> &dims, const RunOptions &options);

} // namespace nncc::interp
