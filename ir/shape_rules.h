// Type rules (dtype + shape inference) of the ops in ir/ops.def. Each rule
// checks its operands and attributes and names both shapes when they clash.
#pragma once
#include "ir/ops.h"

namespace nncc::ir {

struct Value;

/// The permutation a transpose applies (result axis i is operand axis
/// perm[i]): `axes` normalized, or the 2-D swap when none; nullopt when
/// `axes` is no permutation of `rank` axes.
std::optional<std::vector<size_t>> transpose_axes(const AttrValue &axes, int rank);
/// transpose_axes of a transpose op the type rule accepted.
std::vector<size_t> transpose_permutation(const Value &transpose);

} // namespace nncc::ir

namespace nncc::ir::rules {

#define NNCC_DECLARE_RULE(name) TypeResult name(const OpInfo &, std::span<const Type>, const Attrs &);
NNCC_DECLARE_RULE(constant)
NNCC_DECLARE_RULE(broadcast_float)
NNCC_DECLARE_RULE(same_float)
NNCC_DECLARE_RULE(same_float_axis)
NNCC_DECLARE_RULE(tril)
NNCC_DECLARE_RULE(dropout)
NNCC_DECLARE_RULE(layernorm)
NNCC_DECLARE_RULE(layernorm_grad)
NNCC_DECLARE_RULE(reduce)
NNCC_DECLARE_RULE(argmax)
NNCC_DECLARE_RULE(matmul)
NNCC_DECLARE_RULE(transpose)
NNCC_DECLARE_RULE(cast)
NNCC_DECLARE_RULE(reshape)
NNCC_DECLARE_RULE(concat)
NNCC_DECLARE_RULE(embedding)
NNCC_DECLARE_RULE(onehot)
NNCC_DECLARE_RULE(class_loss)
NNCC_DECLARE_RULE(pairwise_loss)
NNCC_DECLARE_RULE(pairwise_same)
NNCC_DECLARE_RULE(same_pair)
NNCC_DECLARE_RULE(broadcast_to)
NNCC_DECLARE_RULE(sum_to)
NNCC_DECLARE_RULE(size)
NNCC_DECLARE_RULE(slice)
NNCC_DECLARE_RULE(max_grad)
NNCC_DECLARE_RULE(cross_entropy_grad)
NNCC_DECLARE_RULE(embedding_grad)
// ir/image_rules.cpp
NNCC_DECLARE_RULE(conv2d)
NNCC_DECLARE_RULE(conv2d_grad_input)
NNCC_DECLARE_RULE(conv2d_grad_weight)
NNCC_DECLARE_RULE(pool2d)
NNCC_DECLARE_RULE(pool2d_grad)
NNCC_DECLARE_RULE(flatten)
NNCC_DECLARE_RULE(batch_stats)
NNCC_DECLARE_RULE(batch_norm_train)
NNCC_DECLARE_RULE(batch_norm_grad_sums)
NNCC_DECLARE_RULE(batch_norm_grad)
#undef NNCC_DECLARE_RULE

} // namespace nncc::ir::rules

namespace nncc::ir {
/// NumPy broadcasting of two shapes; nullopt-free: on a clash returns the
/// index (from the right) of the clashing dimension via `clash`.
std::optional<Shape> broadcast_shapes(const Shape &a, const Shape &b, int *clash = nullptr);
}
