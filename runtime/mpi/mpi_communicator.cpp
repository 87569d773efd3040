// The Communicator over MPI_COMM_WORLD (Open MPI). The only file that
// includes mpi.h.
#include "nncc/communicator.hpp"
#include "nncc/tensor.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <mpi.h>

namespace nncc {

namespace {

void check(int status, const char *what) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  throw Error(fmt::format("MPI: {} failed: {}", what, std::string(text, static_cast<size_t>(length))));
}

class MpiWorld : public Communicator {
public:
  MpiWorld() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      check(MPI_Init(nullptr, nullptr), "MPI_Init");
      std::atexit([] {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Finalize();
      });
    }
    // Errors come back as status codes (turned into nncc::Error), not as an abort.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void sum(float *data, size_t count) override { reduce_and_broadcast(data, count, MPI_FLOAT); }
  void sum(double *data, size_t count) override { reduce_and_broadcast(data, count, MPI_DOUBLE); }
  void broadcast(void *data, size_t bytes, int root) override {
    check(MPI_Bcast(data, static_cast<int>(bytes), MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
  }

private:
  // MPI_Allreduce does not promise every process the same rounding (its
  // algorithms add in different orders on different processes); a
  // reduction to rank 0 and a broadcast do.
  void reduce_and_broadcast(void *data, size_t count, MPI_Datatype type) {
    check(MPI_Reduce(rank_ == 0 ? MPI_IN_PLACE : data, rank_ == 0 ? data : nullptr, static_cast<int>(count), type, MPI_SUM, 0,
                     MPI_COMM_WORLD),
          "MPI_Reduce");
    check(MPI_Bcast(data, static_cast<int>(count), type, 0, MPI_COMM_WORLD), "MPI_Bcast");
  }
  int rank_ = 0, size_ = 1;
};

} // namespace

std::shared_ptr<Communicator> mpi_world() {
  static std::shared_ptr<Communicator> world = std::make_shared<MpiWorld>();
  return world;
}

} // namespace nncc
