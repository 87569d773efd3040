// A .nn file through the frontend (lexer, parser, type checks, lowering) and,
// when it compiles, autodiff, the optimizer update and the -O2 graph passes.
// Diagnostics are the expected outcome of bad input; a crash, a sanitizer
// report or an internal error (std::logic_error) is a finding.
#include "compiler/pipeline.h"
#include "frontend/frontend.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace nncc;
  SourceManager sources;
  DiagnosticEngine diags(sources);
  uint32_t file = sources.add("fuzz.nn", std::string(fuzz::text(data, size)));
  frontend::FrontendResult r = frontend::compile_source(file, sources, diags);
  (void)diags.render();
  if (r.module) compiler::build_entry_points(*r.module, 2);
  return 0;
}
