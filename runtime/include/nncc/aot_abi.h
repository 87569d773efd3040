/* What an AOT library's nncc_model is: the model description as JSON and
 * the machine code of its entry points, in the description's order. The
 * compiler emits this struct as a constant (compiler/aot), the runtime
 * reads it (runtime/c_api.cpp, Model::load_library). Bump
 * NNCC_AOT_ABI_VERSION whenever this struct, the entry points' calling
 * convention or the runtime's call context changes. */
#ifndef NNCC_AOT_ABI_H
#define NNCC_AOT_ABI_H

#include <stdint.h>

#define NNCC_AOT_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*nncc_entry_point)(void *ctx, void *const *buffers, const int64_t *dims);

struct nncc_model {
  uint32_t abi_version;
  uint32_t num_entries;
  const char *name;
  const char *desc_json;
  const nncc_entry_point *entries;
};

#ifdef __cplusplus
}
#endif

#endif
