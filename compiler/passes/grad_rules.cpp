// One rule per op: the local derivative (SPEC §1.6), the gradient of each
// operand in terms of g = dL/dy, the operands x0, x1 and the result y.
// Rules are written as expressions (compiler/passes/expr.h), which build
// the IR and its chain-rule note together.
#include "compiler/passes/grad_rules.h"

#include "compiler/passes/expr.h"
#include "ir/shape_rules.h"

#include <fmt/format.h>
#include <stdexcept>

namespace nncc::compiler {

using ir::OpKind;
using ir::Value;

namespace {

using Grads = std::vector<Expr>; // one per operand; an empty Expr: no gradient

/// What a rule is given: y = op(x0, x1, ...) and g = dL/dy.
class Rule : public ExprBuilder {
public:
  Rule(ir::Builder &b, const Value &result, Value *gradient)
      : ExprBuilder(b.function(), gradient->type.dtype, result.loc), value(result),
        g(of(gradient, gradient_name(notation(&result).text))), y(of(const_cast<Value *>(&result))) {}

  Expr x(size_t i) { return of(value.operands[i]); }
  std::optional<int64_t> axis() const { return value.optional_int_attr("axis"); }
  Expr reshape(const Expr &a, const ir::Shape &s) { return call(OpKind::Reshape, {a}, ir::attrs_of(OpKind::Reshape, {{"shape", s}}), a.text); }
  Expr pow(const Expr &a, double exponent) { return call(OpKind::Pow, {a}, ir::attrs_of(OpKind::Pow, {{"exponent", exponent}})); }
  /// broadcast_to / sum_to `a` to the shape of operand i.
  Expr to_operand_shape(OpKind op, const Expr &a, size_t i) {
    return call(op, {a}, ir::attrs_of(op, {{"shape", value.operands[i]->type.shape}}));
  }
  /// The element count (of all of a, or along an axis).
  Expr size(const Expr &a, std::optional<int64_t> ax = std::nullopt) {
    return call(OpKind::Size, {a}, ir::attrs_of(OpKind::Size, {{"axis", ax ? ir::AttrValue{*ax} : ir::NoneAttr{}}}));
  }
  /// B: the rows of a batch of class scores z [.., C].
  Expr batch(const Expr &z) { return (size(z) / size(z, -1)).as("B"); }
  Expr sum_keep(const Expr &a, std::optional<int64_t> ax) { return reduce_keep(OpKind::Sum, a, ax); }
  Expr mean_keep(const Expr &a, std::optional<int64_t> ax) { return reduce_keep(OpKind::Mean, a, ax); }
  /// A reduced value (shape of y) back at its place in `like`: keepdims
  /// shape, then broadcast to like's shape.
  Expr spread(Expr reduced, const Expr &like, bool keepdims) {
    ir::Shape keep = like.value->type.shape;
    if (!axis()) keep.assign(keep.size(), ir::Dim::fixed(1));
    else keep[ir::axis_index(*axis(), like.value->type.rank())] = ir::Dim::fixed(1);
    if (!keepdims) reduced = reshape(reduced, keep);
    return call(OpKind::BroadcastTo, {reduced}, ir::attrs_of(OpKind::BroadcastTo, {{"shape", like.value->type.shape}}));
  }

  const Value &value;
  const Expr g, y;

private:
  Expr reduce_keep(OpKind op, const Expr &a, std::optional<int64_t> ax) {
    return call(op, {a}, ir::attrs_of(op, {{"axis", ax ? ir::AttrValue{*ax} : ir::NoneAttr{}}, {"keepdims", true}}));
  }
};

Grads matmul_rule(Rule &r) {
  Expr a = r.x(0), b = r.x(1), g = r.g;
  int ra = a.value->type.rank(), rb = b.value->type.rank();
  auto col = [&](const Expr &v) { return r.reshape(v, {v.value->type.shape[0], ir::Dim::fixed(1)}); };
  auto row = [&](const Expr &v) { return r.reshape(v, {ir::Dim::fixed(1), v.value->type.shape[0]}); };
  auto outer = [&](const Expr &u, const Expr &v) { return matmul(col(u), row(v)).as(fmt::format("outer({}, {})", u.text, v.text)); };
  if (ra == 1 && rb == 1) return {g * b, g * a}; // dot product: g is a scalar
  if (ra == 2 && rb == 1) return {outer(g, b), matmul(a.T(), g)};
  if (ra == 1 && rb == 2) return {matmul(b, g), outer(a, g)};
  if (ra <= 2 && rb <= 2) return {matmul(g, b.T()), matmul(a.T(), g)};
  // Batched: the matrices' transposes (PyTorch's x.mT) in each batch
  // element; autodiff sums the products over the axes an operand was
  // broadcast along. A 1-D operand is a row [1, K] or a column [K, 1].
  auto mT = [&](const Expr &v) {
    int rank = v.value->type.rank();
    if (rank == 2) return v.T();
    std::vector<ir::Dim> axes;
    for (int i = 0; i < rank; ++i) axes.push_back(ir::Dim::fixed(i == rank - 2 ? rank - 1 : i == rank - 1 ? rank - 2 : i));
    return r.call(OpKind::Transpose, {v}, ir::attrs_of(OpKind::Transpose, {{"axes", axes}}), v.text + ".mT");
  };
  ir::Shape full = g.value->type.shape; // batch + [M, N], a vector's axis as 1
  if (rb == 1) full.push_back(ir::Dim::fixed(1));
  if (ra == 1) full.insert(full.end() - 1, ir::Dim::fixed(1));
  Expr a2 = ra == 1 ? row(a) : a, b2 = rb == 1 ? col(b) : b, g2 = ra == 1 || rb == 1 ? r.reshape(g, full) : g;
  Expr da = matmul(g2, mT(b2)), db = matmul(mT(a2), g2);
  auto back_to = [&](const Expr &d, const Expr &matrix, const Expr &vector) {
    Expr summed = r.call(OpKind::SumTo, {d}, ir::attrs_of(OpKind::SumTo, {{"shape", matrix.value->type.shape}}));
    return r.reshape(summed, vector.value->type.shape);
  };
  if (ra == 1) da = back_to(da, a2, a);
  if (rb == 1) db = back_to(db, b2, b);
  return {da, db};
}

/// sum, mean, logsumexp: g spread back over the reduced elements.
Expr spread_rule(Rule &r) {
  Expr x = r.x(0);
  bool keepdims = r.value.bool_attr("keepdims");
  Expr spread = r.spread(r.g, x, keepdims);
  if (r.value.op == OpKind::Sum) return spread;
  if (r.value.op == OpKind::Mean) return spread / r.size(x, r.axis());
  return spread * r.call(OpKind::Exp, {x - r.spread(r.y, x, keepdims)}); // logsumexp: g * softmax(x)
}

/// (g - mean(g) - y * mean(g * y)) / sqrt(var(x) + eps) along the last
/// axis: one op, whose row kernel recomputes the row's statistics from x
/// (the row is in cache) instead of six passes over stored means.
Expr layernorm_rule(Rule &r) {
  Expr x = r.x(0), g = r.g, y = r.y;
  return r.call(OpKind::LayernormGrad, {x, g}, r.value.attrs,
                fmt::format("({0} - mean({0}) - {1} * mean({0} * {1})) / sqrt(var({2}) + {3:g})", g.text, y.text, x.text,
                            r.value.float_attr("eps")));
}

Grads concat_rule(Rule &r) {
  Grads out;
  int64_t axis = r.value.int_attr("axis"), offset = 0;
  size_t a = ir::axis_index(axis, r.value.type.rank());
  for (size_t i = 0; i < r.value.operands.size(); ++i) {
    int64_t n = r.value.operands[i]->type.shape[a].size;
    auto attrs = ir::attrs_of(OpKind::Slice, {{"axis", axis}, {"start", offset}, {"end", offset + n}});
    out.push_back(r.call(OpKind::Slice, {r.g}, attrs, fmt::format("{}[{}:{}] along axis {}", r.g.text, offset, offset + n, axis)));
    offset += n;
  }
  return out;
}

/// conv2d: g through the transposed convolution to the input; the
/// correlation of the input with g, summed over the batch, to the weights.
Grads conv2d_rule(Rule &r) {
  Expr x = r.x(0), w = r.x(1), g = r.g;
  auto attrs = [&](OpKind op, const Expr &like) {
    return ir::attrs_of(op, {{"shape", like.value->type.shape}, {"stride", r.value.attr("stride")}, {"padding", r.value.attr("padding")},
                             {"dilation", r.value.attr("dilation")}, {"groups", r.value.attr("groups")}});
  };
  return {r.call(OpKind::Conv2dGradInput, {w, g}, attrs(OpKind::Conv2dGradInput, x), fmt::format("conv2d_transpose({}, {})", g.text, w.text)),
          r.call(OpKind::Conv2dGradWeight, {x, g}, attrs(OpKind::Conv2dGradWeight, w), fmt::format("conv2d_weight_grad({}, {})", x.text, g.text))};
}

/// batch_norm_train(x, stats, gamma, beta) with stats = batch_stats(x):
/// per channel, sum(g * xhat) to gamma and sum(g) to beta (one pass, the
/// sums dx needs too), and g through the normalization and the batch's
/// mean and variance to x (so stats get no gradient of their own).
Grads batch_norm_rule(Rule &r) {
  Expr x = r.x(0), stats = r.x(1), gamma = r.x(2), g = r.g;
  ir::Shape channels{x.value->type.shape[1]};
  Expr sums = r.call(OpKind::BatchNormGradSums, {x, stats, g}, r.value.attrs, fmt::format("[sum({0} * xhat), sum({0})] per channel", g.text));
  auto row = [&](int64_t i) {
    auto attrs = ir::attrs_of(OpKind::Slice, {{"axis", int64_t{0}}, {"start", i}, {"end", i + 1}});
    return r.reshape(r.call(OpKind::Slice, {sums}, attrs), channels);
  };
  Expr dx = r.call(OpKind::BatchNormGrad, {x, stats, gamma, g, sums}, r.value.attrs,
                   fmt::format("{} / sqrt(var + eps) * ({} - mean({}) - xhat * mean({} * xhat))", gamma.text, g.text, g.text, g.text));
  return {dx, {}, row(0), row(1)};
}

Grads cross_entropy_rule(Rule &r) {
  Expr z = r.x(0), t = r.x(1);
  Expr dz = r.call(OpKind::CrossEntropyGrad, {z, t}, r.value.attrs, fmt::format("(softmax({}) - target) / B", z.text)) * r.g;
  if (!ir::is_float(t.value->type.dtype)) return {dz, {}}; // integer labels
  double keep = 1 - r.value.float_attr("label_smoothing");
  Expr log_p = r.call(OpKind::LogSoftmax, {z}, ir::attrs_of(OpKind::LogSoftmax, {{"axis", int64_t{-1}}}));
  return {dz, log_p / r.batch(z) * -keep * r.g}; // soft targets
}

Grads nll_rule(Rule &r) {
  Expr logp = r.x(0);
  int64_t k = logp.value->type.shape.back().size;
  Expr hot = r.call(OpKind::Onehot, {r.x(1)}, ir::attrs_of(OpKind::Onehot, {{"num_classes", k}, {"dtype", logp.value->type.dtype}}));
  return {-(hot / r.batch(logp) * r.g), {}};
}

Grads bce_rule(Rule &r) {
  Expr p = r.x(0), t = r.x(1), n = r.size(p).as("n");
  Expr dp = r.call(OpKind::BceGrad, {p, t}, {}, fmt::format("({0} - {1}) / ({0} (1 - {0})) / n", p.text, t.text));
  Expr dt = (r.call(OpKind::Log, {1 - p}) - r.call(OpKind::Log, {p})) / n * r.g;
  return {dp * r.g, dt};
}

Grads hinge_rule(Rule &r) { // active where margin - s + s_c > 0
  Expr s = r.x(0), s_c = r.x(1);
  Expr active = r.call(OpKind::Greater, {r.value.float_attr("margin") - s + s_c, r.c(0)});
  Expr ds_c = active / r.size(s).as("n") * r.g;
  return {-ds_c, ds_c};
}

// The rules of each lowering family of ops.def. A family's switch lists the
// other families' ops from the table, so an op without a rule does not compile.

Grads elementwise_rule(Rule &r) {
  Expr g = r.g, y = r.y;
  auto x = [&](size_t i) { return r.x(i); };
  switch (r.value.op) {
  case OpKind::Add: return {g, g};
  case OpKind::Sub: return {g, -g};
  case OpKind::Mul: return {g * x(1), g * x(0)};
  case OpKind::Div: return {g / x(1), -(g * y / x(1))};
  case OpKind::Maximum: { // ties go to the first operand
    Expr to_a = g * r.call(OpKind::GreaterEqual, {x(0), x(1)});
    return {to_a, g - to_a};
  }
  case OpKind::Minimum: {
    Expr to_a = g * r.call(OpKind::GreaterEqual, {x(1), x(0)});
    return {to_a, g - to_a};
  }
  case OpKind::Neg: return {-g};
  case OpKind::Pow: {
    double c = r.value.float_attr("exponent");
    return {g * (c * r.pow(x(0), c - 1))};
  }
  case OpKind::Exp: return {g * y};
  case OpKind::Log: return {g / x(0)};
  case OpKind::Sqrt: return {g / (2 * y)};
  case OpKind::Square: return {g * (2 * x(0))};
  case OpKind::Abs: return {g * r.call(OpKind::Sign, {x(0)})};
  case OpKind::Tanh: return {g * (1 - y * y)};
  case OpKind::Sigmoid: return {g * (y * (1 - y))};
  case OpKind::LogSigmoid: return {g * r.call(OpKind::Sigmoid, {-x(0)})};
  case OpKind::Relu: return {g * r.call(OpKind::Greater, {y, r.c(0)})}; // y > 0 where x > 0: x need not be kept (nor stored by a fused epilogue)
  case OpKind::LeakyRelu: {
    double alpha = r.value.float_attr("alpha");
    return {g * (r.call(OpKind::Greater, {x(0), r.c(0)}) * (1 - alpha) + alpha)};
  }
  case OpKind::Softplus: return {g * r.call(OpKind::Sigmoid, {x(0)})};
  case OpKind::Gelu: { // Phi(u) + u phi(u): the normal CDF and density
    Expr u = x(0);
    std::string factor = u.precedence < Expr::kAtom ? "(" + u.text + ")" : u.text;
    return {g * r.call(OpKind::GeluGrad, {u}, {}, fmt::format("(Phi({}) + {} phi({}))", u.text, factor, u.text))};
  }
  case OpKind::Step: return {r.call(OpKind::ZerosLike, {x(0)}, {}, "0")}; // flat: the gradient vanishes
  case OpKind::Dropout: return {g * r.call(OpKind::DropoutMask, {x(0)}, r.value.attrs)}; // the forward's mask
  case OpKind::Tril: return {r.call(OpKind::Tril, {g}, ir::attrs_of(OpKind::Tril, {{"fill", 0.0}}))}; // g where kept, 0 where filled
  case OpKind::BroadcastTo: return {r.to_operand_shape(OpKind::SumTo, g, 0)};
  // NOT_DIFFERENTIABLE: vjp returns before asking.
  case OpKind::Greater: case OpKind::GreaterEqual: case OpKind::Sign: case OpKind::ZerosLike: case OpKind::DropoutMask: case OpKind::Cast:
  case OpKind::GeluGrad: case OpKind::BceGrad:
    break;
#define LOOP_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
    break;
  }
  throw std::logic_error(fmt::format("no elementwise derivative rule for '{}'", r.value.info().name));
}

/// Reductions and the row-wise ops (normalizations along an axis).
Grads reduction_rule(Rule &r) {
  Expr g = r.g, y = r.y;
  switch (r.value.op) {
  case OpKind::Sum:
  case OpKind::Mean:
  case OpKind::Logsumexp: return {spread_rule(r)};
  case OpKind::Max: return {r.call(OpKind::MaxGrad, {r.x(0), g}, r.value.attrs)}; // g at the (first) argmax
  case OpKind::Softmax: return {y * (g - r.sum_keep(g * y, r.value.int_attr("axis")))};
  case OpKind::LogSoftmax: return {g - r.call(OpKind::Exp, {y}) * r.sum_keep(g, r.value.int_attr("axis"))};
  case OpKind::Layernorm: return {layernorm_rule(r)};
  case OpKind::SumTo: return {r.to_operand_shape(OpKind::BroadcastTo, g, 0)};
  case OpKind::Argmax: case OpKind::MaxGrad: case OpKind::LayernormGrad: break; // NOT_DIFFERENTIABLE
#define REDUCE_OP(...)
#define ROW_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
    break;
  }
  throw std::logic_error(fmt::format("no reduction derivative rule for '{}'", r.value.info().name));
}

Grads loss_rule(Rule &r) {
  auto x = [&](size_t i) { return r.x(i); };
  switch (r.value.op) {
  case OpKind::CrossEntropy: return cross_entropy_rule(r);
  case OpKind::Nll: return nll_rule(r);
  case OpKind::Bce: return bce_rule(r);
  case OpKind::BceWithLogits: { // targets: d/dt = -z / n
    Expr z = x(0), n = r.size(z).as("n");
    return {(r.call(OpKind::Sigmoid, {z}) - x(1)) / n * r.g, -z / n * r.g};
  }
  case OpKind::Mse: {
    Expr dp = 2 * (x(0) - x(1)) / r.size(x(0)).as("n") * r.g;
    return {dp, -dp};
  }
  case OpKind::Hinge: return hinge_rule(r);
  case OpKind::CrossEntropyGrad: break; // NOT_DIFFERENTIABLE
#define LOSS_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
    break;
  }
  throw std::logic_error(fmt::format("no loss derivative rule for '{}'", r.value.info().name));
}

/// Primitives (matmul, images) and the ops that move data.
Grads structural_rule(Rule &r) {
  Expr g = r.g;
  switch (r.value.op) {
  case OpKind::Matmul: return matmul_rule(r);
  case OpKind::Conv2d: return conv2d_rule(r);
  case OpKind::BatchNormTrain: return batch_norm_rule(r);
  case OpKind::MaxPool2d: // g to the first max of each window
    return {r.call(OpKind::MaxPool2dGrad, {r.x(0), r.y, g}, r.value.attrs, fmt::format("{} at the max of each window", g.text))};
  case OpKind::AvgPool2d: // g spread evenly over each window
    return {r.call(OpKind::AvgPool2dGrad, {r.x(0), g}, r.value.attrs, fmt::format("{} spread over each window", g.text))};
  case OpKind::Transpose: {
    if (attr_is_none(r.value.attr("axes"))) return {g.T()};
    std::vector<size_t> perm = ir::transpose_permutation(r.value);
    std::vector<ir::Dim> inverse(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = ir::Dim::fixed(static_cast<int64_t>(i));
    return {r.call(OpKind::Transpose, {g}, ir::attrs_of(OpKind::Transpose, {{"axes", inverse}}),
                   fmt::format("transpose({}, axes={})", g.text, ir::shape_str(inverse)))};
  }
  case OpKind::Reshape:
  case OpKind::Flatten: return {r.reshape(g, r.value.operands[0]->type.shape)};
  case OpKind::Concat: return concat_rule(r);
  case OpKind::TrainingElse: return {g, {}}; // gradients are taken in training: of the batch statistics
  case OpKind::Embedding: {
    auto rows = ir::attrs_of(OpKind::EmbeddingGrad, {{"rows", r.value.operands[0]->type.shape[0].size}});
    return {r.call(OpKind::EmbeddingGrad, {g, r.x(1)}, rows), {}};
  }
  // NOT_DIFFERENTIABLE: vjp returns before asking.
  case OpKind::Const: case OpKind::Onehot: case OpKind::Size: case OpKind::EmbeddingGrad:
  case OpKind::Conv2dGradInput: case OpKind::Conv2dGradWeight: case OpKind::MaxPool2dGrad: case OpKind::AvgPool2dGrad:
  case OpKind::BatchStats: case OpKind::BatchNormGradSums: case OpKind::BatchNormGrad: case OpKind::Relayout:
    break;
  case OpKind::Slice: break; // only gradients slice (concat's), and gradients are not differentiated again
#define PRIMITIVE_OP(...)
#define MOVE_OP(...)
#define ALIAS_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
    break;
  }
  throw std::logic_error(fmt::format("no derivative rule for '{}'", r.value.info().name));
}

Grads rule(Rule &r) {
  switch (r.value.info().lowering) {
  case ir::Lowering::Loop: return elementwise_rule(r);
  case ir::Lowering::Reduce:
  case ir::Lowering::Row: return reduction_rule(r);
  case ir::Lowering::Loss: return loss_rule(r);
  case ir::Lowering::Move:
  case ir::Lowering::Primitive:
  case ir::Lowering::Alias: return structural_rule(r);
  }
  throw std::logic_error(fmt::format("no derivative rule for '{}'", r.value.info().name));
}

} // namespace

std::vector<Value *> vjp(ir::Builder &b, const Value &y, Value *g) {
  if (y.info().has(ir::opflag::NOT_DIFFERENTIABLE)) return std::vector<Value *>(y.operands.size(), nullptr);
  Rule r(b, y, g);
  Grads grads = rule(r);
  std::vector<Value *> out;
  for (size_t i = 0; i < grads.size(); ++i) {
    // A contribution the rule built says what it is; one it passed on (g) keeps its own note.
    if (grads[i].built) grads[i].value->note = fmt::format("{} = {}", gradient_name(notation(y.operands[i]).text), grads[i].text);
    out.push_back(grads[i].value);
  }
  return out;
}

} // namespace nncc::compiler
