// An image op (conv2d, pooling and their gradients, relayout) as the
// runtime's functions and the interpreter's loops take it: one
// nncc_conv_shape (the loops ignore its layout bits: the interpreter
// stores every tensor plain).
#pragma once
#include "ir/module.h"
#include "nncc/kernel_abi.h"

namespace nncc::compiler {

/// The image the op's window slides over (for conv2d_grad_input, the result).
const ir::Type &image_input(const ir::Value &v);

/// The geometry of image op `v` from its IR types; `n`, the batch, is the
/// caller's (it may be a symbolic dimension).
nncc_conv_shape conv_shape(const ir::Value &v, int64_t n);

} // namespace nncc::compiler
