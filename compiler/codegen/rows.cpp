// Ops that work on 1-D slices along an axis: logsumexp, softmax,
// log_softmax, layernorm (last axis), argmax and max's gradient. Each slice
// is processed in a few passes with the max subtracted first (stable forms).
#include "compiler/codegen/emitter.h"

#include <cmath>
#include <optional>
#include <llvm/IR/Intrinsics.h>

namespace nncc::codegen {

using ir::OpKind;
using llvm::Value;

void emit_row_op(Kernel &k, const ir::Value &v, std::span<const ir::Value *const> prologue, std::span<const ir::Value *const> inputs) {
  auto &b = k.b();
  k.allow_reassociation();
  std::optional<FusedElements> fused;
  if (!prologue.empty()) fused.emplace(k, prologue, inputs, std::span<const ir::Value *const>());

  const ir::Value &x = *v.operands[0];
  ir::DType d = x.type.dtype;
  std::optional<int64_t> axis = v.op == OpKind::Layernorm ? std::optional<int64_t>(-1) : v.optional_int_attr("axis");
  AxisView view(k, x.type.shape, axis);
  if (v.op == OpKind::MaxGrad) k.fill(d, k.out(), k.numel(x.type.shape), k.fconst(d, 0));
  view.for_each_group(k, [&](Value *group, Value *base, Value *stride) {
    Slice in{k, d, k.in(0), base, stride, view.n};
    if (fused)
      in.element = [&](Value *flat) { return fused->evaluate(k, std::vector<Value *>(inputs.size(), flat), flat); };
    Slice out{k, v.type.dtype, k.out(), base, stride, view.n};
    switch (v.op) {
    case OpKind::Logsumexp: k.store(d, in.logsumexp(), k.out(), group); break;
    case OpKind::Argmax: k.store(ir::DType::I32, b.CreateTrunc(in.argmax(), b.getInt32Ty()), k.out(), group); break;
    case OpKind::MaxGrad: k.store(d, k.load(d, k.in(1), group), k.out(), in.at(in.argmax())); break;
    case OpKind::Softmax:
    case OpKind::LogSoftmax: {
      Value *lse = in.logsumexp();
      k.loop(view.n, [&](Value *j) {
        Value *logp = b.CreateFSub(in.load(j), lse);
        k.store(d, v.op == OpKind::Softmax ? emit_exp(k, d, logp) : logp, k.out(), out.at(j));
      });
      break;
    }
    case OpKind::Layernorm: {
      Value *n = b.CreateUIToFP(view.n, k.elt(d));
      Value *mean = b.CreateFDiv(in.sum([&](Value *j) { return in.load(j); }), n);
      Value *var = b.CreateFDiv(in.sum([&](Value *j) {
        Value *c = b.CreateFSub(in.load(j), mean);
        return b.CreateFMul(c, c);
      }), n);
      Value *inv = b.CreateFDiv(k.fconst(d, 1), b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, b.CreateFAdd(var, k.fconst(d, v.float_attr("eps")))));
      k.loop(view.n, [&](Value *j) { k.store(d, b.CreateFMul(b.CreateFSub(in.load(j), mean), inv), k.out(), out.at(j)); });
      break;
    }
#define ROW_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
      throw std::logic_error(fmt::format("codegen: '{}' is not a row op", v.info().name));
    }
  });
}

} // namespace nncc::codegen
