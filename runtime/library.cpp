// nncc::Model::load_library: an AOT library opened with dlopen, driven by
// this process's runtime (SPEC §5: one runtime, two ways to get the code).
#include "aot_model.h"

#include <dlfcn.h>
#include <fmt/format.h>

namespace nncc {

Model Model::load_library(const std::string &path) {
  // RTLD_LOCAL: two model libraries do not see each other's symbols.
  void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw Error(fmt::format("cannot load library '{}': {}", path, ::dlerror()));
  std::shared_ptr<void> keep_alive(handle, [](void *h) { ::dlclose(h); });
  using Accessor = const nncc_model *(*)();
  auto accessor = reinterpret_cast<Accessor>(::dlsym(handle, "nncc_library_model"));
  if (!accessor) throw Error(fmt::format("'{}' is not an nncc model library (no nncc_library_model)", path));
  return Model(runtime::aot_model(accessor(), std::move(keep_alive)));
}

} // namespace nncc
