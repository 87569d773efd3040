// `mpirun -np K nncc train ...`: the processes mpirun started, as a
// Communicator, when there are several.
#pragma once
#include "nncc/communicator.hpp"

#include <memory>

namespace nncc::tool {

/// The processes of this run when mpirun started K > 1 of them (Open MPI's
/// OMPI_COMM_WORLD_SIZE), else null. Throws Error when mpirun started
/// several but this nncc was built without MPI.
std::shared_ptr<Communicator> launched_communicator();

} // namespace nncc::tool
