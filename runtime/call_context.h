// What a Session hands to compiled code for one call (the `ctx` of
// kernel_abi.h): scratch memory, the primitive caches (matmul, convolution and pooling), the dropout
// seed, step and first row, and the first error a runtime function met.
#pragma once
#include "arena.h"
#include "dnnl/batch_matmul.h"
#include "dnnl/image.h"
#include "dnnl/matmul.h"

#include <cstdint>
#include <string>

namespace nncc::runtime {

struct CallContext {
  explicit CallContext(int primitive_sites) : matmul(primitive_sites), batch_matmul(primitive_sites), image(primitive_sites) {}
  Arena arena;
  MatmulCache matmul;
  BatchMatmulCache batch_matmul;
  ImagePrimitives image;
  uint64_t seed = 0, step = 0;
  int64_t first_row = 0; // of this call's rows in a data-parallel global batch
  std::string error; // empty: no error
};

} // namespace nncc::runtime
