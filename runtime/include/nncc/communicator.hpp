// Collective communication between the processes of a data-parallel run,
// behind an interface: only runtime/mpi/ includes mpi.h, and everything
// else builds and runs without MPI.
#pragma once
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
  /// params updated from it stay identical everywhere.
  virtual void sum(float *data, size_t count) = 0;
  virtual void sum(double *data, size_t count) = 0;
  /// Process `root`'s `bytes` bytes at `data`, on every process.
  virtual void broadcast(void *data, size_t bytes, int root) = 0;
};

/// The processes `mpirun` started (MPI_COMM_WORLD); MPI is initialized on
/// the first call and finalized at exit. Defined in the nncc_mpi library
/// (built when Open MPI is installed).
std::shared_ptr<Communicator> mpi_world();

} // namespace nncc
