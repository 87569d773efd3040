// simplify: constant folding and algebraic identities, each a small named
// rule (the names appear in --print-after-all). A rule only replaces a
// value by one of exactly the same type, so broadcasting is never lost:
// x * 1 is x only when x already has the product's shape.
#include "compiler/passes/pass_registry.h"

#include <cmath>
#include <unordered_map>

namespace nncc::compiler {

namespace {

using ir::OpKind;
using ir::Value;

bool is_const(const Value *v, double value) {
  return v->op == OpKind::Const && !v->is_argument() && ir::attr_float(v->attrs[0]) == value;
}

bool same_type(const Value *a, const Value *b) { return a->type == b->type; }

/// x op c or c op x, with c the constant `value` and x of the result's type.
Value *other_than_const(Value &v, double value, bool either_side) {
  Value *a = v.operands[0], *b = v.operands[1];
  if (is_const(b, value) && same_type(a, &v)) return a;
  if (either_side && is_const(a, value) && same_type(b, &v)) return b;
  return nullptr;
}

/// Scalar constants in, a scalar constant out: v becomes a const in place.
Value *fold_scalar(Value &v) {
  if (v.is_argument() || v.op == OpKind::Const || v.operands.empty() || !v.type.shape.empty() || v.type.dtype == ir::DType::I32) return nullptr;
  std::vector<double> x;
  for (const Value *o : v.operands) {
    if (o->op != OpKind::Const || o->is_argument()) return nullptr;
    x.push_back(ir::attr_float(o->attrs[0]));
  }
  double r = 0;
  switch (v.op) {
  case OpKind::Add: r = x[0] + x[1]; break;
  case OpKind::Sub: r = x[0] - x[1]; break;
  case OpKind::Mul: r = x[0] * x[1]; break;
  case OpKind::Div: r = x[0] / x[1]; break;
  case OpKind::Neg: r = -x[0]; break;
  case OpKind::Square: r = x[0] * x[0]; break;
  case OpKind::Sqrt: r = std::sqrt(x[0]); break;
  case OpKind::Exp: r = std::exp(x[0]); break;
  case OpKind::Log: r = std::log(x[0]); break;
  default: return nullptr;
  }
  if (v.type.dtype == ir::DType::F32) r = static_cast<float>(r); // what f32 arithmetic gives
  v.op = OpKind::Const;
  v.operands.clear();
  v.attrs = {r, v.type.dtype};
  return &v;
}

struct Rule {
  const char *name;
  OpKind op; // the op the rule looks at (Const: any)
  Value *(*apply)(Value &v);
};

const Rule kRules[] = {
    {"fold-constants", OpKind::Const, fold_scalar},
    {"mul-by-one", OpKind::Mul, [](Value &v) { return other_than_const(v, 1.0, true); }},
    {"add-zero", OpKind::Add, [](Value &v) { return other_than_const(v, 0.0, true); }},
    {"sub-zero", OpKind::Sub, [](Value &v) { return other_than_const(v, 0.0, false); }},
    {"div-by-one", OpKind::Div, [](Value &v) { return other_than_const(v, 1.0, false); }},
    {"double-negation", OpKind::Neg,
     [](Value &v) { return v.operands[0]->op == OpKind::Neg && !v.operands[0]->is_argument() ? v.operands[0]->operands[0] : nullptr; }},
    {"transpose-of-transpose", OpKind::Transpose,
     [](Value &v) {
       Value *inner = v.operands[0];
       return inner->op == OpKind::Transpose && !inner->is_argument() && same_type(inner->operands[0], &v) ? inner->operands[0] : nullptr;
     }},
    {"reshape-of-reshape", OpKind::Reshape,
     [](Value &v) -> Value * {
       Value *inner = v.operands[0];
       if (inner->op != OpKind::Reshape || inner->is_argument()) return nullptr;
       v.operands[0] = inner->operands[0]; // reshape(reshape(x)) reads x directly
       return &v;
     }},
    {"reshape-to-same-shape", OpKind::Reshape, [](Value &v) { return same_type(v.operands[0], &v) ? v.operands[0] : nullptr; }},
    {"broadcast-to-same-shape", OpKind::BroadcastTo, [](Value &v) { return same_type(v.operands[0], &v) ? v.operands[0] : nullptr; }},
    {"sum-to-same-shape", OpKind::SumTo, [](Value &v) { return same_type(v.operands[0], &v) ? v.operands[0] : nullptr; }},
};

} // namespace

void run_simplify(ir::Function &fn, PassContext &ctx) {
  std::unordered_map<const Value *, Value *> replaced;
  for (Value *v : fn.body()) {
    for (Value *&o : v->operands)
      if (auto it = replaced.find(o); it != replaced.end()) o = it->second;
    for (bool changed = true; changed;) {
      changed = false;
      for (const Rule &rule : kRules) {
        if (rule.op != OpKind::Const && rule.op != v->op) continue;
        Value *r = rule.apply(*v);
        if (!r) continue;
        ctx.fired(rule.name);
        if (r != v) {
          replaced[v] = r;
          break;
        }
        changed = true; // rewritten in place: look at it again
      }
      if (replaced.count(v)) break;
    }
  }
  fn.replace_uses(replaced);
  fn.remove_unused();
}

} // namespace nncc::compiler
