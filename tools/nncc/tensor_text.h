// Tensors written as text on the command line and printed back:
// `3`, `[1, 2]`, `[[1, 2], [3, 4]]` (nested lists, row-major).
#pragma once
#include "compiler/interp/tensor.h"

#include <optional>
#include <string>
#include <string_view>

namespace nncc::tool {

/// Parses a number, a nested list, or `@PATH` (a .npy file); on an error
/// returns nullopt and sets `error`.
std::optional<interp::Tensor> parse_tensor(std::string_view text, ir::DType dtype, std::string &error);

/// Nested lists with `{}`-formatted numbers (shortest round trip); `digits`
/// > 0 rounds to that many significant digits instead. NaN and infinities
/// print as null when `json`.
std::string format_tensor(const interp::Tensor &t, int digits = 0, bool json = false);

} // namespace nncc::tool
