#include "tools/nncc/mpi_launch.h"

#include "nncc/tensor.hpp"

#include <cstdlib>
#include <fmt/format.h>

namespace nncc::tool {

std::shared_ptr<Communicator> launched_communicator() {
  const char *size = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (!size || std::atoi(size) <= 1) return nullptr;
#ifdef NNCC_HAVE_MPI
  return mpi_world();
#else
  throw Error(fmt::format("mpirun started {} processes, but this nncc was built without MPI (install libopenmpi-dev and rebuild)", size));
#endif
}

} // namespace nncc::tool
