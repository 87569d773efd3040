// Which storage order (ir::Layout) each op reads its operands in: the
// facts the layouts pass places relayouts by and the verifier checks.
#pragma once
#include "ir/module.h"

#include <span>
#include <vector>

namespace nncc::ir {

/// The function's kernels as the fuse pass grouped them: each fused
/// region (contiguous in the body), and each other value alone.
std::vector<std::span<Value *const>> kernel_spans(const Function &fn);

/// Whether a value of type `t` may be stored blocked: an f32 image (or its
/// bf16 cast) [N, C, H, W] whose channels are a multiple of
/// kLayoutChannelMultiple.
bool blockable(const Type &t);

/// One element (every dimension 1): stored the same in every layout.
bool single_element(const Type &t);

/// Poolings, batch norm and their gradients: their result is stored in
/// the layout of their x (operand 0).
bool keeps_input_layout(OpKind op);

/// A sum_to of a blocked image [N, C, H, W] to its channels ([C, 1, 1] or
/// [1, C, 1, 1]: a convolution bias's gradient). No generated loop reads
/// a blocked layout whole, so the runtime's per-channel sums compute it: a
/// primitive call in the kernel plan.
bool sums_blocked_channels(const Value &v);

/// What a kernel needs of one value it reads.
enum class LayoutNeed { Any, Plain, Blocked };

/// What op `user`, a member of the kernel that starts with `first` and
/// ends with `root` (a fused region, or `user` alone), needs of the layout
/// of its operand `i` (read from outside the kernel). Image primitives take
/// either layout for their images (oneDNN reads both) but a pooling's
/// gradient reads y and dy in the layout of x; batch norm's loops take x
/// in either layout and dy in x's; an elementwise kernel walks
/// every full-size operand in its own order; everything else reads NCHW,
/// except scalars, which have no order.
LayoutNeed layout_need(const Value &first, const Value &root, const Value &user, size_t i);

} // namespace nncc::ir
