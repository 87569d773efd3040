// The largest type nncc compiles. Byte counts (memory plans, scratch sizes,
// the runtime's allocations) are int64 sums and products of types' sizes; a
// bound far below 2^63 on each type's fixed part keeps every one of them
// exact, whatever the input file says. Checked where types come from:
// declarations (.nn and .nnir) and every op's inferred result.
#pragma once
#include "ir/types.h"

namespace nncc::ir {

/// 2^48 bytes (256 TiB): far beyond any machine, far below overflow.
inline constexpr int64_t kMaxFixedTypeBytes = int64_t{1} << 48;

/// Whether the fixed dimensions of `type` times its element size stay
/// within kMaxFixedTypeBytes (symbolic dimensions are bound, and checked
/// against memory, at run time).
inline bool fixed_size_fits(const Type &type) {
  int64_t bytes = dtype_size(type.dtype);
  for (const Dim &d : type.shape)
    if (!d.is_symbolic() && (__builtin_mul_overflow(bytes, d.size, &bytes) || bytes > kMaxFixedTypeBytes)) return false;
  return true;
}

/// The message for a type that does not fit: "T is too large (...)".
inline std::string too_large_message(const Type &type) {
  return type.str() + " is too large (more than 2^48 bytes in its fixed dimensions)";
}

} // namespace nncc::ir
