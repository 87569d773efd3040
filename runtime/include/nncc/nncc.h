/* The C ABI of nncc's AOT libraries (SPEC §5): what `nncc compile` links
 * into libNAME.so, and what the typed functions of its generated header
 * NAME.h call. C11 and C++ compatible; usable from any language with a C
 * FFI (Python's ctypes: examples/host_python).
 *
 *   nncc_session *s = nncc_session_create(xor_model(), 42, 1);
 *   int64_t shape[2] = {4, 2};
 *   nncc_set_input(s, "x", NNCC_F32, x, 2, shape);  ...
 *   double loss;
 *   if (nncc_train_step(s, &loss) != 0) puts(nncc_last_error(s));
 *
 * Every function returning int returns 0 on success and NNCC_ERROR
 * otherwise; nncc_last_error then says why. Nothing prints, nothing aborts,
 * and a failed call leaves the session as it was. A session is used by one
 * thread at a time. */
#ifndef NNCC_NNCC_H
#define NNCC_NNCC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NNCC_EXPORT __attribute__((visibility("default")))
#define NNCC_ERROR (-1)

/* A compiled model: returned by NAME_model() of an AOT library (and by
 * nncc_library_model(), the same for every library). */
typedef struct nncc_model nncc_model;
typedef struct nncc_session nncc_session;

/* Element types of inputs and outputs. */
enum { NNCC_F32 = 0, NNCC_F64 = 1, NNCC_I32 = 2 };

/* The model's name and its description as JSON: symbols, params, optimizer
 * state, and each entry point's inputs and results with dtypes and shapes. */
NNCC_EXPORT const char *nncc_model_name(const nncc_model *model);
NNCC_EXPORT const char *nncc_model_json(const nncc_model *model);

/* A session: params initialized from `seed` (the same values as the JIT's
 * Session with that seed), optimizer state at zero. `threads`: threads of
 * oneDNN and the generated loops, 0 for $OMP_NUM_THREADS if set, else all cores. NULL on failure: nncc_last_error(NULL) says why. */
NNCC_EXPORT nncc_session *nncc_session_create(const nncc_model *model, uint64_t seed, int threads);
NNCC_EXPORT void nncc_session_destroy(nncc_session *s);

/* Sets input `name` for the calls that follow (the data is copied).
 * `dtype` is NNCC_F32/F64/I32; shape and dtype are checked by the call. */
NNCC_EXPORT int nncc_set_input(nncc_session *s, const char *name, int dtype, const void *data, int rank, const int64_t *shape);
/* Forgets every input set so far (the next call then sees only those set after). */
NNCC_EXPORT int nncc_clear_inputs(nncc_session *s);

/* The entry points, on the inputs set so far. train_step: forward, backward
 * and the optimizer update; grad: loss and d_<param> without update;
 * forward: the outputs in inference mode; evaluate: outputs and loss in
 * inference mode. `loss` may be NULL. */
NNCC_EXPORT int nncc_train_step(nncc_session *s, double *loss);
NNCC_EXPORT int nncc_grad(nncc_session *s, double *loss);
NNCC_EXPORT int nncc_forward(nncc_session *s);
NNCC_EXPORT int nncc_evaluate(nncc_session *s, double *loss);

/* A result of the last call ("p", "loss", "d_W1", ...): its shape (rank <=
 * 8 dims written to `shape`, may be NULL), and a copy of its `numel`
 * elements into `out` (numel must match). */
NNCC_EXPORT int nncc_output_shape(const nncc_session *s, const char *name, int *rank, int64_t *shape);
NNCC_EXPORT int nncc_get_output(nncc_session *s, const char *name, void *out, int64_t numel);

/* The session's param `name` in place: writes change the param. Valid until
 * the next train_step, load or destroy (updates swap buffers). NULL if there
 * is no such param. */
NNCC_EXPORT void *nncc_param(nncc_session *s, const char *name, int64_t *numel);

NNCC_EXPORT int nncc_set_lr(nncc_session *s, double lr);
NNCC_EXPORT double nncc_lr(const nncc_session *s);
NNCC_EXPORT int64_t nncc_step(const nncc_session *s);

/* Safetensors checkpoints (params, optimizer state, step, lr), the same
 * files as the C++ Session's: written atomically; loading checks every
 * tensor before changing anything. */
NNCC_EXPORT int nncc_save(nncc_session *s, const char *path);
NNCC_EXPORT int nncc_load(nncc_session *s, const char *path);

/* Why the last failed call on `s` failed ("" if none); with s == NULL, why
 * the calling thread's last nncc_session_create failed. */
NNCC_EXPORT const char *nncc_last_error(const nncc_session *s);

/* Data-parallel training (PyTorch's DDP; docs/distributed.md) over the
 * host's means of communication: every process holds the same params, runs
 * train_step on its rows of each global batch, and the gradients are summed
 * between the processes through these functions, so params stay identical.
 * An AOT library never links MPI: nncc/nncc_mpi.h fills this in for an MPI
 * communicator. Each function returns 0 on success, else non-zero with a
 * message in `error` (`error_size` bytes). `sum_*` must leave the very same
 * bits on every process (e.g. a reduction to one process and a broadcast). */
typedef struct nncc_communicator {
  void *context; /* passed to each function; owned by the host */
  int rank, size;
  int (*sum_f32)(void *context, float *data, int64_t count, char *error, size_t error_size);
  int (*sum_f64)(void *context, double *data, int64_t count, char *error, size_t error_size);
  int (*broadcast)(void *context, void *data, int64_t bytes, int root, char *error, size_t error_size);
  /* Ends every process with `status` (NULL: this process exits). */
  void (*abort)(void *context, int status);
  /* A collective that waits longer than this for the other processes (one
   * hangs or was stopped) makes this process say so on stderr and exit
   * with status 1, so a job cannot hang for ever; 0: no limit. */
  double timeout_seconds;
} nncc_communicator;

/* Makes the session data-parallel over `comm` (copied; its context must
 * outlive the session), or one process again with NULL. Every process calls
 * it (a collective): each takes process 0's params, optimizer state and lr.
 * Then nncc_train_step takes this process's rows of the global batch (any
 * count, even 0; nncc_shard gives an even split) and updates with the whole
 * batch's mean gradient; `loss` is the global batch's. Needs a library
 * built with `nncc compile --data-parallel`. */
NNCC_EXPORT int nncc_set_communicator(nncc_session *s, const nncc_communicator *comm);
/* The rows [*first, *first + *count) of a global batch of `rows` that
 * process `rank` of `size` takes: contiguous, as even as possible. */
NNCC_EXPORT void nncc_shard(int64_t rows, int rank, int size, int64_t *first, int64_t *count);
/* 0 when every process's params, optimizer state and step are bit for bit
 * process 0's (a collective); else NNCC_ERROR naming those that differ. */
NNCC_EXPORT int nncc_check_sync(nncc_session *s);

/* Every AOT library defines this: its model (for dlopen/ctypes hosts that do
 * not know the model's name). */
NNCC_EXPORT const nncc_model *nncc_library_model(void);

#ifdef __cplusplus
}
#endif

#endif
