/* The functions compiled code calls into the runtime. JIT code finds them
 * through symbols the JIT registers; AOT libraries link the runtime
 * statically. `ctx` is the opaque call context a Session passes to every
 * entry point. None of these fail loudly: a problem is recorded in the
 * context, and the Session reports it after the call. */
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Scratch memory for one call, 64-byte aligned; released when the call ends. */
void *nncc_rt_alloc(void *ctx, int64_t bytes);

/* C[M,N] = act(op(A) @ op(B) + bias) with op(A) of shape [M,K] and op(B)
 * of shape [K,N]; `bias` (N values added to every row) may be NULL, and
 * `activation` is one of NNCC_ACTIVATION_* (the fuse pass's matmul
 * epilogues). A transposed operand is read through strides (A stored as
 * [K,M], B as [N,K]). `site` numbers the call site, for the primitive cache. */
enum { NNCC_TRANSPOSE_A = 1, NNCC_TRANSPOSE_B = 2 };
enum { NNCC_ACTIVATION_NONE = 0, NNCC_ACTIVATION_RELU = 1, NNCC_ACTIVATION_TANH = 2, NNCC_ACTIVATION_SIGMOID = 3 };
void nncc_rt_matmul_f32(void *ctx, int32_t site, int32_t flags, const float *a, const float *b, float *c,
                        int64_t m, int64_t k, int64_t n, const float *bias, int32_t activation);
void nncc_rt_matmul_f64(void *ctx, int32_t site, int32_t flags, const double *a, const double *b, double *c,
                        int64_t m, int64_t k, int64_t n, const double *bias, int32_t activation);

/* The seed of dropout op `key` at the current step: element i keeps its
 * value when uniform(mix64(base ^ i)) >= p (see nncc/rng.h). */
uint64_t nncc_rt_dropout_base(void *ctx, int64_t key);

#ifdef __cplusplus
}
#endif
