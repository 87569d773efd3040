// sum, mean, max (over an axis or all) and sum_to: one loop nest over the
// input (loaded, or computed by a fused elementwise prologue) that
// accumulates into the output, which is read with stride 0 along
// the reduced dimensions. Reassociation is allowed so that LLVM vectorizes
// the sums (the order of float additions differs from the interpreter's by
// rounding only). On several threads each part takes a share of a loop over
// the output (its rows, or its columns when the rows are summed: a bias
// gradient), so every output element is summed by one thread in the order
// of one thread: the same bits whatever the thread count.
#include "compiler/codegen/emitter.h"

#include <cmath>
#include <optional>

namespace nncc::codegen {

using ir::OpKind;
using llvm::Value;

void emit_reduction(Kernel &k, const ir::Value &v, std::span<const ir::Value *const> prologue,
                    std::span<const ir::Value *const> inputs, std::span<const ir::Value *const> stored) {
  auto &b = k.b();
  k.allow_reassociation();

  const ir::Value &x = *v.operands[0];
  ir::DType d = v.type.dtype;
  // The output as a tensor of x's rank with the reduced dims of size 1.
  ir::Shape kept = x.type.shape;
  if (v.op == OpKind::SumTo) {
    kept = v.type.shape;
  } else if (auto axis = v.optional_int_attr("axis")) {
    kept[ir::axis_index(*axis, x.type.rank())] = ir::Dim::fixed(1);
  } else {
    for (ir::Dim &dim : kept) dim = ir::Dim::fixed(1);
  }
  bool is_max = v.op == OpKind::Max;
  Value *count = k.numel(v.type.shape);
  // The output elements this kernel accumulates into: all, or in a shared
  // kernel the part's own (the nest splits a loop over the output).
  Value *first = k.i64(0), *last = count;
  auto start = [&](Value *from, Value *to) {
    first = from, last = to;
    k.loop(first, last, [&](Value *i) { k.store(d, k.fconst(d, is_max ? -INFINITY : 0.0), k.out(), i); });
  };
  if (!k.shared()) start(first, last);

  std::optional<FusedElements> operand;
  if (!prologue.empty()) operand.emplace(k, prologue, inputs, stored);
  LoopNest nest(x.type.shape);
  nest.add(x.type.shape);
  nest.add(kept);
  if (operand)
    for (const ir::Value *in : inputs) nest.add(in->type.shape);
  nest.emit(k, [&](const std::vector<Value *> &at) {
    Value *e = operand ? operand->evaluate(k, std::span(at).subspan(2), at[0]) : k.load(d, k.in(0), at[0]);
    Value *acc = k.load(d, k.out(), at[1]);
    k.store(d, is_max ? b.CreateSelect(b.CreateFCmpOLT(acc, e), e, acc) : b.CreateFAdd(acc, e), k.out(), at[1]);
  }, /*split_tensor=*/1, start);
  if (v.op == OpKind::Mean) {
    Value *n = b.CreateUDiv(k.numel(x.type.shape), b.CreateSelect(b.CreateICmpEQ(count, k.i64(0)), k.i64(1), count));
    Value *scale = b.CreateFDiv(k.fconst(d, 1.0), b.CreateUIToFP(n, k.elt(d)));
    k.loop(first, last, [&](Value *i) { k.store(d, b.CreateFMul(k.load(d, k.out(), i), scale), k.out(), i); });
  }
}

} // namespace nncc::codegen
