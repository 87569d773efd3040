#include "compiler/image_call.h"

#include "ir/image_ops.h"

namespace nncc::compiler {

namespace {
/// The image the window slides over (x, or the dx a gradient makes), and the
/// image it makes (y, or the dy a gradient reads; max pooling's gradient also
/// reads y, of dy's type and layout).
std::pair<const ir::Value &, const ir::Value &> input_and_output(const ir::Value &v) {
  using ir::OpKind;
  if (v.op == OpKind::Conv2dGradInput) return {v, *v.operands[1]}; // (W, dy) -> dx
  if (v.op == OpKind::Conv2dGradWeight || v.op == OpKind::MaxPool2dGrad || v.op == OpKind::AvgPool2dGrad)
    return {*v.operands[0], *v.operands.back()}; // x, then dy
  return {*v.operands[0], v};                    // the forward ops: x -> y
}
} // namespace

const ir::Type &image_input(const ir::Value &v) { return input_and_output(v).first.type; }

nncc_conv_shape conv_shape(const ir::Value &v, int64_t n) {
  auto [input, output] = input_and_output(v);
  const ir::Type &in = input.type, &out = output.type;
  ir::Window2d w = v.op == ir::OpKind::Relayout ? ir::Window2d{} : ir::window_of(v);
  auto blocked = [](const ir::Value &x) { return x.layout == ir::Layout::Blocked; };
  int64_t layout = (blocked(input) ? NNCC_INPUT_BLOCKED : 0) | (blocked(output) ? NNCC_OUTPUT_BLOCKED : 0);
  return {n,           in.shape[1].size, in.shape[2].size, in.shape[3].size, out.shape[1].size, w.kernel[0], w.kernel[1],
          out.shape[2].size, out.shape[3].size, w.stride[0], w.stride[1], w.padding[0], w.padding[1], w.dilation[0], w.dilation[1],
          w.groups, layout};
}

} // namespace nncc::compiler
