/* The functions compiled code calls into the runtime (declared in
 * nncc/runtime_functions.def, documented there). JIT code finds them
 * through symbols the JIT registers; AOT libraries link the runtime
 * statically. */
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* nncc_rt_parallel_loop: a loop kernel's share of its iterations, part
 * `part` of `parts` (each part a contiguous range of the outermost loop). */
typedef void (*nncc_loop_task)(void *args, int64_t part, int64_t parts);
/* Below this many elements a loop runs on the calling thread: waking the
 * thread pool costs more than it saves. */
enum { NNCC_MIN_PARALLEL_ELEMENTS = 1 << 15 };

/* nncc_rt_matmul_*: `flags` and `activation`. */
enum { NNCC_TRANSPOSE_A = 1, NNCC_TRANSPOSE_B = 2 };
enum { NNCC_ACTIVATION_NONE = 0, NNCC_ACTIVATION_RELU = 1, NNCC_ACTIVATION_TANH = 2, NNCC_ACTIVATION_SIGMOID = 3 };

/* The geometry of a batched matrix product (nncc_rt_batch_matmul_*): every
 * operand as `rank` axes (at most NNCC_MATMUL_MAX_RANK; leading axes padded
 * with extent 1), the last two the matrices: a [.., M, K], b [.., K, N],
 * c [.., M, N]. a and b are read through strides in elements (a transposed
 * view is permuted strides, no copy); c is stored densely. Batch axes
 * broadcast (extent 1 against more); a batch axis where c has extent 1 but
 * a or b more is summed over (the weight gradient of x[N, T, D] @ W[D, E]). */
enum { NNCC_MATMUL_MAX_RANK = 8 };
typedef struct nncc_matmul_shape {
  int64_t rank;
  int64_t a_dims[NNCC_MATMUL_MAX_RANK], a_strides[NNCC_MATMUL_MAX_RANK];
  int64_t b_dims[NNCC_MATMUL_MAX_RANK], b_strides[NNCC_MATMUL_MAX_RANK];
  int64_t c_dims[NNCC_MATMUL_MAX_RANK];
} nncc_matmul_shape;

/* The geometry of an image op call (conv2d, pooling, relayout): input
 * [n, c, h, w], weights [o, c/groups, kh, kw] (pools: o = c, the window
 * kh x kw), output [n, o, oh, ow]. `layout` says which images are stored
 * channel-blocked (nChw{B}c, B the runtime's choice for the CPU) rather than NCHW:
 * the input side (x, or the dx a gradient makes) and the output side (y,
 * or the dy a gradient reads). Weights are always [o, c/groups, kh, kw]. */
typedef struct nncc_conv_shape {
  int64_t n, c, h, w, o, kh, kw, oh, ow;
  int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, groups;
  int64_t layout;
} nncc_conv_shape;
enum { NNCC_INPUT_BLOCKED = 1, NNCC_OUTPUT_BLOCKED = 2 };
enum { NNCC_POOL_MAX = 0, NNCC_POOL_AVG = 1 };

#define NNCC_RUNTIME_FUNCTION(name, result, parameters) result name parameters;
#include "nncc/runtime_functions.def"

#ifdef __cplusplus
}
#endif
