// Collective communication between the processes of a data-parallel run,
// behind an interface: the runtime never includes mpi.h (nncc/nncc_mpi.h,
// compiled into whoever has MPI, provides the MPI functions), and everything
// else builds and runs without MPI.
#pragma once
#include "nncc/nncc.h"

#include <cstddef>
#include <memory>

namespace nncc {

class Communicator {
public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// The element-wise sum over all processes, in place. Every process ends
  /// with the very same bits (the sum is formed once and broadcast), so
  /// params updated from it stay identical everywhere. Throws Error.
  virtual void sum(float *data, size_t count) = 0;
  virtual void sum(double *data, size_t count) = 0;
  /// Process `root`'s `bytes` bytes at `data`, on every process. Throws Error.
  virtual void broadcast(void *data, size_t bytes, int root) = 0;
  /// Ends every process of the run with `status` (MPI_Abort): the way out
  /// of an error on one process while the others wait for it.
  [[noreturn]] virtual void abort(int status) = 0;
};

/// The Communicator of the C ABI's functions (nncc_communicator): their
/// failures become Error with their message.
std::shared_ptr<Communicator> communicator_of(const nncc_communicator &functions);

/// The processes `mpirun` started (MPI_COMM_WORLD); MPI is initialized on
/// the first call and finalized at exit; every collective waits at most
/// $NNCC_MPI_TIMEOUT seconds (default 300, 0: for ever). Defined in the
/// nncc_mpi library (built when Open MPI is installed).
std::shared_ptr<Communicator> mpi_world();

} // namespace nncc
