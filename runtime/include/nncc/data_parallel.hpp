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

/// Thrown on every process but the failing one when a process's part of a
/// step failed: no process took the step, and the failing one says why.
struct PeerFailure : Error {
  using Error::Error;
};

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
/// A process whose grad fails (its inputs, --check-nan) throws its own
/// error, and every other process throws too: no process takes the step.
double data_parallel_step(Session &session, Communicator &comm, const TensorMap &shard, Shard rows, int64_t global_rows);

/// The same where each process knows only its own rows (any count, even 0):
/// the global batch is every process's rows in rank order (one more small
/// collective). What Session::train_step runs in a data-parallel session.
double data_parallel_step(Session &session, Communicator &comm, const TensorMap &shard);

/// Makes every process hold rank 0's params, optimizer state, running
/// statistics and lr: the start of a run, so that sessions opened from
/// other seeds or files agree from the first step (as DDP's constructor).
void broadcast_state(Session &session, Communicator &comm);

/// Throws Error unless every process's params, optimizer state, running
/// statistics and step count are bit for bit rank 0's (a CRC-32 of them,
/// compared on every process); the message names the processes that differ.
/// Returns that CRC-32.
uint32_t check_in_sync(const Session &session, Communicator &comm);

} // namespace nncc
