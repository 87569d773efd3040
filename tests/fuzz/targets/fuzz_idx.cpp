// An IDX file (raw, or gzip when it starts with gzip's magic bytes) through
// read_idx. A bad file must throw nncc::Error; a crash, a sanitizer report
// or an allocation the header's numbers should have refused is a finding.
#include "fuzz_input.h"
#include "nncc/idx.hpp"
#include "nncc/tensor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    (void)nncc::data::read_idx(nncc::fuzz::as_file(data, size, ".idx"));
  } catch (const nncc::Error &) {
  }
  return 0;
}
