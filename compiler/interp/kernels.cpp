// One plain loop nest per op: the definitions every faster implementation
// must agree with. Numerically stable forms are used where SPEC §1.6 asks.
#include "compiler/interp/interpreter.h"

#include "nncc/rng.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <functional>
#include <limits>

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
    int64_t a = *axis < 0 ? *axis + static_cast<int64_t>(shape.size()) : *axis;
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

std::optional<int64_t> axis_attr(const ir::Value &v, std::string_view name = "axis") {
  const ir::AttrValue &a = v.info().attr(v.attrs, name);
  if (ir::attr_is_none(a)) return std::nullopt;
  return std::get<int64_t>(a);
}
double float_attr(const ir::Value &v, std::string_view name) { return ir::attr_float(v.info().attr(v.attrs, name)); }
int64_t int_attr(const ir::Value &v, std::string_view name) { return std::get<int64_t>(v.info().attr(v.attrs, name)); }

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
  double p = float_attr(v, "p");
  if (!o.training || p == 0) return 1.0;
  uint64_t stream = rng::dropout_stream(o.step, static_cast<uint64_t>(int_attr(v, "key")));
  return rng::uniform(o.seed, stream, static_cast<uint64_t>(i)) >= p ? 1.0 / (1.0 - p) : 0.0;
}

Tensor matmul(const Tensor &a, const Tensor &b, const Shape &out_shape, ir::DType dtype) {
  int64_t m = a.shape.size() == 2 ? a.shape[0] : 1, k = a.shape.back();
  int64_t n = b.shape.size() == 2 ? b.shape[1] : 1;
  Tensor out = Tensor::zeros(dtype, out_shape);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) s += at(a, i * k + p) * at(b, p * n + j);
      at(out, i * n + j) = s;
    }
  return out;
}

Tensor compute(const ir::Value &v, const std::vector<const Tensor *> &in, const Shape &shape,
               const RunOptions &options) {
  const ir::DType dt = v.type.dtype;
  auto x = [&](size_t i) -> const Tensor & { return *in[i]; };
  auto bin = [&](const std::function<double(double, double)> &f) { return binary(x(0), x(1), shape, dt, f); };
  auto un = [&](const std::function<double(double)> &f) { return unary(x(0), dt, f); };
  switch (v.op) {
  case OpKind::Const: return Tensor::scalar(float_attr(v, "value"), dt);
  case OpKind::Add: return bin([](double a, double b) { return a + b; });
  case OpKind::Sub: return bin([](double a, double b) { return a - b; });
  case OpKind::Mul: return bin([](double a, double b) { return a * b; });
  case OpKind::Div: return bin([](double a, double b) { return a / b; });
  case OpKind::Maximum: return bin([](double a, double b) { return a >= b ? a : b; });
  case OpKind::Minimum: return bin([](double a, double b) { return a <= b ? a : b; });
  case OpKind::Greater: return bin([](double a, double b) { return a > b ? 1.0 : 0.0; });
  case OpKind::GreaterEqual: return bin([](double a, double b) { return a >= b ? 1.0 : 0.0; });
  case OpKind::Neg: return un([](double a) { return -a; });
  case OpKind::Pow: {
    double c = float_attr(v, "exponent");
    return un([c](double a) { return std::pow(a, c); });
  }
  case OpKind::Exp: return un([](double a) { return std::exp(a); });
  case OpKind::Log: return un([](double a) { return std::log(a); });
  case OpKind::Sqrt: return un([](double a) { return std::sqrt(a); });
  case OpKind::Square: return un([](double a) { return a * a; });
  case OpKind::Abs: return un([](double a) { return std::abs(a); });
  case OpKind::Tanh: return un([](double a) { return std::tanh(a); });
  case OpKind::Sigmoid: return un(sigmoid);
  case OpKind::LogSigmoid: return un([](double a) { return std::min(a, 0.0) - std::log1p(std::exp(-std::abs(a))); });
  case OpKind::Relu: return un([](double a) { return a > 0 ? a : 0.0; });
  case OpKind::LeakyRelu: {
    double alpha = float_attr(v, "alpha");
    return un([alpha](double a) { return a > 0 ? a : alpha * a; });
  }
  case OpKind::Step: return un([](double a) { return a >= 0 ? 1.0 : 0.0; });
  case OpKind::Sign: return un([](double a) { return a > 0 ? 1.0 : a < 0 ? -1.0 : 0.0; });
  case OpKind::ZerosLike: return Tensor::zeros(dt, x(0).shape);
  case OpKind::Dropout:
  case OpKind::DropoutMask: {
    Tensor out{dt, x(0).shape, x(0).data};
    for (int64_t i = 0; i < out.numel(); ++i)
      at(out, i) = dropout_mask(v, i, options) * (v.op == OpKind::Dropout ? at(out, i) : 1.0);
    return out;
  }
  case OpKind::Sum:
  case OpKind::Mean:
  case OpKind::Max:
  case OpKind::Logsumexp: {
    const Tensor &t = x(0);
    return reduce(t, shape, dt, AxisView(t.shape, axis_attr(v)), [&](int64_t base, int64_t stride, int64_t n) {
      if (v.op == OpKind::Max) return group_max(t, base, stride, n);
      if (v.op == OpKind::Logsumexp) return group_logsumexp(t, base, stride, n);
      double s = 0;
      for (int64_t k = 0; k < n; ++k) s += at(t, base + k * stride);
      return v.op == OpKind::Mean ? s / static_cast<double>(n) : s;
    });
  }
  case OpKind::Argmax: {
    const Tensor &t = x(0);
    return reduce(t, shape, dt, AxisView(t.shape, axis_attr(v)), [&](int64_t base, int64_t stride, int64_t n) {
      return static_cast<double>(group_argmax(t, base, stride, n));
    });
  }
  case OpKind::Size: {
    AxisView view(x(0).shape, axis_attr(v));
    return Tensor::scalar(static_cast<double>(axis_attr(v) ? view.n : x(0).numel()), dt);
  }
  case OpKind::Softmax:
  case OpKind::LogSoftmax: {
    Tensor out{dt, x(0).shape, x(0).data};
    AxisView view(x(0).shape, axis_attr(v));
    view.for_each_group([&](int64_t base, int64_t stride) {
      double lse = group_logsumexp(x(0), base, stride, view.n);
      for (int64_t k = 0; k < view.n; ++k) {
        double logp = at(x(0), base + k * stride) - lse;
        at(out, base + k * stride) = v.op == OpKind::Softmax ? std::exp(logp) : logp;
      }
    });
    return out;
  }
  case OpKind::Layernorm: {
    Tensor out{dt, x(0).shape, x(0).data};
    double eps = float_attr(v, "eps");
    AxisView view(x(0).shape, -1);
    view.for_each_group([&](int64_t base, int64_t stride) {
      double mean = 0, var = 0;
      for (int64_t k = 0; k < view.n; ++k) mean += at(x(0), base + k * stride);
      mean /= static_cast<double>(view.n);
      for (int64_t k = 0; k < view.n; ++k) var += std::pow(at(x(0), base + k * stride) - mean, 2);
      var /= static_cast<double>(view.n);
      for (int64_t k = 0; k < view.n; ++k)
        at(out, base + k * stride) = (at(x(0), base + k * stride) - mean) / std::sqrt(var + eps);
    });
    return out;
  }
  case OpKind::Matmul: return matmul(x(0), x(1), shape, dt);
  case OpKind::Transpose: {
    Tensor out = Tensor::zeros(dt, shape);
    int64_t r = x(0).shape[0], c = x(0).shape[1];
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j) at(out, j * r + i) = at(x(0), i * c + j);
    return out;
  }
  case OpKind::Reshape: return Tensor{dt, shape, x(0).data};
  case OpKind::BroadcastTo: return binary(x(0), Tensor::scalar(0, dt), shape, dt, [](double a, double) { return a; });
  case OpKind::SumTo: {
    Tensor out = Tensor::zeros(dt, shape);
    BroadcastIndex to_out(shape, x(0).shape);
    for (int64_t i = 0; i < x(0).numel(); ++i) at(out, to_out(i)) += at(x(0), i);
    return out;
  }
  case OpKind::Concat: {
    Tensor out = Tensor::zeros(dt, shape);
    int64_t axis = int_attr(v, "axis"), offset = 0;
    AxisView ov(shape, axis);
    for (const Tensor *t : in) {
      AxisView tv(t->shape, axis);
      for (int64_t o = 0; o < tv.outer; ++o)
        for (int64_t k = 0; k < tv.n; ++k)
          for (int64_t i = 0; i < tv.inner; ++i) at(out, ov.at(o, offset + k, i)) = at(*t, tv.at(o, k, i));
      offset += tv.n;
    }
    return out;
  }
  case OpKind::Slice: {
    Tensor out = Tensor::zeros(dt, shape);
    int64_t start = int_attr(v, "start");
    AxisView iv(x(0).shape, int_attr(v, "axis")), ov(shape, int_attr(v, "axis"));
    for (int64_t o = 0; o < ov.outer; ++o)
      for (int64_t k = 0; k < ov.n; ++k)
        for (int64_t i = 0; i < ov.inner; ++i) at(out, ov.at(o, k, i)) = at(x(0), iv.at(o, start + k, i));
    return out;
  }
  case OpKind::Embedding: {
    const Tensor &table = x(0), &ids = x(1);
    int64_t rows = table.shape[0], d = table.shape[1];
    Tensor out = Tensor::zeros(dt, shape);
    for (int64_t i = 0; i < ids.numel(); ++i) {
      auto id = static_cast<int64_t>(at(ids, i));
      if (id < 0 || id >= rows) throw InterpError(fmt::format("embedding: id {} is out of range [0, {})", id, rows));
      for (int64_t j = 0; j < d; ++j) at(out, i * d + j) = at(table, id * d + j);
    }
    return out;
  }
  case OpKind::EmbeddingGrad: {
    const Tensor &g = x(0), &ids = x(1);
    int64_t d = g.shape.back(), rows = int_attr(v, "rows");
    check_labels(ids, rows, "embedding");
    Tensor out = Tensor::zeros(dt, shape);
    for (int64_t i = 0; i < ids.numel(); ++i)
      for (int64_t j = 0; j < d; ++j) at(out, static_cast<int64_t>(at(ids, i)) * d + j) += at(g, i * d + j);
    return out;
  }
  case OpKind::Onehot: {
    int64_t k = int_attr(v, "num_classes");
    check_labels(x(0), k, "onehot");
    Tensor out = Tensor::zeros(dt, shape);
    for (int64_t i = 0; i < x(0).numel(); ++i) at(out, i * k + static_cast<int64_t>(at(x(0), i))) = 1;
    return out;
  }
  case OpKind::CrossEntropy:
  case OpKind::CrossEntropyGrad:
  case OpKind::Nll: {
    const Tensor &z = x(0), &y = x(1);
    bool labels = y.dtype == ir::DType::I32;
    int64_t classes = z.shape.back(), batch = z.numel() / classes;
    double alpha = v.op == OpKind::Nll ? 0.0 : float_attr(v, "label_smoothing");
    if (labels) check_labels(y, classes, v.info().name);
    if (v.op == OpKind::Nll) {
      double s = 0;
      for (int64_t b = 0; b < batch; ++b) s -= at(z, b * classes + static_cast<int64_t>(at(y, b)));
      return Tensor::scalar(s / static_cast<double>(batch), dt);
    }
    Tensor grad = Tensor::zeros(dt, z.shape);
    double loss = 0;
    for (int64_t b = 0; b < batch; ++b) {
      double lse = group_logsumexp(z, b * classes, 1, classes);
      for (int64_t k = 0; k < classes; ++k) {
        double t = ce_target(y, labels, b, k, classes, alpha), logp = at(z, b * classes + k) - lse;
        loss -= t * logp;
        at(grad, b * classes + k) = (std::exp(logp) - t) / static_cast<double>(batch);
      }
    }
    return v.op == OpKind::CrossEntropy ? Tensor::scalar(loss / static_cast<double>(batch), dt) : grad;
  }
  case OpKind::Bce:
  case OpKind::BceWithLogits:
  case OpKind::Mse:
  case OpKind::Hinge: {
    const Tensor &p = x(0), &t = x(1);
    double margin = v.op == OpKind::Hinge ? float_attr(v, "margin") : 0.0, s = 0;
    for (int64_t i = 0; i < p.numel(); ++i) {
      double a = at(p, i), b = at(t, i);
      switch (v.op) {
      // PyTorch's BCELoss clamps each log at -100.
      case OpKind::Bce: s -= b * std::max(std::log(a), -100.0) + (1 - b) * std::max(std::log(1 - a), -100.0); break;
      case OpKind::BceWithLogits: s += std::max(a, 0.0) - a * b + std::log1p(std::exp(-std::abs(a))); break;
      case OpKind::Mse: s += (a - b) * (a - b); break;
      default: s += std::max(0.0, margin - a + b); break;
      }
    }
    return Tensor::scalar(s / static_cast<double>(p.numel()), dt);
  }
  case OpKind::BceGrad: {
    const Tensor &p = x(0), &t = x(1);
    Tensor out = Tensor::zeros(dt, p.shape);
    double n = static_cast<double>(p.numel());
    for (int64_t i = 0; i < p.numel(); ++i)
      at(out, i) = (at(p, i) - at(t, i)) / std::max(at(p, i) * (1 - at(p, i)), 1e-12) / n;
    return out;
  }
  case OpKind::MaxGrad: {
    const Tensor &t = x(0), &g = x(1);
    Tensor out = Tensor::zeros(dt, t.shape);
    AxisView view(t.shape, axis_attr(v));
    int64_t group = 0;
    view.for_each_group([&](int64_t base, int64_t stride) {
      at(out, base + group_argmax(t, base, stride, view.n) * stride) = at(g, group++);
    });
    return out;
  }
  }
  throw std::logic_error(fmt::format("interpreter: no kernel for '{}'", v.info().name));
}

} // namespace

Tensor evaluate(const ir::Value &v, const std::vector<const Tensor *> &operands,
                const std::map<std::string, int64_t> &dims, const RunOptions &options) {
  Tensor out = compute(v, operands, resolve(v.type.shape, dims), options);
  out.dtype = v.type.dtype;
  out.shape = resolve(v.type.shape, dims);
  if (out.dtype == ir::DType::F32)
    for (double &e : out.data) e = static_cast<double>(static_cast<float>(e));
  return out;
}

} // namespace nncc::interp
