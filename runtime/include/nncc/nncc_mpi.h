/* An nncc_communicator (nncc/nncc.h) over an MPI communicator, for host
 * programs that train data-parallel with an AOT library (which links no
 * MPI) or with the C++ API. Header-only: it is compiled into the host,
 * against the host's MPI; nncc's own MPI launch (mpirun nncc train) uses
 * it too.
 *
 *   nncc_mpi_context ctx = {MPI_COMM_WORLD, 300};
 *   nncc_communicator comm = nncc_mpi_communicator(&ctx);
 *   nncc_set_communicator(session, &comm);
 *
 * Sums are a reduction to process 0 followed by a broadcast, not
 * MPI_Allreduce: MPI does not promise that every process rounds an
 * all-reduce alike, and the params must stay bit-identical. MPI errors
 * come back as messages (MPI_ERRORS_RETURN is set on the communicator);
 * `timeout_seconds` becomes the communicator's (nncc/nncc.h). */
#ifndef NNCC_NNCC_MPI_H
#define NNCC_NNCC_MPI_H

#include "nncc/nncc.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>

typedef struct nncc_mpi_context {
  MPI_Comm comm;
  double timeout_seconds;
} nncc_mpi_context;

static inline int nncc_mpi_failed_(int status, const char *what, char *error, size_t error_size) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  snprintf(error, error_size, "MPI: %s failed: %.*s", what, length, text);
  return 1;
}

static inline int nncc_mpi_bcast_(const nncc_mpi_context *c, void *data, int64_t count, MPI_Datatype type, int root, char *error,
                                  size_t error_size) {
  int status;
  if (count > INT_MAX) {
    snprintf(error, error_size, "MPI: a broadcast of %lld elements (more than %d)", (long long)count, INT_MAX);
    return 1;
  }
  status = MPI_Bcast(data, (int)count, type, root, c->comm);
  return status == MPI_SUCCESS ? 0 : nncc_mpi_failed_(status, "MPI_Bcast", error, error_size);
}

static inline int nncc_mpi_sum_(const nncc_mpi_context *c, void *data, int64_t count, MPI_Datatype type, char *error, size_t error_size) {
  int rank = 0, status;
  if (count > INT_MAX) {
    snprintf(error, error_size, "MPI: a sum of %lld elements (more than %d)", (long long)count, INT_MAX);
    return 1;
  }
  MPI_Comm_rank(c->comm, &rank);
  status = MPI_Reduce(rank == 0 ? MPI_IN_PLACE : data, rank == 0 ? data : NULL, (int)count, type, MPI_SUM, 0, c->comm);
  if (status != MPI_SUCCESS) return nncc_mpi_failed_(status, "MPI_Reduce", error, error_size);
  return nncc_mpi_bcast_(c, data, count, type, 0, error, error_size);
}

static inline int nncc_mpi_sum_f32_(void *c, float *data, int64_t count, char *error, size_t error_size) {
  return nncc_mpi_sum_((const nncc_mpi_context *)c, data, count, MPI_FLOAT, error, error_size);
}
static inline int nncc_mpi_sum_f64_(void *c, double *data, int64_t count, char *error, size_t error_size) {
  return nncc_mpi_sum_((const nncc_mpi_context *)c, data, count, MPI_DOUBLE, error, error_size);
}
static inline int nncc_mpi_broadcast_(void *c, void *data, int64_t bytes, int root, char *error, size_t error_size) {
  return nncc_mpi_bcast_((const nncc_mpi_context *)c, data, bytes, MPI_BYTE, root, error, error_size);
}
static inline void nncc_mpi_abort_(void *c, int status) { MPI_Abort(((const nncc_mpi_context *)c)->comm, status); }

/* The functions over `context->comm` (MPI initialized by the caller);
 * `context` must outlive every session that uses them. */
static inline nncc_communicator nncc_mpi_communicator(nncc_mpi_context *context) {
  nncc_communicator comm;
  comm.context = context;
  MPI_Comm_set_errhandler(context->comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(context->comm, &comm.rank);
  MPI_Comm_size(context->comm, &comm.size);
  comm.sum_f32 = nncc_mpi_sum_f32_;
  comm.sum_f64 = nncc_mpi_sum_f64_;
  comm.broadcast = nncc_mpi_broadcast_;
  comm.abort = nncc_mpi_abort_;
  comm.timeout_seconds = context->timeout_seconds;
  return comm;
}

#endif
