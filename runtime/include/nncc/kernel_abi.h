/* The functions compiled code calls into the runtime (declared in
 * nncc/runtime_functions.def, documented there). JIT code finds them
 * through symbols the JIT registers; AOT libraries link the runtime
 * statically. */
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* nncc_rt_matmul_*: `flags` and `activation`. */
enum { NNCC_TRANSPOSE_A = 1, NNCC_TRANSPOSE_B = 2 };
enum { NNCC_ACTIVATION_NONE = 0, NNCC_ACTIVATION_RELU = 1, NNCC_ACTIVATION_TANH = 2, NNCC_ACTIVATION_SIGMOID = 3 };

#define NNCC_RUNTIME_FUNCTION(name, result, parameters) result name parameters;
#include "nncc/runtime_functions.def"

#ifdef __cplusplus
}
#endif
