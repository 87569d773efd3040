// Type rules of the image ops (SPEC 1.6a): NCHW batches, conv weights
// [O, C/groups, KH, KW]. Messages name the shapes and the offending number.
#include "ir/image_ops.h"
#include "ir/shape_rules.h"

#include <fmt/format.h>

namespace nncc::ir::rules {

namespace {

std::string hw(const std::array<int64_t, 2> &p) { return fmt::format("{}x{}", p[0], p[1]); }

/// An NCHW batch with static channels, height and width.
std::optional<TypeResult> require_image(const OpInfo &op, const Type &x, int operand) {
  if (!is_float(x.dtype) || x.rank() != 4)
    return TypeResult::fail(fmt::format("'{}' needs a float image batch [N, C, H, W], got {}", op.name, x.str()), {operand});
  for (size_t i = 1; i < 4; ++i)
    if (x.shape[i].is_symbolic())
      return TypeResult::fail(fmt::format("'{}' needs static channels, height and width, got {}", op.name, x.str()), {operand});
  return std::nullopt;
}

std::optional<TypeResult> check_window(const OpInfo &op, const Window2d &w) {
  auto bad = [&](std::string_view what, const std::array<int64_t, 2> &p, int64_t min) -> std::optional<TypeResult> {
    if (p[0] >= min && p[1] >= min) return std::nullopt;
    return TypeResult::fail(fmt::format("'{}': {} must be at least {}, got [{}, {}]", op.name, what, min, p[0], p[1]));
  };
  if (auto e = bad("kernel", w.kernel, 1)) return e;
  if (auto e = bad("stride", w.stride, 1)) return e;
  if (auto e = bad("dilation", w.dilation, 1)) return e;
  if (auto e = bad("padding", w.padding, 0)) return e;
  if (w.groups < 1) return TypeResult::fail(fmt::format("'{}': groups must be at least 1, got {}", op.name, w.groups));
  return std::nullopt;
}

/// The output [N, channels, H', W'] of window `w` over image x, or why the window does not fit.
TypeResult windowed(const OpInfo &op, const Type &x, const Window2d &w, const Dim &channels, std::vector<int> operands) {
  Shape out{x.shape[0], channels, Dim::fixed(0), Dim::fixed(0)};
  for (size_t a = 0; a < 2; ++a) {
    int64_t n = w.output_size(a, x.shape[2 + a].size);
    if (n < 1)
      return TypeResult::fail(fmt::format("'{}': the {} window (dilation {}) is larger than the padded input {} (padding {}) of {}", op.name,
                                          hw(w.kernel), hw(w.dilation), hw({x.shape[2].size, x.shape[3].size}), hw(w.padding), x.str()),
                              std::move(operands));
    out[2 + a] = Dim::fixed(n);
  }
  return TypeResult::ok(Type{x.dtype, out});
}

/// conv2d(x, W) of any op of the conv family (attributes read by the op's own names).
TypeResult convolution(const OpInfo &op, const Type &x, const Type &w, const Attrs &attrs, int x_operand, int w_operand) {
  if (auto e = require_image(op, x, x_operand)) return *e;
  if (!is_float(w.dtype) || w.rank() != 4 || std::any_of(w.shape.begin(), w.shape.end(), [](const Dim &d) { return d.is_symbolic(); }))
    return TypeResult::fail(fmt::format("'{}' needs static weights [O, C/groups, KH, KW], got {}", op.name, w.str()), {w_operand});
  if (x.dtype != w.dtype)
    return TypeResult::fail(fmt::format("'{}' operands have different dtypes: {} and {}", op.name, x.str(), w.str()), {x_operand, w_operand});
  Window2d win = window(op, attrs, w.shape);
  if (auto e = check_window(op, win)) return *e;
  int64_t c = x.shape[1].size, o = w.shape[0].size;
  if (c % win.groups != 0)
    return TypeResult::fail(fmt::format("'{}': the {} input channels of {} are not divisible by groups = {}", op.name, c, x.str(), win.groups), {x_operand});
  if (o % win.groups != 0)
    return TypeResult::fail(fmt::format("'{}': the {} output channels of weights {} are not divisible by groups = {}", op.name, o, w.str(), win.groups),
                            {w_operand});
  if (w.shape[1].size != c / win.groups)
    return TypeResult::fail(fmt::format("'{}' channels differ: input {} has {} channels, weights {} take {} (dimension 1, times groups = {})",
                                        op.name, x.str(), c, w.str(), w.shape[1].size * win.groups, win.groups),
                            {x_operand, w_operand});
  return windowed(op, x, win, w.shape[0], {x_operand, w_operand});
}

/// A gradient operand must have the type of the forward result it stands for.
std::optional<TypeResult> require_gradient(const OpInfo &op, const TypeResult &forward, const Type &g, int g_operand) {
  if (!forward.type) return forward;
  if (*forward.type == g) return std::nullopt;
  return TypeResult::fail(fmt::format("'{}': gradient {} does not match the forward result {}", op.name, g.str(), forward.type->str()), {g_operand});
}

} // namespace

// The convolutions' results have product_dtype of their operands' (bf16
// operands sum into f32); a gradient operand has the operands' dtype.
TypeResult conv2d(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  TypeResult r = convolution(op, xs[0], xs[1], attrs, 0, 1);
  if (r.type) r.type->dtype = product_dtype(r.type->dtype);
  return r;
}

TypeResult conv2d_grad_input(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  Type x{xs[1].dtype, std::get<std::vector<Dim>>(op.attr(attrs, "shape"))};
  if (auto e = require_gradient(op, convolution(op, x, xs[0], attrs, -1, 0), xs[1], 1)) return *e;
  return TypeResult::ok(Type{product_dtype(x.dtype), x.shape});
}

TypeResult conv2d_grad_weight(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  Type w{xs[0].dtype, std::get<std::vector<Dim>>(op.attr(attrs, "shape"))};
  if (auto e = require_gradient(op, convolution(op, xs[0], w, attrs, 0, -1), xs[1], 1)) return *e;
  return TypeResult::ok(Type{product_dtype(w.dtype), w.shape});
}

TypeResult pool2d(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  const Type &x = xs[0];
  if (auto e = require_image(op, x, 0)) return *e;
  Window2d w = window(op, attrs);
  if (auto e = check_window(op, w)) return *e;
  for (size_t a = 0; a < 2; ++a)
    if (2 * w.padding[a] > w.kernel[a]) // PyTorch's rule: a window always holds an input element
      return TypeResult::fail(fmt::format("'{}': padding {} is more than half the {} kernel", op.name, hw(w.padding), hw(w.kernel)), {0});
  return windowed(op, x, w, x.shape[1], {0});
}

/// (x, g), or (x, y, g) with y the forward result.
TypeResult pool2d_grad(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  TypeResult forward = pool2d(op, xs.first(1), attrs);
  for (size_t i = 1; i < xs.size(); ++i)
    if (auto e = require_gradient(op, forward, xs[i], static_cast<int>(i))) return *e;
  return TypeResult::ok(xs[0]);
}

TypeResult flatten(const OpInfo &op, std::span<const Type> xs, const Attrs &) {
  const Type &x = xs[0];
  if (x.rank() < 2) return TypeResult::fail(fmt::format("flatten needs a batch [N, ...] of rank 2 or more, got {}", x.str()), {0});
  int64_t n = 1;
  for (size_t i = 1; i < x.shape.size(); ++i) {
    if (x.shape[i].is_symbolic())
      return TypeResult::fail(fmt::format("flatten needs static dimensions after the first, got {}", x.str()), {0});
    if (__builtin_mul_overflow(n, x.shape[i].size, &n)) return TypeResult::fail(fmt::format("flatten: {} has too many elements", x.str()), {0});
  }
  return TypeResult::ok(Type{x.dtype, {x.shape[0], Dim::fixed(n)}});
}

namespace {

/// A batch [N, C, ...] with static channels (batch norm's operand x).
std::optional<TypeResult> require_channels(const OpInfo &op, const Type &x) {
  if (is_float(x.dtype) && x.rank() >= 2 && !x.shape[1].is_symbolic()) return std::nullopt;
  return TypeResult::fail(fmt::format("'{}' needs a float batch [N, C, ...] with static channels C, got {}", op.name, x.str()), {0});
}

/// Operand i of a batch norm op over x: `what` of type `need` (the statistics
/// [2, C], gamma or beta [C], a gradient of x's type).
std::optional<TypeResult> require_operand(const OpInfo &op, std::span<const Type> xs, size_t i, std::string_view what, const Type &need) {
  if (xs[i] == need) return std::nullopt;
  return TypeResult::fail(fmt::format("'{}': {} {} does not fit {}: need {}", op.name, what, xs[i].str(), xs[0].str(), need.str()),
                          {0, static_cast<int>(i)});
}

Type statistics_of(const Type &x) { return Type{x.dtype, {Dim::fixed(2), x.shape[1]}}; }
Type channels_of(const Type &x) { return Type{x.dtype, {x.shape[1]}}; }

/// Checks x (operand 0), then each (operand, what, type it needs), and gives `result`.
TypeResult batch_norm_op(const OpInfo &op, std::span<const Type> xs, std::initializer_list<std::pair<std::string_view, Type (*)(const Type &)>> rest,
                         Type (*result)(const Type &)) {
  if (auto e = require_channels(op, xs[0])) return *e;
  size_t i = 1;
  for (const auto &[what, type] : rest)
    if (auto e = require_operand(op, xs, i++, what, type(xs[0]))) return *e;
  return TypeResult::ok(result(xs[0]));
}

Type same(const Type &x) { return x; }

} // namespace

TypeResult batch_stats(const OpInfo &op, std::span<const Type> xs, const Attrs &) { return batch_norm_op(op, xs, {}, statistics_of); }

TypeResult batch_norm_train(const OpInfo &op, std::span<const Type> xs, const Attrs &) {
  return batch_norm_op(op, xs, {{"statistics", statistics_of}, {"gamma", channels_of}, {"beta", channels_of}}, same);
}

TypeResult batch_norm_grad_sums(const OpInfo &op, std::span<const Type> xs, const Attrs &) {
  return batch_norm_op(op, xs, {{"statistics", statistics_of}, {"gradient", same}}, statistics_of);
}

TypeResult batch_norm_grad(const OpInfo &op, std::span<const Type> xs, const Attrs &) {
  return batch_norm_op(op, xs, {{"statistics", statistics_of}, {"gamma", channels_of}, {"gradient", same}, {"sums", statistics_of}}, same);
}

} // namespace nncc::ir::rules
