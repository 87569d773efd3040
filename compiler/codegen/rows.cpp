// Ops that work on 1-D slices along an axis: logsumexp, softmax,
// log_softmax, layernorm and its gradient (last axis), argmax and max's
// gradient. Each slice is processed in a few passes with the max subtracted
// first (stable forms); a fused chain before the op is evaluated in each
// pass, one after it in the last (fuse's row-prologue and row-epilogue).
#include "compiler/codegen/emitter.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_set>
#include <llvm/IR/Intrinsics.h>

namespace nncc::codegen {

using ir::OpKind;
using llvm::Value;

namespace {

/// The members the row op's operand is computed from (its prologue), in order.
std::vector<const ir::Value *> prologue_of(std::span<const ir::Value *const> region, const ir::Value &row) {
  std::unordered_set<const ir::Value *> needed{row.operands[0]};
  std::vector<const ir::Value *> prologue;
  for (auto it = region.rbegin(); it != region.rend(); ++it)
    if (*it != &row && needed.count(*it)) {
      prologue.insert(prologue.begin(), *it);
      needed.insert((*it)->operands.begin(), (*it)->operands.end());
    }
  return prologue;
}

bool all_ones(const ir::Shape &shape) {
  return std::all_of(shape.begin(), shape.end(), [](const ir::Dim &d) { return d.is_one(); });
}

} // namespace

void emit_row_op(Kernel &k, std::span<const ir::Value *const> region, std::span<const ir::Value *const> inputs,
                 std::span<const ir::Value *const> stored) {
  auto &b = k.b();
  k.allow_reassociation();
  const ir::Value &v = **std::find_if(region.begin(), region.end(), [](const ir::Value *m) { return m->info().lowering == ir::Lowering::Row; });
  const ir::Value &root = *region.back();
  std::vector<const ir::Value *> prologue = prologue_of(region, v), epilogue;
  if (&root != &v) std::copy_if(region.begin(), region.end(), std::back_inserter(epilogue), [&](const ir::Value *m) { return m != &v; });
  std::optional<FusedElements> fused, after;
  if (!prologue.empty()) fused.emplace(k, prologue, inputs, std::span<const ir::Value *const>());
  if (!epilogue.empty()) after.emplace(k, epilogue, inputs, stored);

  const ir::Value &x = *v.operands[0];
  ir::DType d = x.type.dtype;
  std::optional<int64_t> axis = v.op == OpKind::Layernorm || v.op == OpKind::LayernormGrad ? std::optional<int64_t>(-1) : v.optional_int_attr("axis");
  AxisView view(k, x.type.shape, axis);
  // The operand's memory, when no prologue computes it: its place among the
  // region's reads (an epilogue's inputs may come first).
  Value *x_ptr = fused ? nullptr : k.in(static_cast<size_t>(std::find(inputs.begin(), inputs.end(), &x) - inputs.begin()));
  if (v.op == OpKind::MaxGrad) k.fill(d, k.out(), k.numel(x.type.shape), k.fconst(d, 0));
  view.for_each_group(k, [&](Value *group, Value *base, Value *stride) {
    Slice in{k, d, x_ptr, base, stride, view.n};
    if (fused)
      in.element = [&](Value *flat) { return fused->evaluate(k, std::vector<Value *>(inputs.size(), flat), flat); };
    Slice out{k, v.type.dtype, k.out(), base, stride, view.n};
    // Element j of the row op's result y, written out — or, with an
    // epilogue, the root computed from it (inputs of the row's shape at the
    // element's index, vectors along the row at j, scalars at 0).
    auto write = [&](Value *j, Value *y) {
      Value *flat = out.at(j);
      if (after) {
        std::vector<Value *> offsets;
        for (const ir::Value *in : inputs)
          offsets.push_back(in->type.shape == root.type.shape ? flat : all_ones(in->type.shape) ? b.getInt64(0) : j);
        std::pair<const ir::Value *, Value *> given{&v, y};
        y = after->evaluate(k, offsets, flat, std::span(&given, 1));
      }
      k.store(root.type.dtype, y, k.out(), flat);
    };
    switch (v.op) {
    case OpKind::Logsumexp: k.store(d, in.logsumexp(), k.out(), group); break;
    case OpKind::Argmax: k.store(ir::DType::I32, b.CreateTrunc(in.argmax(), b.getInt32Ty()), k.out(), group); break;
    case OpKind::MaxGrad: k.store(d, k.load(d, k.in(1), group), k.out(), in.at(in.argmax())); break;
    case OpKind::Softmax:
    case OpKind::LogSoftmax: {
      Value *lse = in.logsumexp();
      k.loop(view.n, [&](Value *j) {
        Value *logp = b.CreateFSub(in.load(j), lse);
        write(j, v.op == OpKind::Softmax ? emit_exp(k, d, logp) : logp);
      });
      break;
    }
    case OpKind::Layernorm:
    case OpKind::LayernormGrad: {
      Value *n = b.CreateUIToFP(view.n, k.elt(d));
      Value *mean = b.CreateFDiv(in.sum([&](Value *j) { return in.load(j); }), n);
      Value *var = b.CreateFDiv(in.sum([&](Value *j) {
        Value *c = b.CreateFSub(in.load(j), mean);
        return b.CreateFMul(c, c);
      }), n);
      Value *inv = b.CreateFDiv(k.fconst(d, 1), b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, b.CreateFAdd(var, k.fconst(d, v.float_attr("eps")))));
      auto y = [&](Value *j) { return b.CreateFMul(b.CreateFSub(in.load(j), mean), inv); };
      if (v.op == OpKind::Layernorm) {
        k.loop(view.n, [&](Value *j) { write(j, y(j)); });
        break;
      }
      // The gradient: two more sums over the row, then one pass writing it.
      Slice g{k, d, k.in(1), base, stride, view.n};
      Value *mean_g = b.CreateFDiv(g.sum([&](Value *j) { return g.load(j); }), n);
      Value *mean_gy = b.CreateFDiv(g.sum([&](Value *j) { return b.CreateFMul(g.load(j), y(j)); }), n);
      k.loop(view.n, [&](Value *j) {
        Value *centered = b.CreateFSub(b.CreateFSub(g.load(j), mean_g), b.CreateFMul(y(j), mean_gy));
        k.store(d, b.CreateFMul(centered, inv), k.out(), out.at(j));
      });
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
