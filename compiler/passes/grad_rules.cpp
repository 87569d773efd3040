// One rule per op: the local derivative (SPEC §1.6), dA = ... in terms of
// g = dL/dy, the operands and the forward result y.
#include "compiler/passes/grad_rules.h"

#include <fmt/format.h>
#include <stdexcept>

namespace nncc::compiler {

using ir::OpKind;
using ir::Value;

std::string describe(const Value *v, int depth) {
  if (!v->name.empty()) return v->name;
  if (v->op == OpKind::Const) return ir::format_attr(v->attrs[0]);
  if (depth == 0 || v->is_argument()) return "...";
  auto arg = [&](size_t i) { return describe(v->operands[i], depth - 1); };
  switch (v->op) {
  case OpKind::Add: return fmt::format("({} + {})", arg(0), arg(1));
  case OpKind::Sub: return fmt::format("({} - {})", arg(0), arg(1));
  case OpKind::Mul: return fmt::format("({} * {})", arg(0), arg(1));
  case OpKind::Div: return fmt::format("({} / {})", arg(0), arg(1));
  case OpKind::Matmul: return fmt::format("({} @ {})", arg(0), arg(1));
  default: return fmt::format("{}({})", v->info().name, v->operands.empty() ? "" : arg(0));
  }
}

namespace {

/// The builder vocabulary the rules are written in.
class Rule {
public:
  Rule(ir::Builder &b, const Value &y, Value *gradient) : g(gradient), b_(b), y_(y) {}

  Value *x(size_t i) const { return y_.operands[i]; }
  Value *y() const { return const_cast<Value *>(&y_); }
  std::string dx(size_t i) const { return "dL/d" + describe(x(i)); }
  std::string dy() const { return "dL/d" + describe(&y_); }
  template <typename T> T attr(std::string_view name) const { return std::get<T>(y_.info().attr(y_.attrs, name)); }
  double fattr(std::string_view name) const { return ir::attr_float(y_.info().attr(y_.attrs, name)); }
  std::optional<int64_t> axis() const {
    const ir::AttrValue &a = y_.info().attr(y_.attrs, "axis");
    return ir::attr_is_none(a) ? std::nullopt : std::optional(std::get<int64_t>(a));
  }

  Value *op(OpKind k, std::vector<Value *> xs, ir::Attrs attrs = {}) { return b_.create(k, std::move(xs), std::move(attrs), y_.loc); }
  Value *c(double v) { return b_.constant(v, g->type.dtype, y_.loc); }
  Value *add(Value *a, Value *b) { return op(OpKind::Add, {a, b}); }
  Value *sub(Value *a, Value *b) { return op(OpKind::Sub, {a, b}); }
  Value *mul(Value *a, Value *b) { return op(OpKind::Mul, {a, b}); }
  Value *div(Value *a, Value *b) { return op(OpKind::Div, {a, b}); }
  Value *neg(Value *a) { return op(OpKind::Neg, {a}); }
  Value *T(Value *a) { return op(OpKind::Transpose, {a}); }
  Value *matmul(Value *a, Value *b) { return op(OpKind::Matmul, {a, b}); }
  Value *reshape(Value *a, const ir::Shape &s) { return op(OpKind::Reshape, {a}, {s}); }
  Value *size(Value *a, std::optional<int64_t> ax) { return op(OpKind::Size, {a}, {ax ? ir::AttrValue{*ax} : ir::NoneAttr{}}); }
  Value *sum_keep(Value *a, std::optional<int64_t> ax) {
    return op(OpKind::Sum, {a}, {ax ? ir::AttrValue{*ax} : ir::NoneAttr{}, true});
  }
  Value *mean_keep(Value *a, std::optional<int64_t> ax) {
    return op(OpKind::Mean, {a}, {ax ? ir::AttrValue{*ax} : ir::NoneAttr{}, true});
  }
  /// A reduced value (shape of y) back at its place in x: keepdims shape,
  /// then broadcast to x's shape.
  Value *spread(Value *reduced, Value *like, std::optional<int64_t> ax, bool keepdims) {
    ir::Shape keep = like->type.shape;
    if (!ax) keep.assign(keep.size(), ir::Dim::fixed(1));
    else keep[static_cast<size_t>(*ax < 0 ? *ax + like->type.rank() : *ax)] = ir::Dim::fixed(1);
    if (!keepdims) reduced = reshape(reduced, keep);
    return op(OpKind::BroadcastTo, {reduced}, {like->type.shape});
  }
  /// Labels a contribution with its chain-rule term.
  Value *note(Value *v, std::string text) {
    v->note = std::move(text);
    return v;
  }

  Value *const g;

private:
  ir::Builder &b_;
  const Value &y_;
};

std::vector<Value *> matmul_rule(Rule &r) {
  Value *a = r.x(0), *b = r.x(1), *g = r.g;
  int ra = a->type.rank(), rb = b->type.rank();
  auto col = [&](Value *v) { return r.reshape(v, {v->type.shape[0], ir::Dim::fixed(1)}); };
  auto row = [&](Value *v) { return r.reshape(v, {ir::Dim::fixed(1), v->type.shape[0]}); };
  Value *da, *db;
  if (ra == 1 && rb == 1) { // dot product: g is a scalar
    da = r.mul(g, b);
    db = r.mul(g, a);
  } else if (ra == 2 && rb == 1) { // [M,K] @ [K]: dA = outer(g, b), db = A^T @ g
    da = r.matmul(col(g), row(b));
    db = r.matmul(r.T(a), g);
  } else if (ra == 1) { // [K] @ [K,N]: da = B @ g, dB = outer(a, g)
    da = r.matmul(b, g);
    db = r.matmul(col(a), row(g));
  } else {
    da = r.matmul(g, r.T(b));
    db = r.matmul(r.T(a), g);
  }
  return {r.note(da, fmt::format("{} = {} @ {}.T", r.dx(0), r.dy(), describe(b))),
          r.note(db, fmt::format("{} = {}.T @ {}", r.dx(1), describe(a), r.dy()))};
}

std::vector<Value *> rule(Rule &r) {
  Value *g = r.g;
  std::string dy = r.dy();
  auto one = [&](Value *d, std::string term) { return std::vector<Value *>{r.note(d, fmt::format("{} = {}", r.dx(0), term))}; };
  switch (r.y()->op) {
  case OpKind::Add:
    return {g, g};
  case OpKind::Sub:
    return {g, r.note(r.neg(g), fmt::format("{} = -{}", r.dx(1), dy))};
  case OpKind::Mul:
    return {r.note(r.mul(g, r.x(1)), fmt::format("{} = {} * {}", r.dx(0), dy, describe(r.x(1)))),
            r.note(r.mul(g, r.x(0)), fmt::format("{} = {} * {}", r.dx(1), dy, describe(r.x(0))))};
  case OpKind::Div:
    return {r.note(r.div(g, r.x(1)), fmt::format("{} = {} / {}", r.dx(0), dy, describe(r.x(1)))),
            r.note(r.neg(r.div(r.mul(g, r.y()), r.x(1))), fmt::format("{} = -{} * y / {}", r.dx(1), dy, describe(r.x(1))))};
  case OpKind::Maximum:
  case OpKind::Minimum: { // ties go to the first operand
    bool is_max = r.y()->op == OpKind::Maximum;
    Value *first = is_max ? r.op(OpKind::GreaterEqual, {r.x(0), r.x(1)}) : r.op(OpKind::GreaterEqual, {r.x(1), r.x(0)});
    Value *to_a = r.mul(g, first);
    return {r.note(to_a, fmt::format("{} = {} where {} won", r.dx(0), dy, describe(r.x(0)))),
            r.note(r.sub(g, to_a), fmt::format("{} = {} where {} won", r.dx(1), dy, describe(r.x(1))))};
  }
  case OpKind::Matmul: return matmul_rule(r);
  case OpKind::Neg: return one(r.neg(g), "-" + dy);
  case OpKind::Pow: {
    double c = r.fattr("exponent");
    Value *d = r.mul(g, r.mul(r.c(c), r.op(OpKind::Pow, {r.x(0)}, {c - 1})));
    return one(d, fmt::format("{} * {} * {}^{}", dy, c, describe(r.x(0)), c - 1));
  }
  case OpKind::Exp: return one(r.mul(g, r.y()), dy + " * y");
  case OpKind::Log: return one(r.div(g, r.x(0)), fmt::format("{} / {}", dy, describe(r.x(0))));
  case OpKind::Sqrt: return one(r.div(g, r.mul(r.c(2), r.y())), dy + " / (2 y)");
  case OpKind::Square: return one(r.mul(g, r.mul(r.c(2), r.x(0))), fmt::format("{} * 2 {}", dy, describe(r.x(0))));
  case OpKind::Abs: return one(r.mul(g, r.op(OpKind::Sign, {r.x(0)})), fmt::format("{} * sign({})", dy, describe(r.x(0))));
  case OpKind::Tanh: return one(r.mul(g, r.sub(r.c(1), r.mul(r.y(), r.y()))), dy + " * (1 - y^2)");
  case OpKind::Sigmoid: return one(r.mul(g, r.mul(r.y(), r.sub(r.c(1), r.y()))), dy + " * y * (1 - y)");
  case OpKind::LogSigmoid:
    return one(r.mul(g, r.op(OpKind::Sigmoid, {r.neg(r.x(0))})), fmt::format("{} * sigmoid(-{})", dy, describe(r.x(0))));
  case OpKind::Relu:
    return one(r.mul(g, r.op(OpKind::Greater, {r.x(0), r.c(0)})), fmt::format("{} * [{} > 0]", dy, describe(r.x(0))));
  case OpKind::LeakyRelu: {
    double alpha = r.fattr("alpha");
    Value *slope = r.add(r.mul(r.op(OpKind::Greater, {r.x(0), r.c(0)}), r.c(1 - alpha)), r.c(alpha));
    return one(r.mul(g, slope), fmt::format("{} * ({} > 0 ? 1 : {})", dy, describe(r.x(0)), alpha));
  }
  case OpKind::Step: return one(r.op(OpKind::ZerosLike, {r.x(0)}), "0 (step is flat: its gradient vanishes)");
  case OpKind::Dropout: {
    Value *mask = r.op(OpKind::DropoutMask, {r.x(0)}, r.y()->attrs);
    return one(r.mul(g, mask), dy + " * mask / (1 - p), the forward mask");
  }
  case OpKind::Sum:
  case OpKind::Mean:
  case OpKind::Logsumexp:
  case OpKind::Max: {
    Value *x = r.x(0);
    bool keepdims = r.attr<bool>("keepdims");
    if (r.y()->op == OpKind::Max) return one(r.op(OpKind::MaxGrad, {x, g}, r.y()->attrs), dy + " at the (first) argmax");
    Value *spread = r.spread(g, x, r.axis(), keepdims);
    if (r.y()->op == OpKind::Sum) return one(spread, dy + " broadcast back");
    if (r.y()->op == OpKind::Mean) return one(r.div(spread, r.size(x, r.axis())), dy + " broadcast back / count");
    Value *softmax = r.op(OpKind::Exp, {r.sub(x, r.spread(r.y(), x, r.axis(), keepdims))});
    return one(r.mul(spread, softmax), dy + " * softmax(x)");
  }
  case OpKind::Softmax: { // y * (g - sum(g * y))
    int64_t axis = r.attr<int64_t>("axis");
    Value *s = r.sum_keep(r.mul(g, r.y()), axis);
    return one(r.mul(r.y(), r.sub(g, s)), fmt::format("y * ({} - sum({} * y))", dy, dy));
  }
  case OpKind::LogSoftmax: { // g - softmax(x) * sum(g)
    int64_t axis = r.attr<int64_t>("axis");
    return one(r.sub(g, r.mul(r.op(OpKind::Exp, {r.y()}), r.sum_keep(g, axis))), fmt::format("{} - softmax(x) * sum({})", dy, dy));
  }
  case OpKind::Layernorm: { // (g - mean(g) - y * mean(g * y)) / sqrt(var + eps)
    Value *x = r.x(0);
    Value *centered = r.sub(x, r.mean_keep(x, -1));
    Value *var = r.mean_keep(r.mul(centered, centered), -1);
    Value *inv_std = r.op(OpKind::Pow, {r.add(var, r.c(r.fattr("eps")))}, {-0.5});
    Value *inner = r.sub(r.sub(g, r.mean_keep(g, -1)), r.mul(r.y(), r.mean_keep(r.mul(g, r.y()), -1)));
    return one(r.mul(inner, inv_std), fmt::format("({0} - mean({0}) - y * mean({0} * y)) / sqrt(var + eps)", dy));
  }
  case OpKind::Transpose: return one(r.T(g), dy + ".T");
  case OpKind::Reshape: return one(r.reshape(g, r.x(0)->type.shape), dy + " reshaped back");
  case OpKind::Concat: {
    std::vector<Value *> out;
    int64_t axis = r.attr<int64_t>("axis"), offset = 0;
    size_t a = static_cast<size_t>(axis < 0 ? axis + r.y()->type.rank() : axis);
    for (size_t i = 0; i < r.y()->operands.size(); ++i) {
      int64_t n = r.x(i)->type.shape[a].size;
      out.push_back(r.note(r.op(OpKind::Slice, {g}, {axis, offset, offset + n}),
                           fmt::format("{} = {}[{}:{}] along axis {}", r.dx(i), dy, offset, offset + n, axis)));
      offset += n;
    }
    return out;
  }
  case OpKind::Embedding: {
    int64_t rows = r.x(0)->type.shape[0].size;
    return {r.note(r.op(OpKind::EmbeddingGrad, {g, r.x(1)}, {rows}), fmt::format("{} = {} added into the rows picked", r.dx(0), dy)), nullptr};
  }
  case OpKind::CrossEntropy: {
    Value *z = r.x(0), *t = r.x(1);
    Value *d = r.mul(r.op(OpKind::CrossEntropyGrad, {z, t}, r.y()->attrs), g);
    d = r.note(d, fmt::format("{} = (softmax({}) - target) / B * {}", r.dx(0), describe(z), dy));
    if (!ir::is_float(t->type.dtype)) return {d, nullptr}; // integer labels
    // Soft targets: dL/dt = -(1 - smoothing) log_softmax(z) / B.
    Value *batch = r.div(r.size(z, std::nullopt), r.size(z, -1));
    Value *scale = r.c(-(1 - r.fattr("label_smoothing")));
    Value *dt = r.mul(r.mul(r.div(r.op(OpKind::LogSoftmax, {z}, {int64_t{-1}}), batch), scale), g);
    return {d, r.note(dt, fmt::format("{} = -(1 - smoothing) log_softmax(z) / B * {}", r.dx(1), dy))};
  }
  case OpKind::Nll: { // -onehot(y) / B
    Value *logp = r.x(0);
    int64_t k = logp->type.shape.back().size;
    Value *hot = r.op(OpKind::Onehot, {r.x(1)}, {k, logp->type.dtype});
    Value *batch = r.div(r.size(logp, std::nullopt), r.size(logp, -1));
    return {r.note(r.neg(r.mul(r.div(hot, batch), g)), fmt::format("{} = -onehot(y) / B * {}", r.dx(0), dy)), nullptr};
  }
  case OpKind::Bce: { // targets: d/dy = (log(1 - p) - log p) / n
    Value *p = r.x(0), *n = r.size(p, std::nullopt);
    Value *dp = r.mul(r.op(OpKind::BceGrad, {p, r.x(1)}), g);
    Value *dt = r.mul(r.div(r.sub(r.op(OpKind::Log, {r.sub(r.c(1), p)}), r.op(OpKind::Log, {p})), n), g);
    return {r.note(dp, fmt::format("{} = (p - y) / (p (1 - p)) / n * {}", r.dx(0), dy)),
            r.note(dt, fmt::format("{} = (log(1 - p) - log(p)) / n * {}", r.dx(1), dy))};
  }
  case OpKind::BceWithLogits: { // targets: d/dy = -z / n
    Value *z = r.x(0), *n = r.size(z, std::nullopt);
    Value *dz = r.mul(r.div(r.sub(r.op(OpKind::Sigmoid, {z}), r.x(1)), n), g);
    Value *dt = r.mul(r.div(r.neg(z), n), g);
    return {r.note(dz, fmt::format("{} = (sigmoid(z) - y) / n * {}", r.dx(0), dy)),
            r.note(dt, fmt::format("{} = -z / n * {}", r.dx(1), dy))};
  }
  case OpKind::Mse: {
    Value *p = r.x(0), *n = r.size(p, std::nullopt);
    Value *dp = r.mul(r.div(r.mul(r.c(2), r.sub(p, r.x(1))), n), g);
    return {r.note(dp, fmt::format("{} = 2 (p - t) / n * {}", r.dx(0), dy)), r.note(r.neg(dp), fmt::format("{} = -{}", r.dx(1), r.dx(0)))};
  }
  case OpKind::Hinge: { // active = [margin - s + s_c > 0]
    Value *active = r.op(OpKind::Greater, {r.add(r.sub(r.c(r.fattr("margin")), r.x(0)), r.x(1)), r.c(0)});
    Value *ds_c = r.mul(r.div(active, r.size(r.x(0), std::nullopt)), g);
    return {r.note(r.neg(ds_c), fmt::format("{} = -[margin - s + s_c > 0] / n * {}", r.dx(0), dy)),
            r.note(ds_c, fmt::format("{} = [margin - s + s_c > 0] / n * {}", r.dx(1), dy))};
  }
  case OpKind::BroadcastTo: return one(r.op(OpKind::SumTo, {g}, {r.x(0)->type.shape}), dy + " summed over the broadcast dims");
  case OpKind::SumTo: return one(r.op(OpKind::BroadcastTo, {g}, {r.x(0)->type.shape}), dy + " broadcast back");
  default:
    break;
  }
  throw std::logic_error(fmt::format("no derivative rule for '{}'", r.y()->info().name));
}

} // namespace

std::vector<Value *> vjp(ir::Builder &b, const Value &y, Value *g) {
  if (y.info().has(ir::opflag::NOT_DIFFERENTIABLE)) return std::vector<Value *>(y.operands.size(), nullptr);
  Rule r(b, y, g);
  return rule(r);
}

} // namespace nncc::compiler
