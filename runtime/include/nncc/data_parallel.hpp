// Data-parallel training over a Communicator (PyTorch's DDP, Horovod): every
// process holds the same params, computes `grad` on its shard of each
// global batch, the gradients are combined into the global batch's mean
// gradient in one fused buffer, and every process applies the same update
// (Session::apply_update; a model compiled with CompilerOptions::apply_update).
#pragma once
#include "nncc/communicator.hpp"
#include "nncc/nncc.hpp"

#include <cstdint>

namespace nncc {

/// The contiguous rows [begin, end) of a global batch of `rows` that process
/// `rank` of `size` takes: as even as possible, the first `rows % size`
/// processes one row more.
struct Shard {
  int64_t begin = 0, end = 0;
};
Shard shard_of(int64_t rows, int rank, int size);

/// One step on every process: grad on `shard` (this process's rows `rows`
/// of the global batch of `global_rows`: their count weighs its gradient,
/// their first index keys dropout), the weighted gradients summed across
/// processes, then apply_update. Returns the global batch's mean loss. A
/// process whose shard is empty contributes nothing and still updates.
double data_parallel_step(Session &session, Communicator &comm, const TensorMap &shard, Shard rows, int64_t global_rows);

} // namespace nncc
