// Differential checking of JIT-compiled models against the reference
// interpreter: same inputs, same initial params, same seed; forward,
// evaluate, grad and three train steps compared tensor by tensor.
#pragma once
#include "compiler/interp/tensor.h"
#include "nncc/nncc.hpp"

#include <string>

namespace nncc::test {

/// max |a - b| / max |b| over a tensor (b the reference): the error relative
/// to the tensor's scale, so near-zero elements are judged by their
/// neighbours' magnitude, as numpy.allclose does with an atol.
double relative_error(const Tensor &jit, const interp::Tensor &reference);

struct DifferentialOptions {
  int64_t symbolic_dim = 3; // every symbolic dim is bound to this
  int train_steps = 3;
  double tolerance = 1e-5;
  int opt_level = 2;
  bool check_updated_state = true; // params and optimizer state after each step (losses always)
  bool bf16 = false; // --precision bf16 on both sides
};

/// Compiles `source` with the JIT and runs it next to the interpreter;
/// reports mismatches through Catch2 CHECKs that name the entry point, the
/// tensor and the step.
void check_against_interpreter(const std::string &name, const std::string &source, const DifferentialOptions &options = {});

} // namespace nncc::test
