#include "aot_model.h"

#include "nncc/desc_json.hpp"

#include <fmt/format.h>

namespace nncc::runtime {

namespace {

struct AotModel : LoadedModel {
  std::shared_ptr<void> keep_alive;
};

} // namespace

std::shared_ptr<const LoadedModel> aot_model(const nncc_model *model, std::shared_ptr<void> keep_alive) {
  if (!model) throw Error("no model (null nncc_model)");
  if (model->abi_version != NNCC_AOT_ABI_VERSION)
    throw Error(fmt::format("model '{}' was compiled for AOT ABI version {}, this runtime has version {}: recompile it with this nncc",
                            model->name, model->abi_version, NNCC_AOT_ABI_VERSION));
  auto loaded = std::make_shared<AotModel>();
  loaded->desc = desc_from_json(model->desc_json);
  if (loaded->desc.functions.size() != model->num_entries)
    throw Error(fmt::format("model '{}': {} entry points described but {} in the library", model->name, loaded->desc.functions.size(),
                            model->num_entries));
  for (size_t i = 0; i < model->num_entries; ++i) loaded->desc.functions[i].code = model->entries[i];
  loaded->keep_alive = std::move(keep_alive);
  return loaded;
}

} // namespace nncc::runtime
