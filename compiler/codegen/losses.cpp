// Losses (scalar means over the batch) and the fused gradients autodiff
// emits for them: cross_entropy's (softmax(z) - target) / B never goes
// through log(softmax). Definitions as PyTorch's (SPEC §1.6).
#include "compiler/codegen/emitter.h"

#include <llvm/IR/Intrinsics.h>

namespace nncc::codegen {

using ir::OpKind;
using llvm::Value;

namespace {

/// cross_entropy, its gradient and nll: rows of z [.., C] against integer
/// labels y [..] or soft targets y [.., C].
void emit_class_loss(Kernel &k, const ir::Value &v) {
  auto &b = k.b();
  const ir::Value &z = *v.operands[0], &y = *v.operands[1];
  ir::DType d = z.type.dtype;
  bool labels = y.type.dtype == ir::DType::I32;
  AxisView rows(k, z.type.shape, -1);
  Value *classes = rows.n, *batch = b.CreateUIToFP(rows.outer, k.elt(d));
  double alpha = v.op == OpKind::Nll ? 0.0 : v.float_attr("label_smoothing");
  Value *total = k.local(k.elt(d), k.fconst(d, 0));
  rows.for_each_group(k, [&](Value *row, Value *base, Value *) {
    Slice zs{k, d, k.in(0), base, k.i64(1), classes};
    Value *label = labels ? b.CreateSExt(k.load(ir::DType::I32, k.in(1), row), b.getInt64Ty()) : nullptr;
    if (v.op == OpKind::Nll) {
      b.CreateStore(b.CreateFSub(b.CreateLoad(k.elt(d), total), zs.load(label)), total);
      return;
    }
    // target = (1 - alpha) onehot(y) (or y itself) + alpha / C
    auto target = [&](Value *j) {
      Value *t = labels ? b.CreateSelect(b.CreateICmpEQ(j, label), k.fconst(d, 1), k.fconst(d, 0)) : k.load(d, k.in(1), zs.at(j));
      return b.CreateFAdd(b.CreateFMul(t, k.fconst(d, 1 - alpha)), b.CreateFDiv(k.fconst(d, alpha), b.CreateUIToFP(classes, k.elt(d))));
    };
    Value *lse = zs.logsumexp();
    if (v.op == OpKind::CrossEntropyGrad) {
      k.loop(classes, [&](Value *j) {
        Value *p = emit_exp(k, d, b.CreateFSub(zs.load(j), lse));
        k.store(d, b.CreateFDiv(b.CreateFSub(p, target(j)), batch), k.out(), zs.at(j));
      });
      return;
    }
    Value *row_loss = zs.sum([&](Value *j) { return b.CreateFMul(target(j), b.CreateFSub(lse, zs.load(j))); });
    b.CreateStore(b.CreateFAdd(b.CreateLoad(k.elt(d), total), row_loss), total);
  });
  if (v.op != OpKind::CrossEntropyGrad) k.store(d, b.CreateFDiv(b.CreateLoad(k.elt(d), total), batch), k.out(), k.i64(0));
}

/// bce, bce_with_logits, mse, hinge: mean over all elements of f(p, t).
void emit_pairwise_loss(Kernel &k, const ir::Value &v) {
  auto &b = k.b();
  ir::DType d = v.type.dtype;
  auto c = [&](double x) { return k.fconst(d, x); };
  auto max = [&](Value *x, Value *y) { return b.CreateSelect(b.CreateFCmpOGE(x, y), x, y); };
  const ir::Value &p = *v.operands[0];
  Slice all{k, d, k.in(0), k.i64(0), k.i64(1), k.numel(p.type.shape)};
  double margin = v.op == OpKind::Hinge ? v.float_attr("margin") : 0.0;
  Value *s = all.sum([&](Value *i) {
    Value *a = all.load(i), *t = k.load(d, k.in(1), i);
    switch (v.op) {
    case OpKind::Bce: // PyTorch's BCELoss clamps each log at -100
      return b.CreateFNeg(b.CreateFAdd(b.CreateFMul(t, max(emit_log(k, d, a), c(-100))),
                                       b.CreateFMul(b.CreateFSub(c(1), t), max(emit_log(k, d, b.CreateFSub(c(1), a)), c(-100)))));
    case OpKind::BceWithLogits: { // max(a, 0) - a t + log(1 + exp(-|a|))
      Value *e = emit_exp(k, d, b.CreateFNeg(b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, a)));
      return b.CreateFAdd(b.CreateFSub(max(a, c(0)), b.CreateFMul(a, t)), emit_log(k, d, b.CreateFAdd(c(1), e)));
    }
    case OpKind::Mse: {
      Value *diff = b.CreateFSub(a, t);
      return b.CreateFMul(diff, diff);
    }
    case OpKind::Hinge: return max(c(0), b.CreateFAdd(b.CreateFSub(c(margin), a), t));
    case OpKind::CrossEntropy:
    case OpKind::CrossEntropyGrad:
    case OpKind::Nll:
#define LOSS_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
      break;
    }
    throw std::logic_error(fmt::format("codegen: '{}' is not a pairwise loss", v.info().name));
  });
  k.store(d, b.CreateFDiv(s, b.CreateUIToFP(all.n, k.elt(d))), k.out(), k.i64(0));
}

} // namespace

void emit_loss(Kernel &k, const ir::Value &v) {
  k.allow_reassociation();
  switch (v.op) {
  case OpKind::CrossEntropy:
  case OpKind::CrossEntropyGrad:
  case OpKind::Nll: return emit_class_loss(k, v);
  case OpKind::Bce:
  case OpKind::BceWithLogits:
  case OpKind::Mse:
  case OpKind::Hinge: return emit_pairwise_loss(k, v);
#define LOSS_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
    break;
  }
  throw std::logic_error(fmt::format("codegen: '{}' is not a loss", v.info().name));
}

} // namespace nncc::codegen
