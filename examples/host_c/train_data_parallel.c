/* A C host that trains an AOT-compiled model data-parallel on MPI: every
 * process opens a session (from a different seed, to show that
 * nncc_set_communicator gives each process 0's params), trains on its rows
 * of each global batch, and the gradients are summed between the processes
 * (nncc/nncc_mpi.h: the library itself links no MPI). Then each process
 * checks that its params equal those of one session trained here on the
 * whole batches within 1e-5, and that all processes are in sync.
 *
 *   nncc compile examples/xor.nn --data-parallel -o libxor_dp.so
 *   mpicc -std=c11 -I runtime/include train_data_parallel.c -L. -lxor_dp -o train_dp
 *   mpirun -np 3 ./train_dp
 *
 * Exit status 0 on every process when every check passed. */
#include "nncc/nncc.h"
#include "nncc/nncc_mpi.h"

#include <math.h>
#include <stdio.h>

enum { kRows = 4, kSteps = 300 };
static const float kX[kRows][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
static const float kY[kRows][1] = {{0}, {1}, {1}, {0}};

/* One step of `s` on rows [first, first + count) of the XOR batch. */
static int step(nncc_session *s, int64_t first, int64_t count, double *loss) {
  int64_t x_shape[2] = {count, 2}, y_shape[2] = {count, 1};
  if (nncc_set_input(s, "x", NNCC_F32, kX[first], 2, x_shape) != 0 || nncc_set_input(s, "y", NNCC_F32, kY[first], 2, y_shape) != 0)
    return NNCC_ERROR;
  return nncc_train_step(s, loss);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  nncc_mpi_context context = {MPI_COMM_WORLD, 60};
  nncc_communicator comm = nncc_mpi_communicator(&context);
  const nncc_model *model = nncc_library_model();
  nncc_session *parallel = nncc_session_create(model, 1 + (uint64_t)comm.rank, 1), *single = nncc_session_create(model, 1, 1);
  int failures = 0;
  if (!parallel || !single || nncc_set_communicator(parallel, &comm) != 0) {
    fprintf(stderr, "process %d: %s\n", comm.rank, parallel ? nncc_last_error(parallel) : nncc_last_error(NULL));
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int64_t first = 0, count = 0;
  nncc_shard(kRows, comm.rank, comm.size, &first, &count);
  double loss = 0, single_loss = 0;
  for (int i = 0; i < kSteps; ++i) {
    if (step(parallel, first, count, &loss) != 0 || step(single, 0, kRows, &single_loss) != 0) {
      fprintf(stderr, "process %d: step %d: %s %s\n", comm.rank, i, nncc_last_error(parallel), nncc_last_error(single));
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }
  const char *names[] = {"W1", "b1", "W2", "b2"};
  for (int n = 0; n < 4; ++n) {
    int64_t numel = 0, numel_single = 0;
    const float *p = nncc_param(parallel, names[n], &numel), *q = nncc_param(single, names[n], &numel_single);
    double diff = 0, scale = 0;
    for (int64_t i = 0; i < numel && numel == numel_single; ++i) {
      diff = fmax(diff, fabs((double)p[i] - q[i]));
      scale = fmax(scale, fabs((double)q[i]));
    }
    if (numel != numel_single || diff > 1e-5 * scale) {
      fprintf(stderr, "process %d: %s differs from one session's by %g (scale %g)\n", comm.rank, names[n], diff, scale);
      ++failures;
    }
  }
  if (fabs(loss - single_loss) > 1e-5) {
    fprintf(stderr, "process %d: loss %g where one session has %g\n", comm.rank, loss, single_loss);
    ++failures;
  }
  if (nncc_check_sync(parallel) != 0) {
    fprintf(stderr, "process %d: %s\n", comm.rank, nncc_last_error(parallel));
    ++failures;
  }
  int all = 0;
  MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (comm.rank == 0)
    printf("%d processes, rows %lld..%lld here: loss %.6f after %d steps (one session: %.6f); %s\n", comm.size, (long long)first,
           (long long)(first + count), loss, kSteps, single_loss, all == 0 ? "all checks passed" : "FAILED");
  nncc_session_destroy(parallel);
  nncc_session_destroy(single);
  MPI_Finalize();
  return all == 0 ? 0 : 1;
}
