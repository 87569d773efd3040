/* Compiling .nn models in the host's process (the JIT) through the C ABI:
 * libnncc.so only (the whole compiler; AOT libraries have no compiler).
 * The model it returns is used like an AOT library's (nncc/nncc.h):
 *
 *   const nncc_model *m = nncc_compile("examples/xor.nn", NULL, 2, NNCC_PRECISION_F32, 0);
 *   if (!m) puts(nncc_last_error(NULL));            // the file's diagnostics
 *   nncc_session *s = nncc_session_create(m, 42, 1);
 *   ...
 *   nncc_session_destroy(s);
 *   nncc_model_release(m);                          // after its last session
 */
#ifndef NNCC_NNCC_JIT_H
#define NNCC_NNCC_JIT_H

#include "nncc/nncc.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { NNCC_PRECISION_F32 = 0, NNCC_PRECISION_BF16 = 1 };
/* Flags of nncc_compile. */
enum { NNCC_COMPILE_DATA_PARALLEL = 1 /* build apply_update: sessions may take a communicator */ };

/* Compiles model `path` (its text `source`, or the file when source is
 * NULL) at LLVM level `opt_level` (0..3), with compiled code kept in the
 * on-disk cache as nncc::Compiler does. NULL on failure, with the message
 * (the diagnostics of a bad file) in nncc_last_error(NULL). */
NNCC_EXPORT const nncc_model *nncc_compile(const char *path, const char *source, int opt_level, int precision, int flags);
/* Frees a model nncc_compile returned; its sessions must be gone. */
NNCC_EXPORT void nncc_model_release(const nncc_model *model);

#ifdef __cplusplus
}
#endif

#endif
