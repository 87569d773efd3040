// A data file through `nncc train`'s loaders (data::load, as --data SPEC):
// NNCC_FUZZ_SPEC is the spec with FILE standing for the input's path
// ("npy:x=FILE", "csv:FILE"), and
// NNCC_FUZZ_SUFFIX its file name's ending. A bad file must throw
// nncc::Error; a crash or a sanitizer report is a finding.
#include "fuzz_input.h"
#include "nncc/dataset.hpp"
#include "nncc/tensor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace nncc;
  std::string path = fuzz::as_file(data, size, NNCC_FUZZ_SUFFIX), spec = NNCC_FUZZ_SPEC;
  for (size_t at; (at = spec.find("FILE")) != std::string::npos;) spec.replace(at, 4, path);
  try {
    (void)data::load(spec);
  } catch (const Error &) {
  }
  return 0;
}
