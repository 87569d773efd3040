// The update rules of SPEC §1.8, written as IR after the backward graph.
// They follow PyTorch's torch.optim step by step (see the comments), so a
// step here and a step there give the same numbers.
#include "compiler/passes/optimizer.h"

#include "compiler/passes/autodiff.h"
#include "ir/builder.h"

#include <cmath>
#include <fmt/format.h>
#include <stdexcept>
#include <unordered_map>

namespace nncc::compiler {

using ir::OpKind;
using ir::Value;

namespace {

double setting(const ir::OptimizerDecl &opt, std::string_view name) {
  const auto &specs = ir::optimizer_info(opt.kind).attrs;
  return ir::attr_float(opt.attrs[static_cast<size_t>(ir::find_attr(specs, name))]);
}

/// The builder vocabulary of the update rules.
class Update {
public:
  Update(ir::Function &fn, ir::DType dtype, Location loc) : b_(fn), dtype_(dtype), loc_(loc) {}
  Value *op(OpKind k, std::vector<Value *> xs) { return b_.create(k, std::move(xs), {}, loc_); }
  Value *c(double v) { return b_.constant(v, dtype_, loc_); }
  Value *add(Value *a, Value *b) { return op(OpKind::Add, {a, b}); }
  Value *sub(Value *a, Value *b) { return op(OpKind::Sub, {a, b}); }
  Value *mul(Value *a, Value *b) { return op(OpKind::Mul, {a, b}); }
  Value *div(Value *a, Value *b) { return op(OpKind::Div, {a, b}); }
  Value *note(Value *v, std::string text) {
    v->note = std::move(text);
    return v;
  }

private:
  ir::Builder b_;
  ir::DType dtype_;
  Location loc_;
};

} // namespace

std::vector<std::string> optimizer_state_names(const ir::Module &module, const std::string &param) {
  if (!module.optimizer) return {};
  if (module.optimizer->kind == ir::OptimizerKind::Sgd)
    return setting(*module.optimizer, "momentum") > 0 ? std::vector<std::string>{"opt." + param + ".momentum"}
                                                       : std::vector<std::string>{};
  return {"opt." + param + ".m", "opt." + param + ".v"};
}

ir::Function &build_train_step(ir::Module &module) {
  if (!module.optimizer) throw std::invalid_argument(fmt::format("model '{}' has no optimizer", module.name));
  if (module.find_function("train_step")) throw std::logic_error("the module already has a train_step function");
  const ir::Function *grad = module.find_function("grad");
  if (!grad) grad = &build_grad(module).fn;
  const ir::OptimizerDecl &opt = *module.optimizer;
  ir::DType dtype = module.params.empty() ? ir::DType::F32 : module.params.front().type.dtype;

  ir::Function &ts = module.add_function("train_step");
  std::unordered_map<const Value *, Value *> map = ts.append_function(*grad);
  Value *lr = ts.add_argument(ir::ValueKind::State, "lr", ir::Type::scalar(dtype), opt.loc);
  Value *step = ts.add_argument(ir::ValueKind::State, "step", ir::Type::scalar(dtype), opt.loc);
  std::unordered_map<std::string, Value *> state;
  for (const ir::ParamDecl &p : module.params)
    for (const std::string &name : optimizer_state_names(module, p.name))
      state[name] = ts.add_argument(ir::ValueKind::State, name, p.type, p.loc);

  Update u(ts, dtype, opt.loc);
  std::vector<Value *> grads;
  for (const ir::ParamDecl &p : module.params) grads.push_back(map.at(grad->find_result("d_" + p.name)->value));

  // torch.nn.utils.clip_grad_norm_: one scale for all gradients.
  if (double clip = setting(opt, "clip_norm"); clip > 0) {
    Value *sq = nullptr;
    for (Value *g : grads) {
      Value *s = u.op(OpKind::Sum, {u.mul(g, g)});
      sq = sq ? u.add(sq, s) : s;
    }
    if (sq) {
      Value *norm = u.note(u.op(OpKind::Sqrt, {sq}), "global L2 norm of all gradients");
      Value *scale = u.note(u.op(OpKind::Minimum, {u.c(1), u.div(u.c(clip), u.add(norm, u.c(1e-6)))}),
                            fmt::format("clip: scale = min(1, {:g} / (norm + 1e-6))", clip));
      for (Value *&g : grads) g = u.mul(g, scale);
    }
  }

  ts.add_result("loss", map.at(grad->find_result("loss")->value));
  std::vector<ir::FunctionResult> state_results;
  double wd = setting(opt, "weight_decay");
  for (size_t i = 0; i < module.params.size(); ++i) {
    const ir::ParamDecl &p = module.params[i];
    Value *theta = map.at(grad->find_argument(p.name)), *g = grads[i];
    Value *updated = nullptr;
    if (opt.kind == ir::OptimizerKind::Sgd) { // torch.optim.SGD (dampening 0)
      if (wd > 0) g = u.add(g, u.mul(u.c(wd), theta));
      if (double mu = setting(opt, "momentum"); mu > 0) {
        std::string name = "opt." + p.name + ".momentum";
        Value *buf = u.note(u.add(u.mul(u.c(mu), state.at(name)), g), fmt::format("velocity = {:g} velocity + g", mu));
        state_results.push_back({name, buf});
        bool nesterov = std::get<bool>(opt.attrs[static_cast<size_t>(ir::find_attr(ir::optimizer_info(opt.kind).attrs, "nesterov"))]);
        g = nesterov ? u.add(g, u.mul(u.c(mu), buf)) : buf;
      }
      updated = u.note(u.sub(theta, u.mul(lr, g)), fmt::format("{0} -= lr * dL/d{0}", p.name));
    } else { // torch.optim.Adam / AdamW
      double b1 = setting(opt, "beta1"), b2 = setting(opt, "beta2"), eps = setting(opt, "eps");
      bool decoupled = opt.kind == ir::OptimizerKind::AdamW;
      if (wd > 0 && decoupled) theta = u.note(u.sub(theta, u.mul(u.mul(lr, u.c(wd)), theta)), "decoupled weight decay");
      if (wd > 0 && !decoupled) g = u.add(g, u.mul(u.c(wd), theta));
      std::string m_name = "opt." + p.name + ".m", v_name = "opt." + p.name + ".v";
      Value *m = u.note(u.add(u.mul(u.c(b1), state.at(m_name)), u.mul(u.c(1 - b1), g)), fmt::format("m = {:g} m + {:g} g", b1, 1 - b1));
      Value *v = u.note(u.add(u.mul(u.c(b2), state.at(v_name)), u.mul(u.c(1 - b2), u.mul(g, g))),
                        fmt::format("v = {:g} v + {:g} g^2", b2, 1 - b2));
      // Bias corrections 1 - beta^step, with beta^step = exp(step log beta).
      auto correction = [&](double beta) { return u.sub(u.c(1), u.op(OpKind::Exp, {u.mul(step, u.c(std::log(beta)))})); };
      Value *m_hat = u.div(m, correction(b1)), *v_hat = u.div(v, correction(b2));
      Value *delta = u.div(u.mul(lr, m_hat), u.add(u.op(OpKind::Sqrt, {v_hat}), u.c(eps)));
      updated = u.note(u.sub(theta, delta), fmt::format("{} -= lr * m_hat / (sqrt(v_hat) + eps)", p.name));
      state_results.push_back({m_name, m});
      state_results.push_back({v_name, v});
    }
    ts.add_result(p.name, updated);
  }
  for (ir::FunctionResult &r : state_results) ts.add_result(std::move(r.name), r.value);
  ts.remove_unused();
  return ts;
}

} // namespace nncc::compiler
