#include "ir/layout.h"

#include <algorithm>

namespace nncc::ir {

namespace {
LayoutNeed need_of(Layout l) { return l == Layout::Blocked ? LayoutNeed::Blocked : LayoutNeed::Plain; }
} // namespace

bool single_element(const Type &t) {
  return std::all_of(t.shape.begin(), t.shape.end(), [](const Dim &d) { return d.is_one(); });
}

std::vector<std::span<Value *const>> kernel_spans(const Function &fn) {
  std::vector<std::span<Value *const>> out;
  std::span<Value *const> body = fn.body();
  for (size_t i = 0; i < body.size();) {
    size_t end = i + 1;
    while (body[i]->region && end < body.size() && body[end]->region == body[i]->region) ++end;
    out.push_back(body.subspan(i, end - i));
    i = end;
  }
  return out;
}

bool keeps_input_layout(OpKind op) {
  return op == OpKind::MaxPool2d || op == OpKind::AvgPool2d || op == OpKind::MaxPool2dGrad || op == OpKind::AvgPool2dGrad ||
         op == OpKind::BatchNormTrain || op == OpKind::BatchNormGrad;
}

namespace {
/// A sum_to keeping only axis 1 of an image.
bool sums_channels(const Value &v) {
  if (v.op != OpKind::SumTo || !blockable(v.operands[0]->type)) return false;
  const Shape &x = v.operands[0]->type.shape, &to = v.type.shape;
  if (to.size() < 3) return false;
  for (size_t k = 0; k < to.size(); ++k) {
    size_t axis = k + x.size() - to.size();
    if (axis == 1 ? to[k] != x[1] : !to[k].is_one()) return false;
  }
  return true;
}
} // namespace

bool sums_blocked_channels(const Value &v) { return sums_channels(v) && v.operands[0]->layout == Layout::Blocked; }

bool blockable(const Type &t) {
  return (t.dtype == DType::F32 || t.dtype == DType::BF16) && t.rank() == 4 && !t.shape[1].is_symbolic() && t.shape[1].size % kLayoutChannelMultiple == 0;
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
    // Batch norm's loops run on either layout of x; dy comes in x's.
    case OpKind::BatchStats:
    case OpKind::BatchNormTrain: return i == 0 ? LayoutNeed::Any : LayoutNeed::Plain;
    case OpKind::BatchNormGradSums: return i == 0 ? LayoutNeed::Any : i == 2 ? need_of(first.operands[0]->layout) : LayoutNeed::Plain;
    case OpKind::BatchNormGrad: return i == 0 ? LayoutNeed::Any : i == 3 ? need_of(first.operands[0]->layout) : LayoutNeed::Plain;
    case OpKind::Size: return LayoutNeed::Any; // reads the shape only
    case OpKind::SumTo:
      if (&first == &root && sums_channels(first)) return LayoutNeed::Any;
      break;
    default: break;
    }
  }
  if (root.layout == Layout::Blocked && first.info().lowering == Lowering::Loop && operand.type.shape == root.type.shape)
    return LayoutNeed::Blocked;
  return single_element(operand.type) ? LayoutNeed::Any : LayoutNeed::Plain;
}

} // namespace nncc::ir
