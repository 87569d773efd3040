#include "bf16_support.h"
#include "nncc/nncc.hpp"

namespace nncc {

bool native_bf16() { return runtime::onednn_has_bf16(); }

} // namespace nncc
