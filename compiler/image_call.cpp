#include "compiler/image_call.h"

#include "ir/image_ops.h"

namespace nncc::compiler {

namespace {
/// The image the window slides over, and the image it makes (or their gradients).
std::pair<const ir::Type &, const ir::Type &> input_and_output(const ir::Value &v) {
  using ir::OpKind;
  if (v.op == OpKind::Conv2dGradInput) return {v.type, v.operands[1]->type}; // (W, dy) -> dx
  if (v.op == OpKind::Conv2dGradWeight || v.op == OpKind::MaxPool2dGrad || v.op == OpKind::AvgPool2dGrad)
    return {v.operands[0]->type, v.operands[1]->type}; // x, then dy (or y, of dy's type)
  return {v.operands[0]->type, v.type};                // the forward ops: x -> y
}
} // namespace

const ir::Type &image_input(const ir::Value &v) { return input_and_output(v).first; }

nncc_conv_shape conv_shape(const ir::Value &v, int64_t n) {
  auto [in, out] = input_and_output(v);
  ir::Window2d w = v.op == ir::OpKind::Relayout ? ir::Window2d{} : ir::window_of(v);
  // Which side is stored blocked: the image the window slides over (x, or
  // the dx a gradient makes), and the image it makes (y, or the dy a gradient reads).
  using ir::OpKind;
  auto blocked = [](const ir::Value *x) { return x->layout == ir::Layout::Blocked; };
  const ir::Value *input_side = v.op == OpKind::Conv2dGradInput ? &v : v.operands[0];
  const ir::Value *output_side = v.op == OpKind::Conv2dGradInput || v.op == OpKind::Conv2dGradWeight || v.op == OpKind::MaxPool2dGrad ||
                                         v.op == OpKind::AvgPool2dGrad
                                     ? v.operands.back()
                                     : &v;
  int64_t layout = (blocked(input_side) ? NNCC_INPUT_BLOCKED : 0) | (blocked(output_side) ? NNCC_OUTPUT_BLOCKED : 0);
  return {n,           in.shape[1].size, in.shape[2].size, in.shape[3].size, out.shape[1].size, w.kernel[0], w.kernel[1],
          out.shape[2].size, out.shape[3].size, w.stride[0], w.stride[1], w.padding[0], w.padding[1], w.dilation[0], w.dilation[1],
          w.groups, layout};
}

} // namespace nncc::compiler
