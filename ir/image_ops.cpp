#include "ir/image_ops.h"

#include "ir/module.h"

namespace nncc::ir {

namespace {
std::array<int64_t, 2> pair_of(const AttrValue &v) {
  const auto &hw = std::get<std::vector<Dim>>(v);
  return {hw[0].size, hw[1].size};
}
} // namespace

Window2d window(const OpInfo &op, const Attrs &attrs, const Shape &weights) {
  Window2d w;
  if (find_attr(op.attrs, "kernel") >= 0) { // a pool: stride defaults to the kernel
    w.kernel = pair_of(op.attr(attrs, "kernel"));
    const AttrValue &stride = op.attr(attrs, "stride");
    w.stride = attr_is_none(stride) ? w.kernel : pair_of(stride);
  } else {
    if (weights.size() == 4) w.kernel = {weights[2].size, weights[3].size};
    w.stride = pair_of(op.attr(attrs, "stride"));
    w.dilation = pair_of(op.attr(attrs, "dilation"));
    w.groups = std::get<int64_t>(op.attr(attrs, "groups"));
  }
  w.padding = pair_of(op.attr(attrs, "padding"));
  return w;
}

Window2d window_of(const Value &v) {
  // Where the weights' shape is: an operand, or the attribute of the weight gradient.
  if (v.op == OpKind::Conv2d) return window(v.info(), v.attrs, v.operands[1]->type.shape);
  if (v.op == OpKind::Conv2dGradInput) return window(v.info(), v.attrs, v.operands[0]->type.shape);
  if (v.op == OpKind::Conv2dGradWeight) return window(v.info(), v.attrs, std::get<std::vector<Dim>>(v.attr("shape")));
  return window(v.info(), v.attrs);
}

} // namespace nncc::ir
