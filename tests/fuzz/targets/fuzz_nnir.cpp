// Text IR through the parser and the verifier and, when it verifies, every
// -O2 graph pass in order (what `nncc opt` runs). Parse and verifier errors
// are expected; a crash, a sanitizer report or a pass reporting an error
// on verified IR is a finding.
#include "compiler/passes/pass_registry.h"
#include "fuzz_input.h"
#include "ir/ir_parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace nncc;
  SourceManager sources;
  DiagnosticEngine diags(sources);
  uint32_t file = sources.add("fuzz.nnir", std::string(fuzz::text(data, size)));
  std::unique_ptr<ir::Module> module = ir::parse_module(file, sources, diags);
  (void)diags.render();
  if (!module || !ir::verify(*module).empty()) return 0;
  std::string trace;
  std::vector<std::string> errors;
  if (!compiler::run_pipeline(*module, compiler::optimization_pipeline(2), {}, trace, errors))
    throw std::logic_error("a pass failed on verified IR: " + errors.front());
  (void)ir::print_module(*module);
  return 0;
}
