#include "frontend/batch_norm.h"

#include "ir/builder.h"

#include <fmt/format.h>

namespace nncc::frontend {

using ir::OpKind;
using ir::Value;

const std::vector<ir::AttrSpec> &batch_norm_attrs() {
  static const std::vector<ir::AttrSpec> specs = ir::parse_attr_specs("momentum:float=0.1, eps:float=1e-5");
  return specs;
}

namespace {

/// Builds the composite in the forward function at the call's location.
class Composite {
public:
  Composite(SemaContext &ctx, const BatchNormCall &call) : b_(ctx.forward), call_(call), dtype_(call.x->type.dtype) {}

  Value *op(OpKind kind, std::vector<Value *> operands, ir::Attrs attrs = {}, std::string note = {}) {
    if (attrs.empty()) attrs = ir::attrs_of(kind, {}); // the defaults
    Value *v = b_.create(kind, std::move(operands), std::move(attrs), call_.loc);
    v->note = std::move(note);
    return v;
  }
  Value *c(double value) { return b_.constant(value, dtype_, call_.loc); }
  Value *reshape(Value *v, ir::Shape shape) { return op(OpKind::Reshape, {v}, ir::attrs_of(OpKind::Reshape, {{"shape", std::move(shape)}})); }
private:
  ir::Builder b_;
  const BatchNormCall &call_;
  ir::DType dtype_;
};

bool check_operands(const BatchNormCall &call, SemaContext &ctx) {
  const ir::Type &x = call.x->type;
  if (!ir::is_float(x.dtype) || x.rank() < 2 || x.shape[1].is_symbolic()) {
    ctx.diags.error(call.loc, fmt::format("batch_norm needs a float batch [N, C, ...] with static channels C, got {}", x.str()));
    return false;
  }
  ir::Type channels{x.dtype, {x.shape[1]}};
  for (const auto &[what, v] : {std::pair{"gamma", call.gamma}, std::pair{"beta", call.beta}})
    if (v->type != channels) {
      ctx.diags.error(call.loc, fmt::format("batch_norm: {} is {}, but the {} channels of x {} need {}", what, v->type.str(), x.shape[1].size,
                                            x.str(), channels.str()));
      return false;
    }
  return true;
}

} // namespace

ir::Value *lower_batch_norm(const BatchNormCall &call, SemaContext &ctx, std::vector<ir::FunctionResult> &updates) {
  if (!check_operands(call, ctx)) return nullptr;
  const ir::Type &xt = call.x->type;
  ir::Type stat_type{xt.dtype, {xt.shape[1]}};
  ir::Shape per_channel(xt.rank(), ir::Dim::fixed(1));
  per_channel[1] = xt.shape[1];
  std::string mean_name = call.name + ".running_mean", var_name = call.name + ".running_var";
  for (const std::string &name : {mean_name, var_name})
    if (ctx.module.find_state(name)) {
      ctx.diags.error(call.loc, fmt::format("batch_norm: running statistics '{}' are declared twice", name));
      return nullptr;
    }
  ctx.module.states.push_back({mean_name, stat_type, 0.0, call.loc});
  ctx.module.states.push_back({var_name, stat_type, 1.0, call.loc});
  Value *running_mean = ctx.forward.add_argument(ir::ValueKind::State, mean_name, stat_type, call.loc);
  Value *running_var = ctx.forward.add_argument(ir::ValueKind::State, var_name, stat_type, call.loc);

  Composite g(ctx, call);
  ir::Attrs eps = ir::attrs_of(OpKind::BatchNormTrain, {{"eps", call.eps}});
  Value *stats = g.op(OpKind::BatchStats, {call.x}, {}, "the batch's mean and variance (biased) per channel");
  Value *trained = g.op(OpKind::BatchNormTrain, {call.x, stats, call.gamma, call.beta}, eps,
                        "(x - mean) / sqrt(var + eps) * gamma + beta, with the batch's statistics");
  auto channel = [&](Value *v) { return g.reshape(v, per_channel); };
  Value *normalized = g.op(OpKind::Div, {g.op(OpKind::Sub, {call.x, channel(running_mean)}),
                                         g.op(OpKind::Sqrt, {g.op(OpKind::Add, {channel(running_var), g.c(call.eps)})})});
  Value *inferred = g.op(OpKind::Add, {g.op(OpKind::Mul, {normalized, channel(call.gamma)}), channel(call.beta)}, {},
                         fmt::format("(x - {}) / sqrt({} + eps) * gamma + beta", mean_name, var_name));
  Value *y = g.op(OpKind::TrainingElse, {trained, inferred}, {}, "with the batch's statistics in training, the running ones in inference");
  auto statistic = [&](int64_t row) {
    Value *r = g.op(OpKind::Slice, {stats}, ir::attrs_of(OpKind::Slice, {{"axis", int64_t{0}}, {"start", row}, {"end", row + 1}}));
    return g.reshape(r, stat_type.shape);
  };

  // PyTorch's update: (1 - momentum) * running + momentum * batch, the variance unbiased (n / (n - 1)).
  Value *n = g.op(OpKind::Div, {g.op(OpKind::Size, {call.x}), g.op(OpKind::Size, {call.x}, ir::attrs_of(OpKind::Size, {{"axis", int64_t{1}}}))});
  Value *unbiased = g.op(OpKind::Div, {n, g.op(OpKind::Sub, {n, g.c(1)})});
  auto update = [&](Value *running, Value *batch) {
    return g.op(OpKind::Add, {g.op(OpKind::Mul, {g.c(1 - call.momentum), running}), g.op(OpKind::Mul, {g.c(call.momentum), batch})});
  };
  Value *new_mean = update(running_mean, statistic(0));
  Value *new_var = update(running_var, g.op(OpKind::Mul, {statistic(1), unbiased}));
  new_mean->note = fmt::format("{} after this step", mean_name);
  new_var->note = fmt::format("{} after this step", var_name);
  updates.push_back({mean_name, new_mean});
  updates.push_back({var_name, new_var});
  return y;
}

} // namespace nncc::frontend
