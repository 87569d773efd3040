// Creates op values with their types inferred by the op table's type rules.
#pragma once
#include "ir/module.h"

namespace nncc::ir {

struct BuildResult {
  Value *value = nullptr;
  TypeError error; // when value is null
};

class Builder {
public:
  explicit Builder(Function &fn) : fn_(fn) {}

  /// Infers the result type and appends the op, or reports why it cannot.
  BuildResult try_create(OpKind op, std::vector<Value *> operands, Attrs attrs, Location loc = {},
                         std::string name = {});
  /// As try_create, for callers whose operands are known to be well typed:
  /// a type error here is a compiler bug and throws std::logic_error.
  Value *create(OpKind op, std::vector<Value *> operands, Attrs attrs = {}, Location loc = {},
                std::string name = {});
  Value *constant(double value, DType dtype, Location loc = {});

  Function &function() { return fn_; }

private:
  Function &fn_;
};

} // namespace nncc::ir
