// Which values may an integer input hold? The ops that index with it
// (class labels, embedding ids, onehot) bound it; the runtime checks inputs
// against that bound before compiled code reads them.
#pragma once
#include "ir/module.h"

#include <cstdint>

namespace nncc::compiler {

/// The exclusive upper bound that the values of i32 argument `arg` of `fn`
/// must respect, from every op that indexes with them (directly or after
/// reshapes, slices and concatenations); 0 when none does.
int64_t index_limit(const ir::Function &fn, const ir::Value *arg);

} // namespace nncc::compiler
