#include "ir/shape_rules.h"

#include "ir/module.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace nncc::ir {

std::optional<Shape> broadcast_shapes(const Shape &a, const Shape &b, int *clash) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const Dim *da = i < a.size() ? &a[a.size() - 1 - i] : nullptr;
    const Dim *db = i < b.size() ? &b[b.size() - 1 - i] : nullptr;
    Dim &r = out[n - 1 - i];
    if (!da) r = *db;
    else if (!db) r = *da;
    else if (*da == *db) r = *da;
    else if (da->is_one()) r = *db;
    else if (db->is_one()) r = *da;
    else {
      if (clash) *clash = static_cast<int>(i);
      return std::nullopt;
    }
  }
  return out;
}

std::optional<std::vector<size_t>> transpose_axes(const AttrValue &axes, int rank) {
  if (attr_is_none(axes)) return rank == 2 ? std::optional(std::vector<size_t>{1, 0}) : std::nullopt;
  const auto &dims = std::get<std::vector<Dim>>(axes);
  if (static_cast<int>(dims.size()) != rank) return std::nullopt;
  std::vector<size_t> perm;
  std::vector<bool> seen(static_cast<size_t>(rank));
  for (const Dim &d : dims) {
    auto a = d.is_symbolic() ? std::nullopt : normalize_axis(d.size, rank);
    if (!a || seen[*a]) return std::nullopt;
    seen[*a] = true;
    perm.push_back(*a);
  }
  return perm;
}

std::vector<size_t> transpose_permutation(const Value &transpose) {
  if (auto perm = transpose_axes(transpose.attr("axes"), transpose.operands[0]->type.rank())) return *perm;
  throw std::logic_error("transpose_permutation: the type rule refuses these axes");
}

namespace rules {
namespace {

std::optional<TypeResult> require_float(const OpInfo &op, std::span<const Type> xs, size_t i,
                                        std::string_view what = "operand") {
  if (is_float(xs[i].dtype)) return std::nullopt;
  return TypeResult::fail(fmt::format("'{}' needs a float {}, got {}", op.name, what, xs[i].str()),
                          {static_cast<int>(i)});
}

std::optional<TypeResult> require_same_dtype(const OpInfo &op, const Type &a, const Type &b) {
  if (a.dtype == b.dtype) return std::nullopt;
  return TypeResult::fail(fmt::format("'{}' operands have different dtypes: {} and {}", op.name,
                                      a.str(), b.str()),
                          {0, 1});
}

std::optional<size_t> normalize_axis(int64_t axis, const Type &t) { return ir::normalize_axis(axis, t.rank()); }

TypeResult bad_axis(const OpInfo &op, int64_t axis, const Type &t) {
  return TypeResult::fail(fmt::format("'{}': axis {} is out of range for {} (rank {})", op.name,
                                      axis, t.str(), t.rank()),
                          {0});
}

} // namespace

TypeResult constant(const OpInfo &op, std::span<const Type>, const Attrs &attrs) {
  DType d = std::get<DType>(op.attr(attrs, "dtype"));
  if (!is_float(d)) return TypeResult::fail("constants are float scalars");
  return TypeResult::ok(Type::scalar(d));
}

TypeResult broadcast_float(const OpInfo &op, std::span<const Type> xs, const Attrs &) {
  for (size_t i = 0; i < 2; ++i)
    if (auto e = require_float(op, xs, i)) return *e;
  if (auto e = require_same_dtype(op, xs[0], xs[1])) return *e;
  int clash = 0;
  auto shape = broadcast_shapes(xs[0].shape, xs[1].shape, &clash);
  if (!shape) {
    const Dim &da = xs[0].shape[xs[0].shape.size() - 1 - static_cast<size_t>(clash)];
    const Dim &db = xs[1].shape[xs[1].shape.size() - 1 - static_cast<size_t>(clash)];
    return TypeResult::fail(fmt::format("cannot broadcast {} and {} in '{}': dimension {} does not "
                                        "match {}",
                                        xs[0].str(), xs[1].str(), op.name, da.str(), db.str()),
                            {0, 1});
  }
  return TypeResult::ok(Type{xs[0].dtype, *shape});
}

TypeResult same_float(const OpInfo &op, std::span<const Type> xs, const Attrs &) {
  if (auto e = require_float(op, xs, 0)) return *e;
  return TypeResult::ok(xs[0]);
}

TypeResult same_float_axis(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  if (auto e = require_float(op, xs, 0)) return *e;
  int64_t axis = std::get<int64_t>(op.attr(attrs, "axis"));
  if (!normalize_axis(axis, xs[0])) return bad_axis(op, axis, xs[0]);
  return TypeResult::ok(xs[0]);
}

TypeResult tril(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  if (auto e = require_float(op, xs, 0)) return *e;
  if (xs[0].rank() < 2) return TypeResult::fail(fmt::format("'tril' needs a tensor of rank >= 2, got {}", xs[0].str()), {0});
  if (std::isnan(attr_float(op.attr(attrs, "fill")))) return TypeResult::fail("tril: fill must be a number or +-inf, not nan");
  return TypeResult::ok(xs[0]);
}

TypeResult dropout(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  if (auto e = require_float(op, xs, 0)) return *e;
  double p = attr_float(op.attr(attrs, "p"));
  if (!(p >= 0.0 && p < 1.0))
    return TypeResult::fail(fmt::format("dropout probability p = {} must be in [0, 1)", p));
  return TypeResult::ok(xs[0]);
}

TypeResult layernorm(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  if (auto e = require_float(op, xs, 0)) return *e;
  if (xs[0].is_scalar()) return TypeResult::fail("'layernorm' needs a tensor of rank >= 1, got a scalar", {0});
  double eps = attr_float(op.attr(attrs, "eps"));
  if (!(eps > 0.0)) return TypeResult::fail(fmt::format("layernorm eps = {} must be positive", eps));
  return TypeResult::ok(xs[0]);
}

TypeResult layernorm_grad(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  TypeResult r = layernorm(op, xs, attrs);
  return r.type ? same_pair(op, xs, attrs) : r;
}

TypeResult reduce(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  if (auto e = require_float(op, xs, 0)) return *e;
  const AttrValue &axis_attr = op.attr(attrs, "axis");
  bool keepdims = std::get<bool>(op.attr(attrs, "keepdims"));
  const Type &x = xs[0];
  if (attr_is_none(axis_attr)) {
    Type out{x.dtype, {}};
    if (keepdims) out.shape.assign(x.shape.size(), Dim::fixed(1));
    return TypeResult::ok(out);
  }
  int64_t axis = std::get<int64_t>(axis_attr);
  auto a = normalize_axis(axis, x);
  if (!a) return bad_axis(op, axis, x);
  Type out = x;
  if (keepdims) out.shape[static_cast<size_t>(*a)] = Dim::fixed(1);
  else out.shape.erase(out.shape.begin() + static_cast<std::ptrdiff_t>(*a));
  return TypeResult::ok(out);
}

TypeResult argmax(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  if (auto e = require_float(op, xs, 0)) return *e;
  int64_t axis = std::get<int64_t>(op.attr(attrs, "axis"));
  auto a = normalize_axis(axis, xs[0]);
  if (!a) return bad_axis(op, axis, xs[0]);
  Type out{DType::I32, xs[0].shape};
  out.shape.erase(out.shape.begin() + static_cast<std::ptrdiff_t>(*a));
  return TypeResult::ok(out);
}

TypeResult matmul(const OpInfo &op, std::span<const Type> xs, const Attrs &) {
  for (size_t i = 0; i < 2; ++i) {
    if (auto e = require_float(op, xs, i)) return *e;
    if (xs[i].rank() < 1)
      return TypeResult::fail(fmt::format("matmul needs tensors of rank >= 1, got {} on the {}", xs[i].str(), i == 0 ? "left" : "right"),
                              {static_cast<int>(i)});
  }
  if (auto e = require_same_dtype(op, xs[0], xs[1])) return *e;
  // NumPy's matmul: a 1-D left operand is a row [1, K], a 1-D right one a
  // column [K, 1], and that axis leaves the result; axes before the last
  // two are batch axes, broadcast against each other.
  const Shape &a = xs[0].shape, &b = xs[1].shape;
  const Dim &ka = a.back(), &kb = b.size() == 1 ? b[0] : b[b.size() - 2];
  if (!(ka == kb))
    return TypeResult::fail(fmt::format("matmul inner dimensions differ: {} @ {} ({} vs {})",
                                        xs[0].str(), xs[1].str(), ka.str(), kb.str()),
                            {0, 1});
  Shape batch_a(a.begin(), a.end() - std::min<ptrdiff_t>(2, static_cast<ptrdiff_t>(a.size())));
  Shape batch_b(b.begin(), b.end() - std::min<ptrdiff_t>(2, static_cast<ptrdiff_t>(b.size())));
  auto out = broadcast_shapes(batch_a, batch_b);
  if (!out)
    return TypeResult::fail(fmt::format("matmul batch axes do not broadcast: {} @ {} (batches {} and {})", xs[0].str(), xs[1].str(),
                                        shape_str(batch_a), shape_str(batch_b)),
                            {0, 1});
  if (a.size() >= 2) out->push_back(a[a.size() - 2]);
  if (b.size() >= 2) out->push_back(b.back());
  if (std::max(batch_a.size(), batch_b.size()) > 6) // (the runtime's NNCC_MATMUL_MAX_RANK is 8, with the two matrix axes)
    return TypeResult::fail(fmt::format("matmul of rank {} @ {}: at most 6 batch axes", xs[0].str(), xs[1].str()), {0, 1});
  return TypeResult::ok(Type{product_dtype(xs[0].dtype), *out});
}

TypeResult cast(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  if (auto e = require_float(op, xs, 0)) return *e;
  DType to = std::get<DType>(op.attr(attrs, "dtype"));
  if (!is_float(to)) return TypeResult::fail(fmt::format("'cast' converts between float types, not to {}", dtype_name(to)));
  return TypeResult::ok(Type{to, xs[0].shape});
}

TypeResult transpose(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  const AttrValue &axes = op.attr(attrs, "axes");
  auto perm = transpose_axes(axes, xs[0].rank());
  if (!perm) {
    if (attr_is_none(axes)) return TypeResult::fail(fmt::format("transpose without axes swaps the two axes of a 2-D tensor; {} needs axes = [...]", xs[0].str()), {0});
    return TypeResult::fail(fmt::format("transpose: axes = {} is not a permutation of the {} axes of {}", format_attr(axes), xs[0].rank(), xs[0].str()), {0});
  }
  Type out = xs[0];
  for (size_t i = 0; i < perm->size(); ++i) out.shape[i] = xs[0].shape[(*perm)[i]];
  return TypeResult::ok(out);
}

TypeResult reshape(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  const Type &x = xs[0];
  std::vector<Dim> target = std::get<std::vector<Dim>>(op.attr(attrs, "shape"));
  auto fail = [&](std::string why) {
    return TypeResult::fail(
        fmt::format("cannot reshape {} to {}: {}", x.str(), shape_str(target), why), {0});
  };
  // Split both element counts into a static product and a multiset of symbols.
  auto split = [](const Shape &s, int64_t &product, std::vector<std::string> &symbols) {
    product = 1;
    for (const Dim &d : s) {
      if (d.is_symbolic()) symbols.push_back(d.symbol);
      else if (d.size != -1 && __builtin_mul_overflow(product, d.size, &product)) return false;
    }
    std::sort(symbols.begin(), symbols.end());
    return true;
  };
  int inferred = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    const Dim &d = target[i];
    if (d.is_symbolic()) continue;
    if (d.size == -1) {
      if (inferred >= 0) return fail("only one dimension may be -1");
      inferred = static_cast<int>(i);
    } else if (d.size <= 0) {
      return fail(fmt::format("dimension {} must be positive (or -1)", d.size));
    }
  }
  int64_t in_static = 0, out_static = 0;
  std::vector<std::string> in_syms, out_syms;
  if (!split(x.shape, in_static, in_syms) || !split(target, out_static, out_syms))
    return fail("the element count overflows");
  std::vector<std::string> rest;
  std::set_difference(in_syms.begin(), in_syms.end(), out_syms.begin(), out_syms.end(),
                      std::back_inserter(rest));
  if (!std::includes(in_syms.begin(), in_syms.end(), out_syms.begin(), out_syms.end()))
    return fail("it uses a symbolic dimension the input does not have");
  if (inferred < 0) {
    if (!rest.empty() || in_static != out_static) return fail("the element counts differ");
    return TypeResult::ok(Type{x.dtype, target});
  }
  if (in_static % out_static != 0) return fail("the element count is not divisible");
  int64_t q = in_static / out_static;
  if (rest.empty()) target[static_cast<size_t>(inferred)] = Dim::fixed(q);
  else if (rest.size() == 1 && q == 1) target[static_cast<size_t>(inferred)] = Dim::named(rest[0]);
  else return fail("-1 would have to be a multiple of a symbolic dimension");
  return TypeResult::ok(Type{x.dtype, target});
}

TypeResult concat(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  const Type &first = xs[0];
  if (first.is_scalar()) return TypeResult::fail("'concat' needs tensors of rank >= 1, got a scalar", {0});
  int64_t axis_attr = std::get<int64_t>(op.attr(attrs, "axis"));
  auto axis = normalize_axis(axis_attr, first);
  if (!axis) return bad_axis(op, axis_attr, first);
  Type out = first;
  for (size_t i = 1; i < xs.size(); ++i) {
    const Type &t = xs[i];
    if (t.dtype != first.dtype || t.rank() != first.rank())
      return TypeResult::fail(fmt::format("concat operands {} and {} differ in dtype or rank",
                                          first.str(), t.str()),
                              {0, static_cast<int>(i)});
    for (int d = 0; d < t.rank(); ++d) {
      const Dim &a = out.shape[static_cast<size_t>(d)], &b = t.shape[static_cast<size_t>(d)];
      if (static_cast<size_t>(d) == *axis) {
        if (a.is_symbolic() || b.is_symbolic())
          return TypeResult::fail(fmt::format("concat along symbolic dimension: {} and {}",
                                              first.str(), t.str()),
                                  {0, static_cast<int>(i)});
        out.shape[static_cast<size_t>(d)].size += b.size;
      } else if (!(a == b)) {
        return TypeResult::fail(fmt::format("concat operands {} and {} differ in dimension {} "
                                            "({} vs {})",
                                            first.str(), t.str(), d, a.str(), b.str()),
                                {0, static_cast<int>(i)});
      }
    }
  }
  return TypeResult::ok(out);
}

TypeResult embedding(const OpInfo &op, std::span<const Type> xs, const Attrs &) {
  if (auto e = require_float(op, xs, 0, "table")) return *e;
  if (xs[0].rank() != 2)
    return TypeResult::fail(fmt::format("embedding table must be 2-D [V, D], got {}", xs[0].str()), {0});
  if (xs[1].dtype != DType::I32)
    return TypeResult::fail(fmt::format("embedding ids must be i32, got {}", xs[1].str()), {1});
  Type out{xs[0].dtype, xs[1].shape};
  out.shape.push_back(xs[0].shape[1]);
  return TypeResult::ok(out);
}

TypeResult onehot(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  if (xs[0].dtype != DType::I32)
    return TypeResult::fail(fmt::format("onehot needs i32 labels, got {}", xs[0].str()), {0});
  int64_t k = std::get<int64_t>(op.attr(attrs, "num_classes"));
  if (k <= 0) return TypeResult::fail(fmt::format("onehot: num_classes = {} must be positive", k));
  DType dtype = std::get<DType>(op.attr(attrs, "dtype"));
  if (!is_float(dtype)) return TypeResult::fail("onehot produces f32 or f64");
  Type out{dtype, xs[0].shape};
  out.shape.push_back(Dim::fixed(k));
  return TypeResult::ok(out);
}

TypeResult class_loss(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  const Type &z = xs[0], &y = xs[1];
  if (auto e = require_float(op, xs, 0, "score tensor")) return *e;
  if (z.is_scalar())
    return TypeResult::fail(fmt::format("'{}' needs class scores of rank >= 1, got {}", op.name, z.str()), {0});
  if (y.dtype == DType::I32) {
    Shape expected(z.shape.begin(), z.shape.end() - 1);
    if (y.shape != expected)
      return TypeResult::fail(fmt::format("'{}': labels {} do not match scores {} (expected i32{})",
                                          op.name, y.str(), z.str(), shape_str(expected)),
                              {0, 1});
  } else {
    if (op.kind == OpKind::Nll)
      return TypeResult::fail(fmt::format("'nll' needs i32 labels, got {}", y.str()), {1});
    if (y != z)
      return TypeResult::fail(fmt::format("'{}': soft targets {} do not match scores {}", op.name,
                                          y.str(), z.str()),
                              {0, 1});
  }
  if (op.kind == OpKind::CrossEntropy) {
    double a = attr_float(op.attr(attrs, "label_smoothing"));
    if (!(a >= 0.0 && a <= 1.0))
      return TypeResult::fail(fmt::format("label_smoothing = {} must be in [0, 1]", a));
  }
  return TypeResult::ok(Type::scalar(z.dtype));
}

TypeResult pairwise_loss(const OpInfo &op, std::span<const Type> xs, const Attrs &) {
  for (size_t i = 0; i < 2; ++i)
    if (auto e = require_float(op, xs, i)) return *e;
  if (xs[0] != xs[1])
    return TypeResult::fail(fmt::format("'{}' needs operands of the same type, got {} and {}",
                                        op.name, xs[0].str(), xs[1].str()),
                            {0, 1});
  return TypeResult::ok(Type::scalar(xs[0].dtype));
}

TypeResult pairwise_same(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  TypeResult r = pairwise_loss(op, xs, attrs);
  return r.type ? TypeResult::ok(xs[0]) : r;
}

TypeResult same_pair(const OpInfo &op, std::span<const Type> xs, const Attrs &) {
  if (xs[0] != xs[1])
    return TypeResult::fail(fmt::format("'{}' needs operands of one type, got {} and {}", op.name, xs[0].str(), xs[1].str()), {0, 1});
  return TypeResult::ok(xs[0]);
}

TypeResult broadcast_to(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  Shape target = std::get<std::vector<Dim>>(op.attr(attrs, "shape"));
  auto shape = broadcast_shapes(xs[0].shape, target);
  if (!shape || *shape != target)
    return TypeResult::fail(fmt::format("cannot broadcast {} to {}", xs[0].str(), shape_str(target)), {0});
  return TypeResult::ok(Type{xs[0].dtype, target});
}

TypeResult sum_to(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  Shape target = std::get<std::vector<Dim>>(op.attr(attrs, "shape"));
  auto shape = broadcast_shapes(target, xs[0].shape);
  if (!shape || *shape != xs[0].shape)
    return TypeResult::fail(fmt::format("cannot sum {} down to {}", xs[0].str(), shape_str(target)), {0});
  return TypeResult::ok(Type{xs[0].dtype, target});
}

TypeResult size(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  if (auto e = require_float(op, xs, 0)) return *e;
  const AttrValue &axis = op.attr(attrs, "axis");
  if (!attr_is_none(axis) && !normalize_axis(std::get<int64_t>(axis), xs[0]))
    return bad_axis(op, std::get<int64_t>(axis), xs[0]);
  return TypeResult::ok(Type::scalar(xs[0].dtype));
}

TypeResult slice(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  int64_t axis_attr = std::get<int64_t>(op.attr(attrs, "axis"));
  auto axis = normalize_axis(axis_attr, xs[0]);
  if (!axis) return bad_axis(op, axis_attr, xs[0]);
  int64_t start = std::get<int64_t>(op.attr(attrs, "start")), end = std::get<int64_t>(op.attr(attrs, "end"));
  const Dim &d = xs[0].shape[static_cast<size_t>(*axis)];
  if (d.is_symbolic() || start < 0 || end <= start || end > d.size)
    return TypeResult::fail(fmt::format("slice [{}, {}) is out of range for {}", start, end, xs[0].str()), {0});
  Type out = xs[0];
  out.shape[static_cast<size_t>(*axis)] = Dim::fixed(end - start);
  return TypeResult::ok(out);
}

TypeResult max_grad(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  const OpInfo &max = op_info(OpKind::Max);
  TypeResult reduced = reduce(max, xs.first(1), attrs);
  if (!reduced.type) return reduced;
  if (*reduced.type != xs[1])
    return TypeResult::fail(fmt::format("max_grad: gradient {} does not match max of {} ({})", xs[1].str(),
                                        xs[0].str(), reduced.type->str()),
                            {0, 1});
  return TypeResult::ok(xs[0]);
}

TypeResult cross_entropy_grad(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  TypeResult r = class_loss(op_info(OpKind::CrossEntropy), xs, attrs);
  return r.type ? TypeResult::ok(xs[0]) : r;
}

TypeResult embedding_grad(const OpInfo &op, std::span<const Type> xs, const Attrs &attrs) {
  const Type &g = xs[0], &ids = xs[1];
  int64_t rows = std::get<int64_t>(op.attr(attrs, "rows"));
  if (ids.dtype != DType::I32 || g.rank() != ids.rank() + 1 || rows <= 0 ||
      !std::equal(ids.shape.begin(), ids.shape.end(), g.shape.begin()))
    return TypeResult::fail(fmt::format("embedding_grad: gradient {} does not fit ids {}", g.str(), ids.str()), {0, 1});
  return TypeResult::ok(Type{g.dtype, {Dim::fixed(rows), g.shape.back()}});
}

} // namespace rules
} // namespace nncc::ir
