// nncc_compile of nncc/nncc_jit.h: the C++ API's Compiler behind the C ABI,
// for hosts that load libnncc.so (the Python module). The model it returns
// is an nncc_model handle like an AOT library's (runtime/c_models.h).
#include "nncc/nncc_jit.h"

#include "c_models.h"

#include <fmt/format.h>

extern "C" {

const nncc_model *nncc_compile(const char *path, const char *source, int opt_level, int precision, int flags) {
  using namespace nncc;
  try {
    if (!path) throw Error("nncc_compile: null path");
    if (opt_level < 0 || opt_level > 3) throw Error(fmt::format("nncc_compile: optimization level {} (0 to 3)", opt_level));
    if (precision != NNCC_PRECISION_F32 && precision != NNCC_PRECISION_BF16)
      throw Error(fmt::format("nncc_compile: precision {} (NNCC_PRECISION_F32 or NNCC_PRECISION_BF16)", precision));
    Compiler cc({.opt_level = opt_level,
                 .precision = precision == NNCC_PRECISION_BF16 ? Precision::BF16 : Precision::F32,
                 .apply_update = (flags & NNCC_COMPILE_DATA_PARALLEL) != 0});
    Model model = source ? cc.compile_source(path, source) : cc.compile_file(path);
    runtime::set_create_error("");
    return runtime::c_model_of(model.loaded());
  } catch (const std::exception &e) {
    runtime::set_create_error(e.what());
  } catch (...) {
    runtime::set_create_error("nncc_compile: unknown error");
  }
  return nullptr;
}

void nncc_model_release(const nncc_model *model) { nncc::runtime::release_c_model(model); }

} // extern "C"
