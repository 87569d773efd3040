// Elementwise ops, alone or as a fused group (a chain whose intermediate
// values nothing else reads): one loop nest over the output, inputs read
// with broadcast strides, intermediates kept in registers, constants
// folded in as immediates.
#include "compiler/codegen/emitter.h"

#include "compiler/codegen/runtime_calls.h"

#include <algorithm>
#include <numbers>
#include <llvm/IR/Intrinsics.h>
#include <unordered_map>

namespace nncc::codegen {

using ir::OpKind;
using llvm::Value;

ElementEnv prepare_element(Kernel &k, const ir::Value &v) {
  ElementEnv env;
  env.count = k.numel(v.type.shape);
  if (v.info().has(ir::opflag::RANDOM)) {
    auto &b = k.b();
    auto base = NNCC_RUNTIME_CALLEE(k.mc.module, nncc_rt_dropout_base);
    env.random_base = b.CreateCall(base, {k.ctx(), k.i64(v.int_attr("key"))});
    // A batch-first value of a data-parallel shard: its rows' global indices.
    bool batch_first = !v.type.shape.empty() && v.type.shape[0].is_symbolic();
    auto first_row = NNCC_RUNTIME_CALLEE(k.mc.module, nncc_rt_first_row);
    env.random_offset = batch_first ? b.CreateMul(b.CreateCall(first_row, {k.ctx()}), k.numel(v.type.shape, 1)) : k.i64(0);
  }
  if (v.op == OpKind::Tril) {
    env.rows = k.dim(v.type.shape[v.type.shape.size() - 2]);
    env.cols = k.dim(v.type.shape.back());
  }
  return env;
}

namespace {

/// The scaled keep-mask of dropout: 1/(1-p) where uniform >= p, else 0,
/// with uniform = (mix64(base ^ i) >> 11) * 2^-53 as in nncc/rng.h.
Value *dropout_scale(Kernel &k, const ir::Value &v, const ElementEnv &env) {
  auto &b = k.b();
  ir::DType d = v.type.dtype;
  double p = v.float_attr("p");
  if (p == 0) return k.fconst(d, 1.0);
  Value *z = b.CreateAdd(b.CreateXor(env.random_base, b.CreateAdd(env.flat, env.random_offset)), b.getInt64(0x9E3779B97F4A7C15ull));
  z = b.CreateMul(b.CreateXor(z, b.CreateLShr(z, 30)), b.getInt64(0xBF58476D1CE4E5B9ull));
  z = b.CreateMul(b.CreateXor(z, b.CreateLShr(z, 27)), b.getInt64(0x94D049BB133111EBull));
  z = b.CreateXor(z, b.CreateLShr(z, 31));
  Value *u = b.CreateUIToFP(b.CreateLShr(z, 11), b.getDoubleTy());
  Value *keep = b.CreateFCmpOGE(u, llvm::ConstantFP::get(b.getDoubleTy(), p * 0x1.0p53));
  return b.CreateSelect(keep, k.fconst(d, 1.0 / (1.0 - p)), k.fconst(d, 0.0));
}

} // namespace

Value *emit_element(Kernel &k, const ir::Value &v, const std::vector<Value *> &xs, const ElementEnv &env) {
  auto &b = k.b();
  ir::DType d = v.type.dtype;
  auto c = [&](double value) { return k.fconst(d, value); };
  auto mask = [&](Value *cond) { return b.CreateSelect(cond, c(1), c(0)); };
  switch (v.op) {
  case OpKind::Add: return b.CreateFAdd(xs[0], xs[1]);
  case OpKind::Sub: return b.CreateFSub(xs[0], xs[1]);
  case OpKind::Mul: return b.CreateFMul(xs[0], xs[1]);
  case OpKind::Div: return b.CreateFDiv(xs[0], xs[1]);
  case OpKind::Maximum: return b.CreateSelect(b.CreateFCmpOGE(xs[0], xs[1]), xs[0], xs[1]);
  case OpKind::Minimum: return b.CreateSelect(b.CreateFCmpOLE(xs[0], xs[1]), xs[0], xs[1]);
  case OpKind::Greater: return mask(b.CreateFCmpOGT(xs[0], xs[1]));
  case OpKind::GreaterEqual: return mask(b.CreateFCmpOGE(xs[0], xs[1]));
  case OpKind::Neg: return b.CreateFNeg(xs[0]);
  case OpKind::Pow: return emit_pow(k, d, xs[0], v.float_attr("exponent"));
  case OpKind::Exp: return emit_exp(k, d, xs[0]);
  case OpKind::Log: return emit_log(k, d, xs[0]);
  case OpKind::Sqrt: return b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, xs[0]);
  case OpKind::Square: return b.CreateFMul(xs[0], xs[0]);
  case OpKind::Abs: return b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, xs[0]);
  case OpKind::Tanh: return emit_tanh(k, d, xs[0]);
  case OpKind::Sigmoid: return emit_sigmoid(k, d, xs[0]);
  case OpKind::LogSigmoid: return b.CreateFNeg(emit_softplus(k, d, b.CreateFNeg(xs[0]))); // min(x, 0) - log1p(exp(-|x|))
  case OpKind::Softplus: return emit_softplus(k, d, xs[0]);
  case OpKind::Gelu: return b.CreateFMul(xs[0], emit_normal_cdf(k, d, xs[0]));
  case OpKind::GeluGrad: { // Phi(x) + x exp(-x^2 / 2) / sqrt(2 pi)
    Value *density = b.CreateFMul(emit_exp(k, d, b.CreateFMul(b.CreateFMul(xs[0], xs[0]), c(-0.5))), c(std::numbers::inv_sqrtpi / std::numbers::sqrt2));
    return b.CreateFAdd(emit_normal_cdf(k, d, xs[0]), b.CreateFMul(xs[0], density));
  }
  case OpKind::Relu: return b.CreateSelect(b.CreateFCmpOGT(xs[0], c(0)), xs[0], c(0));
  case OpKind::LeakyRelu:
    return b.CreateSelect(b.CreateFCmpOGT(xs[0], c(0)), xs[0], b.CreateFMul(xs[0], c(v.float_attr("alpha"))));
  case OpKind::Step: return mask(b.CreateFCmpOGE(xs[0], c(0)));
  case OpKind::Sign: return b.CreateFSub(mask(b.CreateFCmpOGT(xs[0], c(0))), mask(b.CreateFCmpOLT(xs[0], c(0))));
  case OpKind::ZerosLike: return c(0);
  case OpKind::Dropout: return b.CreateFMul(xs[0], dropout_scale(k, v, env));
  case OpKind::DropoutMask: return dropout_scale(k, v, env);
  case OpKind::Tril: { // element (row, col) of its matrix: kept when col <= row
    Value *col = b.CreateURem(env.flat, env.cols), *row = b.CreateURem(b.CreateUDiv(env.flat, env.cols), env.rows);
    return b.CreateSelect(b.CreateICmpULE(col, row), xs[0], c(v.float_attr("fill")));
  }
  case OpKind::BroadcastTo: return xs[0];
  case OpKind::Cast: {
    llvm::Type *to = k.elt(d);
    Value *x = xs[0]->getType() == to ? xs[0] : b.CreateFPCast(xs[0], to);
    return d == ir::DType::BF16 ? k.round_to_bf16(x) : x;
  }
  case OpKind::BceGrad: { // (p - t) / max(p (1 - p), 1e-12) / n
    Value *pq = b.CreateFMul(xs[0], b.CreateFSub(c(1), xs[0]));
    Value *den = b.CreateSelect(b.CreateFCmpOGE(pq, c(1e-12)), pq, c(1e-12));
    Value *n = b.CreateUIToFP(env.count, k.elt(d));
    return b.CreateFDiv(b.CreateFDiv(b.CreateFSub(xs[0], xs[1]), den), n);
  }
  // The other families' ops never come here.
#define LOOP_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
    break;
  }
  throw std::logic_error(fmt::format("codegen: '{}' is not elementwise", v.info().name));
}

FusedElements::FusedElements(Kernel &k, std::span<const ir::Value *const> group, std::span<const ir::Value *const> inputs,
                             std::span<const ir::Value *const> stored)
    : group_(group), inputs_(inputs), stored_(stored) {
  for (const ir::Value *v : group) envs_[v] = prepare_element(k, *v);
}

Value *FusedElements::evaluate(Kernel &k, std::span<Value *const> input_offsets, Value *flat,
                               std::span<const std::pair<const ir::Value *, Value *>> given) const {
  // Each member's element in registers; inputs loaded where first read.
  std::unordered_map<const ir::Value *, Value *> element(given.begin(), given.end());
  auto operand = [&](const ir::Value *o) -> Value * {
    if (auto it = element.find(o); it != element.end()) return it->second;
    if (!o->is_argument() && o->info().has(ir::opflag::CONSTANT)) return element[o] = k.fconst(o->type.dtype, o->float_attr("value"));
    size_t i = static_cast<size_t>(std::find(inputs_.begin(), inputs_.end(), o) - inputs_.begin());
    return element[o] = k.load(o->type.dtype, k.in(i), input_offsets[i]);
  };
  for (const ir::Value *v : group_) {
    std::vector<Value *> xs;
    for (const ir::Value *o : v->operands) xs.push_back(operand(o));
    ElementEnv env = envs_.at(v);
    env.flat = flat;
    element[v] = emit_element(k, *v, xs, env);
  }
  for (size_t j = 0; j < stored_.size(); ++j)
    k.store(stored_[j]->type.dtype, element.at(stored_[j]), k.in(inputs_.size() + j), flat);
  return element.at(group_.back());
}

void emit_elementwise(Kernel &k, std::span<const ir::Value *const> group, std::span<const ir::Value *const> inputs,
                      std::span<const ir::Value *const> stored) {
  const ir::Value &root = *group.back();
  FusedElements elements(k, group, inputs, stored);
  k.independent_iterations();
  LoopNest nest(root.type.shape);
  nest.add(root.type.shape);
  for (const ir::Value *in : inputs) nest.add(in->type.shape);
  nest.emit(k, [&](const std::vector<Value *> &at) {
    k.store(root.type.dtype, elements.evaluate(k, std::span(at).subspan(1), at[0]), k.out(), at[0]);
  });
}

} // namespace nncc::codegen
