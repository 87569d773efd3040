#include "ir/layout.h"

#include <algorithm>

namespace nncc::ir {

namespace {
LayoutNeed need_of(Layout l) { return l == Layout::Blocked ? LayoutNeed::Blocked : LayoutNeed::Plain; }
} // namespace

bool single_element(const Type &t) {
  return std::all_of(t.shape.begin(), t.shape.end(), [](const Dim &d) { return !d.is_symbolic() && d.size == 1; });
}

bool blockable(const Type &t) {
  return t.dtype == DType::F32 && t.rank() == 4 && !t.shape[1].is_symbolic() && t.shape[1].size % kLayoutChannelMultiple == 0;
}

LayoutNeed layout_need(const Value &first, const Value &root, const Value &user, size_t i) {
  const Value &operand = *user.operands[i];
  if (&user == &first) {
    switch (first.op) {
    case OpKind::Conv2d: return i == 0 ? LayoutNeed::Any : LayoutNeed::Plain;          // x; the weights
    case OpKind::Conv2dGradInput: return i == 1 ? LayoutNeed::Any : LayoutNeed::Plain; // dy; the weights
    case OpKind::Conv2dGradWeight:                                                      // x, dy
    case OpKind::MaxPool2d:
    case OpKind::AvgPool2d:
    case OpKind::Relayout: return LayoutNeed::Any;
    case OpKind::MaxPool2dGrad:
    case OpKind::AvgPool2dGrad: return i == 0 ? LayoutNeed::Any : need_of(root.layout); // x sets it; y and dy follow
    default: break;
    }
  }
  if (root.layout == Layout::Blocked && first.info().lowering == Lowering::Loop && operand.type.shape == root.type.shape)
    return LayoutNeed::Blocked;
  return single_element(operand.type) ? LayoutNeed::Any : LayoutNeed::Plain;
}

} // namespace nncc::ir
