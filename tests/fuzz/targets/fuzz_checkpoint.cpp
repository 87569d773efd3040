// A safetensors checkpoint loaded into a session of examples/xor.nn
// (NNCC_FUZZ_MODEL; its description only: no code is compiled or run). A bad file must throw
// nncc::Error and leave the session's params as they were.
#include "compiler/codegen/codegen.h"
#include "compiler/pipeline.h"
#include "frontend/frontend.h"
#include "fuzz_input.h"
#include "nncc/nncc.hpp"

#include <cstring>
#include <stdexcept>

namespace {

std::shared_ptr<const nncc::LoadedModel> xor_model() {
  using namespace nncc;
  SourceManager sources;
  DiagnosticEngine diags(sources);
  std::optional<uint32_t> file = frontend::load_file(NNCC_FUZZ_MODEL, sources, diags);
  frontend::FrontendResult r = frontend::compile_source(file.value(), sources, diags);
  if (!r.module) throw std::runtime_error(diags.render());
  compiler::build_entry_points(*r.module, 2);
  auto model = std::make_shared<LoadedModel>();
  model->desc = codegen::describe(*r.module);
  return model;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace nncc;
  static Session session(xor_model(), {.seed = 1, .threads = 1});
  TensorMap before = session.state();
  try {
    session.load(fuzz::as_file(data, size, ".safetensors"));
  } catch (const Error &) {
    for (const auto &[name, t] : before)
      if (std::memcmp(session.state().at(name).raw(), t.raw(), t.nbytes()) != 0)
        throw std::logic_error("a failed load changed " + name);
  }
  return 0;
}
