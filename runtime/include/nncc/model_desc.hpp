// What a compiled model is, as plain data: its params and optimizer state,
// and for each entry point (forward, evaluate, grad, train_step) the buffers it reads
// and writes and a pointer to its machine code. The compiler fills this in
// (JIT), or an AOT library carries it; the Session works from it alone, so
// the runtime never sees the IR or LLVM.
#pragma once
#include "nncc/tensor.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nncc {

/// One dimension of a declared shape: a static size, or symbolic dim
/// `symbol` (an index into ModelDesc::symbols) bound by the inputs.
struct DimDesc {
  int64_t size = 0;
  int symbol = -1;
  bool is_symbolic() const { return symbol >= 0; }
};

struct TensorDesc {
  std::string name;
  DType dtype = DType::F32;
  std::vector<DimDesc> shape;
};

enum class ArgKind : uint8_t { Input, Param, State };

struct ArgDesc : TensorDesc {
  ArgKind kind = ArgKind::Input;
  // i32 inputs used as labels, ids or classes: every value must be in
  // [0, index_limit) (0: no limit). Checked before the call, so compiled
  // code never indexes out of bounds.
  int64_t index_limit = 0;
};

/// The code of an entry point: `buffers` holds one pointer per argument,
/// then one per result, in FunctionDesc order; `dims` the bound symbolic dims;
/// `ctx` the runtime's call context (see kernel_abi.h).
using EntryPoint = void (*)(void *ctx, void *const *buffers, const int64_t *dims);

struct FunctionDesc {
  std::string name; // "forward", "evaluate", "grad", "train_step"
  std::vector<ArgDesc> args;
  std::vector<TensorDesc> results;
  EntryPoint code = nullptr;
};

struct ParamDesc {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::string init;              // initializer kind, as in the .nn language
  std::vector<double> init_args; // in the order of its spec
};

/// Optimizer state and run-time hyperparameters (lr, step, opt.W.m, ...):
/// owned by the session like params, not trained.
struct StateDesc {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  double initial = 0; // every element starts here (lr: the file's value)
};

struct ModelDesc {
  std::string name;
  std::string signature; // a hash of names, dtypes and shapes: checkpoints must match it
  std::vector<std::string> symbols;
  std::vector<ParamDesc> params;
  std::vector<StateDesc> states;
  std::vector<FunctionDesc> functions; // forward, evaluate, grad, train_step: those the model has
  int primitive_sites = 0; // primitive calls in all functions (each caches its primitive)
  bool check_nan = false;  // compiled with --check-nan: every call checks its values

  const FunctionDesc *function(std::string_view fn_name) const {
    for (const FunctionDesc &f : functions)
      if (f.name == fn_name) return &f;
    return nullptr;
  }
};

/// A declared type as the .nn file writes it, symbols by name: "i32[N, 64]".
std::string declared_str(const ModelDesc &m, const TensorDesc &t);

} // namespace nncc
