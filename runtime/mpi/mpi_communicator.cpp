// The Communicator over MPI_COMM_WORLD (Open MPI) for `mpirun nncc train`:
// MPI's start and end around nncc/nncc_mpi.h's functions, the only code
// of nncc that includes mpi.h.
#include "nncc/communicator.hpp"
#include "nncc/nncc_mpi.h"
#include "nncc/tensor.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <string>

namespace nncc {

namespace {

double timeout_seconds() {
  const char *text = std::getenv("NNCC_MPI_TIMEOUT");
  if (!text || !*text) return 300;
  char *end = nullptr;
  double seconds = std::strtod(text, &end);
  if (*end != '\0' || seconds < 0) throw Error(fmt::format("NNCC_MPI_TIMEOUT is '{}', not a number of seconds", text));
  return seconds;
}

std::shared_ptr<Communicator> start_world() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    if (int status = MPI_Init(nullptr, nullptr); status != MPI_SUCCESS) {
      char error[MPI_MAX_ERROR_STRING + 32];
      nncc_mpi_failed_(status, "MPI_Init", error, sizeof error);
      throw Error(error);
    }
    std::atexit([] {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (!finalized) MPI_Finalize();
    });
  }
  static nncc_mpi_context context{MPI_COMM_WORLD, timeout_seconds()};
  return communicator_of(nncc_mpi_communicator(&context));
}

} // namespace

std::shared_ptr<Communicator> mpi_world() {
  static std::shared_ptr<Communicator> world = start_world();
  return world;
}

} // namespace nncc
