// One plain loop nest per op: the definitions every faster implementation
// must agree with. Numerically stable forms are used where SPEC §1.6 asks.
#include "compiler/interp/interpreter.h"

#include "compiler/image_call.h"
#include "ir/shape_rules.h"
#include "nncc/batch_norm_loops.hpp"
#include "nncc/image_loops.hpp"
#include "nncc/bf16.h"
#include "nncc/rng.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <functional>
#include <limits>
#include <numbers>

namespace nncc::interp {
namespace {

using ir::OpKind;
using Shape = std::vector<int64_t>;

Shape resolve(const ir::Shape &s, const std::map<std::string, int64_t> &dims) {
  Shape out;
  for (const ir::Dim &d : s) out.push_back(d.is_symbolic() ? dims.at(d.symbol) : d.size);
  return out;
}

/// Maps a flat index of `out` to the flat index of `in`, which broadcasts to
/// `out` (NumPy rules: trailing dims aligned, size-1 and missing dims repeat).
class BroadcastIndex {
public:
  BroadcastIndex(const Shape &in, const Shape &out) : out_(out), strides_(out.size(), 0) {
    int64_t stride = 1;
    for (size_t k = 0; k < in.size(); ++k) {
      size_t i = in.size() - 1 - k, o = out.size() - 1 - k;
      if (in[i] != 1) strides_[o] = stride;
      stride *= in[i];
    }
  }
  int64_t operator()(int64_t flat) const {
    int64_t at = 0;
    for (size_t k = out_.size(); k-- > 0;) {
      at += (flat % out_[k]) * strides_[k];
      flat /= out_[k];
    }
    return at;
  }

private:
  Shape out_, strides_;
};

/// A tensor seen as [outer, n, inner] around one axis (or all of it as n).
struct AxisView {
  int64_t outer = 1, n = 1, inner = 1;
  AxisView(const Shape &shape, std::optional<int64_t> axis) {
    if (!axis) {
      n = product(shape);
      return;
    }
    auto a = static_cast<int64_t>(ir::axis_index(*axis, static_cast<int>(shape.size())));
    for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i)
      (i < a ? outer : i == a ? n : inner) *= shape[static_cast<size_t>(i)];
  }
  int64_t at(int64_t o, int64_t k, int64_t i) const { return (o * n + k) * inner + i; }
  /// Calls f(base, stride) once per reduction group.
  void for_each_group(const std::function<void(int64_t, int64_t)> &f) const {
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) f(at(o, 0, i), inner);
  }
};


double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double sigmoid(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }

Tensor unary(const Tensor &x, ir::DType dtype, const std::function<double(double)> &f) {
  Tensor out{dtype, x.shape, x.data};
  for (double &e : out.data) e = f(e);
  return out;
}

Tensor binary(const Tensor &a, const Tensor &b, const Shape &shape, ir::DType dtype,
              const std::function<double(double, double)> &f) {
  Tensor out = Tensor::zeros(dtype, shape);
  BroadcastIndex ia(a.shape, shape), ib(b.shape, shape);
  for (int64_t i = 0; i < out.numel(); ++i)
    out.data[static_cast<size_t>(i)] = f(a.data[static_cast<size_t>(ia(i))], b.data[static_cast<size_t>(ib(i))]);
  return out;
}

double &at(Tensor &t, int64_t i) { return t.data[static_cast<size_t>(i)]; }
double at(const Tensor &t, int64_t i) { return t.data[static_cast<size_t>(i)]; }

/// Reduces each group of `view` with f(group base, stride, count) -> value.
Tensor reduce(const Tensor &x, const Shape &out_shape, ir::DType dtype, const AxisView &view,
              const std::function<double(int64_t, int64_t, int64_t)> &f) {
  Tensor out = Tensor::zeros(dtype, out_shape);
  int64_t g = 0;
  view.for_each_group([&](int64_t base, int64_t stride) { at(out, g++) = f(base, stride, view.n); });
  return out;
}

double group_max(const Tensor &x, int64_t base, int64_t stride, int64_t n) {
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t k = 0; k < n; ++k) m = std::max(m, at(x, base + k * stride));
  return m;
}
int64_t group_argmax(const Tensor &x, int64_t base, int64_t stride, int64_t n) {
  int64_t best = 0;
  for (int64_t k = 1; k < n; ++k)
    if (at(x, base + k * stride) > at(x, base + best * stride)) best = k;
  return best;
}
double group_logsumexp(const Tensor &x, int64_t base, int64_t stride, int64_t n) {
  double m = group_max(x, base, stride, n), s = 0;
  if (std::isinf(m)) return m;
  for (int64_t k = 0; k < n; ++k) s += std::exp(at(x, base + k * stride) - m);
  return m + std::log(s);
}

/// Class targets of cross-entropy for row b: label smoothing applied to
/// one-hot labels or to soft targets, as PyTorch does.
double ce_target(const Tensor &y, bool labels, int64_t b, int64_t k, int64_t classes, double alpha) {
  double t = labels ? (static_cast<int64_t>(at(y, b)) == k ? 1.0 : 0.0) : at(y, b * classes + k);
  return (1 - alpha) * t + alpha / static_cast<double>(classes);
}

void check_labels(const Tensor &y, int64_t classes, std::string_view op) {
  for (double label : y.data)
    if (label < 0 || label >= static_cast<double>(classes))
      throw InterpError(fmt::format("{}: label {} is out of range for {} classes", op, label, classes));
}

double dropout_mask(const ir::Value &v, int64_t i, const RunOptions &o) {
  double p = v.float_attr("p");
  if (!o.training || p == 0) return 1.0;
  uint64_t stream = rng::dropout_stream(o.step, static_cast<uint64_t>(v.int_attr("key")));
  return rng::uniform(o.seed, stream, static_cast<uint64_t>(i)) >= p ? 1.0 / (1.0 - p) : 0.0;
}

/// NumPy's matmul: a 1-D left operand is a row, a 1-D right one a column;
/// the batch axes before the last two broadcast.
Tensor matmul(const Tensor &a, const Tensor &b, const Shape &out_shape, ir::DType dtype) {
  Shape as = a.shape, bs = b.shape;
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  size_t rank = std::max(as.size(), bs.size());
  as.insert(as.begin(), rank - as.size(), 1);
  bs.insert(bs.begin(), rank - bs.size(), 1);
  int64_t m = as[rank - 2], k = as[rank - 1], n = bs[rank - 1];
  std::vector<int64_t> batch(rank - 2), a_step(rank - 2), b_step(rank - 2); // per batch axis: extent, matrix strides
  int64_t a_stride = m * k, b_stride = k * n;
  for (size_t i = rank - 2; i-- > 0;) {
    batch[i] = std::max(as[i], bs[i]);
    a_step[i] = as[i] == 1 ? 0 : a_stride;
    b_step[i] = bs[i] == 1 ? 0 : b_stride;
    a_stride *= as[i];
    b_stride *= bs[i];
  }
  Tensor out = Tensor::zeros(dtype, out_shape);
  std::vector<int64_t> index(rank - 2, 0);
  for (int64_t c0 = 0; c0 < out.numel(); c0 += m * n) {
    int64_t a0 = 0, b0 = 0;
    for (size_t i = 0; i < index.size(); ++i) a0 += index[i] * a_step[i], b0 += index[i] * b_step[i];
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p) s += at(a, a0 + i * k + p) * at(b, b0 + p * n + j);
        at(out, c0 + i * n + j) = s;
      }
    for (size_t i = index.size(); i-- > 0 && ++index[i] == batch[i];) index[i] = 0;
  }
  return out;
}

/// What every family's kernel is given: the op value, its operands' values,
/// its shape with the symbolic dims bound, and the run's options.
struct OpCall {
  const ir::Value &v;
  const std::vector<const Tensor *> &in;
  const Shape &shape;
  const RunOptions &options;

  const Tensor &x(size_t i) const { return *in[i]; }
  ir::DType dtype() const { return v.type.dtype; }
  Tensor binary(const std::function<double(double, double)> &f) const { return interp::binary(x(0), x(1), shape, dtype(), f); }
  Tensor unary(const std::function<double(double)> &f) const { return interp::unary(x(0), dtype(), f); }
  /// Operand 0 reduced along the op's `axis` attribute, f(base, stride, n) per group.
  Tensor reduce_groups(const std::function<double(int64_t, int64_t, int64_t)> &f) const {
    return reduce(x(0), shape, dtype(), AxisView(x(0).shape, v.optional_int_attr("axis")), f);
  }
};

Tensor loop_op(const OpCall &c) {
  const ir::Value &v = c.v;
  switch (v.op) {
  case OpKind::Add: return c.binary([](double a, double b) { return a + b; });
  case OpKind::Sub: return c.binary([](double a, double b) { return a - b; });
  case OpKind::Mul: return c.binary([](double a, double b) { return a * b; });
  case OpKind::Div: return c.binary([](double a, double b) { return a / b; });
  case OpKind::Maximum: return c.binary([](double a, double b) { return a >= b ? a : b; });
  case OpKind::Minimum: return c.binary([](double a, double b) { return a <= b ? a : b; });
  case OpKind::Greater: return c.binary([](double a, double b) { return a > b ? 1.0 : 0.0; });
  case OpKind::GreaterEqual: return c.binary([](double a, double b) { return a >= b ? 1.0 : 0.0; });
  case OpKind::Cast: return c.unary([](double a) { return a; }); // evaluate() rounds to the new dtype
  case OpKind::Neg: return c.unary([](double a) { return -a; });
  case OpKind::Pow: {
    double e = v.float_attr("exponent");
    return c.unary([e](double a) { return std::pow(a, e); });
  }
  case OpKind::Exp: return c.unary([](double a) { return std::exp(a); });
  case OpKind::Log: return c.unary([](double a) { return std::log(a); });
  case OpKind::Sqrt: return c.unary([](double a) { return std::sqrt(a); });
  case OpKind::Square: return c.unary([](double a) { return a * a; });
  case OpKind::Abs: return c.unary([](double a) { return std::abs(a); });
  case OpKind::Tanh: return c.unary([](double a) { return std::tanh(a); });
  case OpKind::Sigmoid: return c.unary(sigmoid);
  case OpKind::LogSigmoid: return c.unary([](double a) { return std::min(a, 0.0) - std::log1p(std::exp(-std::abs(a))); });
  case OpKind::Relu: return c.unary([](double a) { return a > 0 ? a : 0.0; });
  case OpKind::LeakyRelu: {
    double alpha = v.float_attr("alpha");
    return c.unary([alpha](double a) { return a > 0 ? a : alpha * a; });
  }
  case OpKind::Softplus: return c.unary([](double a) { return std::max(a, 0.0) + std::log1p(std::exp(-std::abs(a))); });
  case OpKind::Gelu: return c.unary([](double a) { return a * normal_cdf(a); });
  case OpKind::GeluGrad: return c.unary([](double a) { return normal_cdf(a) + a * std::exp(-0.5 * a * a) / std::sqrt(2 * std::numbers::pi); });
  case OpKind::Step: return c.unary([](double a) { return a >= 0 ? 1.0 : 0.0; });
  case OpKind::Sign: return c.unary([](double a) { return a > 0 ? 1.0 : a < 0 ? -1.0 : 0.0; });
  case OpKind::ZerosLike: return Tensor::zeros(c.dtype(), c.x(0).shape);
  case OpKind::Tril: {
    Tensor out{c.dtype(), c.x(0).shape, c.x(0).data};
    int64_t cols = out.shape.back(), rows = out.shape[out.shape.size() - 2];
    double fill = v.float_attr("fill");
    for (int64_t i = 0; i < out.numel(); ++i)
      if (i % cols > i / cols % rows) at(out, i) = fill;
    return out;
  }
  case OpKind::Dropout:
  case OpKind::DropoutMask: {
    Tensor out{c.dtype(), c.x(0).shape, c.x(0).data};
    for (int64_t i = 0; i < out.numel(); ++i)
      at(out, i) = dropout_mask(v, i, c.options) * (v.op == OpKind::Dropout ? at(out, i) : 1.0);
    return out;
  }
  case OpKind::BroadcastTo: return binary(c.x(0), Tensor::scalar(0, c.dtype()), c.shape, c.dtype(), [](double a, double) { return a; });
  case OpKind::BceGrad: {
    double n = static_cast<double>(c.x(0).numel());
    return c.binary([n](double p, double t) { return (p - t) / std::max(p * (1 - p), 1e-12) / n; });
  }
#define LOOP_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
    break;
  }
  throw std::logic_error(fmt::format("interpreter: '{}' is not elementwise", v.info().name));
}

Tensor reduce_op(const OpCall &c) {
  const ir::Value &v = c.v;
  const Tensor &t = c.x(0);
  auto sum = [&](int64_t base, int64_t stride, int64_t n) {
    double s = 0;
    for (int64_t k = 0; k < n; ++k) s += at(t, base + k * stride);
    return s;
  };
  switch (v.op) {
  case OpKind::Sum: return c.reduce_groups( sum);
  case OpKind::Mean:
    return c.reduce_groups(
                  [&](int64_t base, int64_t stride, int64_t n) { return sum(base, stride, n) / static_cast<double>(n); });
  case OpKind::Max:
    return c.reduce_groups(
                  [&](int64_t base, int64_t stride, int64_t n) { return group_max(t, base, stride, n); });
  case OpKind::SumTo: {
    Tensor out = Tensor::zeros(c.dtype(), c.shape);
    BroadcastIndex to_out(c.shape, t.shape);
    for (int64_t i = 0; i < t.numel(); ++i) at(out, to_out(i)) += at(t, i);
    return out;
  }
#define REDUCE_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
    break;
  }
  throw std::logic_error(fmt::format("interpreter: '{}' is not a reduction", v.info().name));
}

/// layernorm(x) along the last axis; with g, its gradient to x there
/// (layernorm_grad): (g - mean(g) - y * mean(g * y)) / sqrt(var + eps).
Tensor layernorm(const Tensor &x, const Tensor *g, ir::DType dt, double eps) {
  Tensor out{dt, x.shape, x.data};
  AxisView view(x.shape, -1);
  auto n = static_cast<double>(view.n);
  std::vector<double> y(static_cast<size_t>(view.n));
  view.for_each_group([&](int64_t base, int64_t stride) {
    auto x_at = [&](int64_t k) { return at(x, base + k * stride); };
    double mean = 0, var = 0;
    for (int64_t k = 0; k < view.n; ++k) mean += x_at(k);
    mean /= n;
    for (int64_t k = 0; k < view.n; ++k) var += std::pow(x_at(k) - mean, 2);
    double inv_std = 1 / std::sqrt(var / n + eps);
    for (int64_t k = 0; k < view.n; ++k) y[static_cast<size_t>(k)] = (x_at(k) - mean) * inv_std;
    if (!g) {
      for (int64_t k = 0; k < view.n; ++k) at(out, base + k * stride) = y[static_cast<size_t>(k)];
      return;
    }
    double mean_g = 0, mean_gy = 0;
    for (int64_t k = 0; k < view.n; ++k) {
      mean_g += at(*g, base + k * stride);
      mean_gy += at(*g, base + k * stride) * y[static_cast<size_t>(k)];
    }
    mean_g /= n, mean_gy /= n;
    for (int64_t k = 0; k < view.n; ++k)
      at(out, base + k * stride) = (at(*g, base + k * stride) - mean_g - y[static_cast<size_t>(k)] * mean_gy) * inv_std;
  });
  return out;
}

Tensor row_op(const OpCall &c) {
  const ir::Value &v = c.v;
  const Tensor &t = c.x(0);
  switch (v.op) {
  case OpKind::Logsumexp:
    return c.reduce_groups(
                  [&](int64_t base, int64_t stride, int64_t n) { return group_logsumexp(t, base, stride, n); });
  case OpKind::Argmax:
    return c.reduce_groups( [&](int64_t base, int64_t stride, int64_t n) {
      return static_cast<double>(group_argmax(t, base, stride, n));
    });
  case OpKind::Softmax:
  case OpKind::LogSoftmax: {
    Tensor out{c.dtype(), t.shape, t.data};
    AxisView view(t.shape, v.optional_int_attr("axis"));
    view.for_each_group([&](int64_t base, int64_t stride) {
      double lse = group_logsumexp(t, base, stride, view.n);
      for (int64_t k = 0; k < view.n; ++k) {
        double logp = at(t, base + k * stride) - lse;
        at(out, base + k * stride) = v.op == OpKind::Softmax ? std::exp(logp) : logp;
      }
    });
    return out;
  }
  case OpKind::Layernorm: return layernorm(t, nullptr, c.dtype(), v.float_attr("eps"));
  case OpKind::LayernormGrad: return layernorm(t, &c.x(1), c.dtype(), v.float_attr("eps"));
  case OpKind::MaxGrad: {
    const Tensor &g = c.x(1);
    Tensor out = Tensor::zeros(c.dtype(), t.shape);
    AxisView view(t.shape, v.optional_int_attr("axis"));
    int64_t group = 0;
    view.for_each_group([&](int64_t base, int64_t stride) {
      at(out, base + group_argmax(t, base, stride, view.n) * stride) = at(g, group++);
    });
    return out;
  }
#define ROW_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
    break;
  }
  throw std::logic_error(fmt::format("interpreter: '{}' is not a row op", v.info().name));
}

/// cross_entropy (its loss or its gradient) and nll of scores z [.., C]
/// against labels or soft targets y.
Tensor class_loss(const OpCall &c) {
  const ir::Value &v = c.v;
  const Tensor &z = c.x(0), &y = c.x(1);
  bool labels = y.dtype == ir::DType::I32;
  int64_t classes = z.shape.back(), batch = z.numel() / classes;
  double alpha = v.op == OpKind::Nll ? 0.0 : v.float_attr("label_smoothing");
  if (labels) check_labels(y, classes, v.info().name);
  if (v.op == OpKind::Nll) {
    double s = 0;
    for (int64_t b = 0; b < batch; ++b) s -= at(z, b * classes + static_cast<int64_t>(at(y, b)));
    return Tensor::scalar(s / static_cast<double>(batch), c.dtype());
  }
  Tensor grad = Tensor::zeros(c.dtype(), z.shape);
  double loss = 0;
  for (int64_t b = 0; b < batch; ++b) {
    double lse = group_logsumexp(z, b * classes, 1, classes);
    for (int64_t k = 0; k < classes; ++k) {
      double t = ce_target(y, labels, b, k, classes, alpha), logp = at(z, b * classes + k) - lse;
      loss -= t * logp;
      at(grad, b * classes + k) = (std::exp(logp) - t) / static_cast<double>(batch);
    }
  }
  return v.op == OpKind::CrossEntropy ? Tensor::scalar(loss / static_cast<double>(batch), c.dtype()) : grad;
}

/// The mean over all elements of f(p, t).
Tensor pairwise_mean(const OpCall &c, const std::function<double(double, double)> &f) {
  const Tensor &p = c.x(0), &t = c.x(1);
  double s = 0;
  for (int64_t i = 0; i < p.numel(); ++i) s += f(at(p, i), at(t, i));
  return Tensor::scalar(s / static_cast<double>(p.numel()), c.dtype());
}

Tensor loss_op(const OpCall &c) {
  const ir::Value &v = c.v;
  switch (v.op) {
  case OpKind::CrossEntropy:
  case OpKind::CrossEntropyGrad:
  case OpKind::Nll: return class_loss(c);
  // PyTorch's BCELoss clamps each log at -100.
  case OpKind::Bce:
    return pairwise_mean(c, [](double p, double t) { return -(t * std::max(std::log(p), -100.0) + (1 - t) * std::max(std::log(1 - p), -100.0)); });
  case OpKind::BceWithLogits:
    return pairwise_mean(c, [](double z, double t) { return std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::abs(z))); });
  case OpKind::Mse: return pairwise_mean(c, [](double p, double t) { return (p - t) * (p - t); });
  case OpKind::Hinge: {
    double margin = v.float_attr("margin");
    return pairwise_mean(c, [margin](double s, double sc) { return std::max(0.0, margin - s + sc); });
  }
#define LOSS_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
    break;
  }
  throw std::logic_error(fmt::format("interpreter: '{}' is not a loss", v.info().name));
}

Tensor concat(const OpCall &c) {
  Tensor out = Tensor::zeros(c.dtype(), c.shape);
  int64_t axis = c.v.int_attr("axis"), offset = 0;
  AxisView ov(c.shape, axis);
  for (const Tensor *t : c.in) {
    AxisView tv(t->shape, axis);
    for (int64_t o = 0; o < tv.outer; ++o)
      for (int64_t k = 0; k < tv.n; ++k)
        for (int64_t i = 0; i < tv.inner; ++i) at(out, ov.at(o, offset + k, i)) = at(*t, tv.at(o, k, i));
    offset += tv.n;
  }
  return out;
}

Tensor slice(const OpCall &c) {
  Tensor out = Tensor::zeros(c.dtype(), c.shape);
  int64_t start = c.v.int_attr("start");
  AxisView iv(c.x(0).shape, c.v.int_attr("axis")), ov(c.shape, c.v.int_attr("axis"));
  for (int64_t o = 0; o < ov.outer; ++o)
    for (int64_t k = 0; k < ov.n; ++k)
      for (int64_t i = 0; i < ov.inner; ++i) at(out, ov.at(o, k, i)) = at(c.x(0), iv.at(o, start + k, i));
  return out;
}

Tensor move_op(const OpCall &c) {
  const ir::Value &v = c.v;
  const ir::DType dt = c.dtype();
  switch (v.op) {
  case OpKind::Const: return Tensor::scalar(v.float_attr("value"), dt);
  case OpKind::Size: {
    AxisView view(c.x(0).shape, v.optional_int_attr("axis"));
    return Tensor::scalar(static_cast<double>(v.optional_int_attr("axis") ? view.n : c.x(0).numel()), dt);
  }
  case OpKind::Transpose: { // result element (i_0, ..., i_r) is the operand's element i_perm^-1
    const Tensor &x = c.x(0);
    std::vector<size_t> perm = ir::transpose_permutation(v);
    std::vector<int64_t> in_strides(x.shape.size(), 1), index(perm.size(), 0);
    for (size_t i = x.shape.size(); i-- > 1;) in_strides[i - 1] = in_strides[i] * x.shape[i];
    Tensor out = Tensor::zeros(dt, c.shape);
    for (int64_t flat = 0; flat < out.numel(); ++flat) {
      int64_t from = 0;
      for (size_t i = 0; i < perm.size(); ++i) from += index[i] * in_strides[perm[i]];
      at(out, flat) = at(x, from);
      for (size_t i = perm.size(); i-- > 0 && ++index[i] == c.shape[i];) index[i] = 0;
    }
    return out;
  }
  case OpKind::Concat: return concat(c);
  case OpKind::Slice: return slice(c);
  case OpKind::Embedding: {
    const Tensor &table = c.x(0), &ids = c.x(1);
    int64_t rows = table.shape[0], d = table.shape[1];
    Tensor out = Tensor::zeros(dt, c.shape);
    for (int64_t i = 0; i < ids.numel(); ++i) {
      auto id = static_cast<int64_t>(at(ids, i));
      if (id < 0 || id >= rows) throw InterpError(fmt::format("embedding: id {} is out of range [0, {})", id, rows));
      for (int64_t j = 0; j < d; ++j) at(out, i * d + j) = at(table, id * d + j);
    }
    return out;
  }
  case OpKind::EmbeddingGrad: {
    const Tensor &g = c.x(0), &ids = c.x(1);
    int64_t d = g.shape.back(), rows = v.int_attr("rows");
    check_labels(ids, rows, "embedding");
    Tensor out = Tensor::zeros(dt, c.shape);
    for (int64_t i = 0; i < ids.numel(); ++i)
      for (int64_t j = 0; j < d; ++j) at(out, static_cast<int64_t>(at(ids, i)) * d + j) += at(g, i * d + j);
    return out;
  }
  case OpKind::Onehot: {
    int64_t k = v.int_attr("num_classes");
    check_labels(c.x(0), k, "onehot");
    Tensor out = Tensor::zeros(dt, c.shape);
    for (int64_t i = 0; i < c.x(0).numel(); ++i) at(out, i * k + static_cast<int64_t>(at(c.x(0), i))) = 1;
    return out;
  }
#define MOVE_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
    break;
  }
  throw std::logic_error(fmt::format("interpreter: '{}' moves no data", v.info().name));
}

/// An image op through the shared plain loops (nncc/image_loops.hpp).
template <typename Loop> Tensor image_op(const OpCall &c, Loop loop) {
  Tensor out = Tensor::zeros(c.dtype(), c.shape);
  int64_t batch = c.v.op == OpKind::Conv2dGradInput ? c.shape[0] : c.x(0).shape[0]; // N of the input image
  loop(compiler::conv_shape(c.v, batch), out.data.data());
  return out;
}

/// A batch [N, C, ...] as batch norm's loops see it.
loops::NormShape norm_shape(const Tensor &x) {
  int64_t inner = 1;
  for (size_t i = 2; i < x.shape.size(); ++i) inner *= x.shape[i];
  return {x.shape[0], x.shape[1], inner};
}

/// A batch norm op through the shared plain loops (nncc/batch_norm_loops.hpp).
template <typename Loop> Tensor batch_norm_op(const OpCall &c, Loop loop) {
  Tensor out = Tensor::zeros(c.dtype(), c.shape);
  loop(norm_shape(c.x(0)), out.data.data());
  return out;
}

/// Runtime primitives (oneDNN in compiled code) as plain loops.
Tensor primitive_op(const OpCall &c) {
  auto in = [&](size_t i) { return c.x(i).data.data(); };
  auto eps = [&] { return c.v.float_attr("eps"); };
  switch (c.v.op) {
  case OpKind::Matmul: return matmul(c.x(0), c.x(1), c.shape, c.dtype());
  case OpKind::Conv2d: return image_op(c, [&](const nncc_conv_shape &s, double *y) { loops::conv2d(s, in(0), in(1), (const double *)nullptr, y); });
  case OpKind::Conv2dGradInput: return image_op(c, [&](const nncc_conv_shape &s, double *dx) { loops::conv2d_grad_input(s, in(0), in(1), dx); });
  case OpKind::Conv2dGradWeight: return image_op(c, [&](const nncc_conv_shape &s, double *dw) { loops::conv2d_grad_weight(s, in(0), in(1), dw); });
  case OpKind::MaxPool2d: return image_op(c, [&](const nncc_conv_shape &s, double *y) { loops::pool2d(NNCC_POOL_MAX, s, in(0), y); });
  case OpKind::AvgPool2d: return image_op(c, [&](const nncc_conv_shape &s, double *y) { loops::pool2d(NNCC_POOL_AVG, s, in(0), y); });
  case OpKind::MaxPool2dGrad: return image_op(c, [&](const nncc_conv_shape &s, double *dx) { loops::pool2d_grad(NNCC_POOL_MAX, s, in(0), in(2), dx); });
  case OpKind::AvgPool2dGrad: return image_op(c, [&](const nncc_conv_shape &s, double *dx) { loops::pool2d_grad(NNCC_POOL_AVG, s, in(0), in(1), dx); });
  case OpKind::Relayout: return c.x(0); // the interpreter stores every tensor plain
  case OpKind::BatchStats: return batch_norm_op(c, [&](const loops::NormShape &s, double *stats) { loops::batch_stats(s, in(0), stats); });
  case OpKind::BatchNormTrain:
    return batch_norm_op(c, [&](const loops::NormShape &s, double *y) { loops::batch_norm(s, eps(), in(0), in(1), in(2), in(3), /*relu=*/false, y); });
  case OpKind::BatchNormGradSums:
    return batch_norm_op(c, [&](const loops::NormShape &s, double *sums) { loops::batch_norm_grad_sums(s, eps(), in(0), in(1), in(2), sums); });
  case OpKind::BatchNormGrad:
    return batch_norm_op(c, [&](const loops::NormShape &s, double *dx) { loops::batch_norm_grad(s, eps(), in(0), in(1), in(2), in(3), in(4), dx); });
#define PRIMITIVE_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
    break;
  }
  throw std::logic_error(fmt::format("interpreter: '{}' is not a primitive", c.v.info().name));
}

Tensor compute(const OpCall &c) {
  switch (c.v.info().lowering) {
  case ir::Lowering::Loop: return loop_op(c);
  case ir::Lowering::Reduce: return reduce_op(c);
  case ir::Lowering::Row: return row_op(c);
  case ir::Lowering::Loss: return loss_op(c);
  case ir::Lowering::Move: return move_op(c);
  case ir::Lowering::Primitive: return primitive_op(c);
  case ir::Lowering::Alias: { // reshape: the same elements; training_else: one operand's, by mode
    bool second = c.v.info().has(ir::opflag::MODE_SELECT) && !c.options.training;
    return Tensor{c.dtype(), c.shape, c.x(second ? 1 : 0).data};
  }
  }
  throw std::logic_error(fmt::format("interpreter: no kernel for '{}'", c.v.info().name));
}

} // namespace

Tensor evaluate(const ir::Value &v, const std::vector<const Tensor *> &operands,
                const std::map<std::string, int64_t> &dims, const RunOptions &options) {
  Shape shape = resolve(v.type.shape, dims);
  Tensor out = compute(OpCall{v, operands, shape, options});
  out.dtype = v.type.dtype;
  out.shape = resolve(v.type.shape, dims);
  if (out.dtype == ir::DType::F32)
    for (double &e : out.data) e = static_cast<double>(static_cast<float>(e));
  if (out.dtype == ir::DType::BF16)
    for (double &e : out.data) e = static_cast<double>(bf16::round(static_cast<float>(e)));
  return out;
}

} // namespace nncc::interp
