// simplify: constant folding and algebraic identities, each a small named
// rule (the names appear in --print-after-all). A rule only replaces a
// value by one of exactly the same type, so broadcasting is never lost:
// x * 1 is x only when x already has the product's shape. Like fast-math
// compilers, x * 0 is taken to be 0 (x is assumed finite).
#include "compiler/passes/rewrite_rules.h"

#include "compiler/interp/interpreter.h"
#include "compiler/pipeline.h"
#include "ir/shape_rules.h"

#include <cmath>

namespace nncc::compiler {

namespace {

using ir::OpKind;
using ir::Value;

/// The scalar of a constant, or of a constant broadcast to a shape.
std::optional<double> constant_of(const Value *v) {
  if (defined_by(v, OpKind::BroadcastTo)) v = v->operands[0];
  if (!defined_by(v, OpKind::Const)) return std::nullopt;
  return ir::attr_float(v->attrs[0]);
}

bool is_const(const Value *v, double value) { return constant_of(v) == value; }

bool same_type(const Value *a, const Value *b) { return a->type == b->type; }

/// x op c or c op x, with c the constant `value` and x of the result's type.
Value *other_than_const(Value &v, double value, bool either_side) {
  Value *a = v.operands[0], *b = v.operands[1];
  if (is_const(b, value) && same_type(a, &v)) return a;
  if (either_side && is_const(a, value) && same_type(b, &v)) return b;
  return nullptr;
}

/// An elementwise op of scalar constants becomes a const in place, with the
/// value the reference interpreter gives it (rounded as f32 arithmetic would).
Value *fold_scalar(ir::Function &, Value &v) {
  const ir::OpInfo &info = v.info();
  if (info.lowering != ir::Lowering::Loop || info.has(ir::opflag::RANDOM) || !v.type.is_scalar() || !ir::is_float(v.type.dtype))
    return nullptr;
  std::vector<interp::Tensor> x;
  for (const Value *o : v.operands) {
    if (!defined_by(o, OpKind::Const)) return nullptr;
    x.push_back(interp::Tensor::scalar(ir::attr_float(o->attrs[0]), o->type.dtype));
  }
  std::vector<const interp::Tensor *> operands;
  for (const interp::Tensor &t : x) operands.push_back(&t);
  double r = interp::evaluate(v, operands, {}, {}).data.at(0);
  v.op = OpKind::Const;
  v.operands.clear();
  v.attrs = {r, v.type.dtype};
  return &v;
}

/// x * 0 (either side) becomes the zero broadcast to the product's shape.
Value *mul_by_zero(ir::Function &, Value &v) {
  for (Value *o : v.operands) {
    if (!is_const(o, 0.0)) continue;
    if (same_type(o, &v)) return o;
    Value *zero = defined_by(o, OpKind::BroadcastTo) ? o->operands[0] : o;
    if (zero->type.is_scalar()) {
      v.op = OpKind::BroadcastTo;
      v.operands = {zero};
      v.attrs = {v.type.shape};
      return &v;
    }
  }
  return nullptr;
}

/// How many copies of each element of `from` a broadcast to `to` makes,
/// when that is a static number.
std::optional<int64_t> broadcast_factor(const ir::Shape &from, const ir::Shape &to) {
  int64_t factor = 1;
  for (size_t k = 0; k < to.size(); ++k) {
    const ir::Dim &d = to[to.size() - 1 - k];
    bool repeated = k >= from.size() || (from[from.size() - 1 - k].is_one() && !d.is_one());
    if (!repeated) continue;
    if (d.is_symbolic()) return std::nullopt;
    factor *= d.size;
  }
  return factor;
}

/// sum_to(broadcast_to(x, S), shape of x) and sum(broadcast_to(scalar x))
/// are x times the number of copies: v becomes x * count.
Value *sum_of_broadcast(ir::Function &fn, Value &v) {
  if (v.op != OpKind::SumTo && v.op != OpKind::Sum) return nullptr;
  Value *spread = v.operands[0];
  if (!defined_by(spread, OpKind::BroadcastTo)) return nullptr;
  Value *x = spread->operands[0];
  bool sums_every_copy = v.op == OpKind::SumTo || (ir::attr_is_none(v.attrs[0]) && x->type.is_scalar());
  if (!sums_every_copy || !same_type(x, &v)) return nullptr;
  std::optional<int64_t> copies = broadcast_factor(x->type.shape, spread->type.shape);
  if (!copies) return nullptr;
  Value *count = fn.insert_before(&v, OpKind::Const, {}, {static_cast<double>(*copies), v.type.dtype},
                                  ir::Type::scalar(v.type.dtype), v.loc);
  v.op = OpKind::Mul;
  v.operands = {x, count};
  v.attrs = {};
  return &v;
}

const RewriteRule kRules[] = {
    {"fold-constants", OpKind::Const, fold_scalar},
    {"mul-by-one", OpKind::Mul, [](ir::Function &, Value &v) { return other_than_const(v, 1.0, true); }},
    {"mul-by-zero", OpKind::Mul, mul_by_zero},
    {"add-zero", OpKind::Add, [](ir::Function &, Value &v) { return other_than_const(v, 0.0, true); }},
    {"sub-zero", OpKind::Sub, [](ir::Function &, Value &v) { return other_than_const(v, 0.0, false); }},
    {"div-by-one", OpKind::Div, [](ir::Function &, Value &v) { return other_than_const(v, 1.0, false); }},
    {"double-negation", OpKind::Neg, [](ir::Function &, Value &v) { return operand_through(v, OpKind::Neg); }},
    {"transpose-of-transpose", OpKind::Transpose, // when the permutations undo each other
     [](ir::Function &, Value &v) -> Value * {
       Value *x = operand_through(v, OpKind::Transpose);
       if (!x) return nullptr;
       std::vector<size_t> outer = ir::transpose_permutation(v), inner = ir::transpose_permutation(*v.operands[0]);
       for (size_t j = 0; j < outer.size(); ++j)
         if (inner[outer[j]] != j) return nullptr;
       return x;
     }},
    {"transpose-identity", OpKind::Transpose, // axes = [0, 1, ..., r-1]
     [](ir::Function &, Value &v) -> Value * {
       std::vector<size_t> perm = ir::transpose_permutation(v);
       for (size_t j = 0; j < perm.size(); ++j)
         if (perm[j] != j) return nullptr;
       return v.operands[0];
     }},
    {"reshape-of-reshape", OpKind::Reshape,
     [](ir::Function &, Value &v) -> Value * {
       Value *x = operand_through(v, OpKind::Reshape);
       if (!x) return nullptr;
       v.operands[0] = x; // reshape(reshape(x)) reads x directly
       return &v;
     }},
    {"reshape-to-same-shape", OpKind::Reshape,
     [](ir::Function &, Value &v) { return same_type(v.operands[0], &v) ? v.operands[0] : nullptr; }},
    {"broadcast-to-same-shape", OpKind::BroadcastTo,
     [](ir::Function &, Value &v) { return same_type(v.operands[0], &v) ? v.operands[0] : nullptr; }},
    {"sum-to-same-shape", OpKind::SumTo,
     [](ir::Function &, Value &v) { return same_type(v.operands[0], &v) ? v.operands[0] : nullptr; }},
    {"sum-of-broadcast", OpKind::Const, sum_of_broadcast},
    // Each entry point has one mode: keep the batch's statistics in training,
    // the running ones in forward/evaluate (the other side becomes dead code).
    {"mode-select", OpKind::TrainingElse, [](ir::Function &fn, Value &v) { return v.operands[is_inference(fn) ? 1 : 0]; }},
};

} // namespace

void run_simplify(ir::Function &fn, PassContext &ctx) { apply_rewrite_rules(fn, ctx, kRules); }

} // namespace nncc::compiler
