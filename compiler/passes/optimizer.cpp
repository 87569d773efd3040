// The update rules of SPEC §1.8, written as IR after the backward graph.
// They follow PyTorch's torch.optim step by step (see the comments), so a
// step here and a step there give the same numbers.
#include "compiler/passes/optimizer.h"

#include "compiler/passes/autodiff.h"
#include "compiler/passes/expr.h"

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

} // namespace

std::vector<std::string> optimizer_state_names(const ir::Module &module, const std::string &param) {
  if (!module.optimizer) return {};
  if (module.optimizer->kind == ir::OptimizerKind::Sgd)
    return setting(*module.optimizer, "momentum") > 0 ? std::vector<std::string>{"opt." + param + ".momentum"}
                                                       : std::vector<std::string>{};
  return {"opt." + param + ".m", "opt." + param + ".v"};
}

namespace {

/// Appends the optimizer's update of every param to `fn`: `params[i]` is the
/// current value of module.params[i], `grads[i]` its gradient. Adds the
/// arguments the update reads (`lr`, `step`, each param's optimizer state)
/// and the results: each param's new value (named like the param), then
/// each state tensor's.
void append_update(const ir::Module &module, ir::Function &fn, const std::vector<Value *> &params,
                   const std::vector<Value *> &grad_values) {
  const ir::OptimizerDecl &opt = *module.optimizer;
  ir::DType dtype = module.params.empty() ? ir::DType::F32 : module.params.front().type.dtype;
  Value *lr_arg = fn.add_argument(ir::ValueKind::State, "lr", ir::Type::scalar(dtype), opt.loc);
  Value *step_arg = fn.add_argument(ir::ValueKind::State, "step", ir::Type::scalar(dtype), opt.loc);
  std::unordered_map<std::string, Value *> state;
  for (const ir::ParamDecl &p : module.params)
    for (const std::string &name : optimizer_state_names(module, p.name))
      state[name] = fn.add_argument(ir::ValueKind::State, name, p.type, p.loc);

  ExprBuilder u(fn, dtype, opt.loc);
  auto note = [](const Expr &e, const std::string &name) {
    e.value->note = fmt::format("{} = {}", name, e.text);
    return e;
  };
  std::vector<Expr> grads;
  for (size_t i = 0; i < module.params.size(); ++i) grads.push_back(u.of(grad_values[i], "dL/d" + module.params[i].name));

  // torch.nn.utils.clip_grad_norm_: one scale for all gradients.
  if (double clip = setting(opt, "clip_norm"); clip > 0 && !grads.empty()) {
    Expr sq = u.call(OpKind::Sum, {grads[0] * grads[0]});
    for (size_t i = 1; i < grads.size(); ++i) sq = sq + u.call(OpKind::Sum, {grads[i] * grads[i]});
    Expr norm = note(u.call(OpKind::Sqrt, {sq}), "norm").as("norm");
    Expr scale = note(u.call(OpKind::Minimum, {u.c(1), clip / (norm + 1e-6)}), "clip scale").as("scale");
    for (Expr &g : grads) g = g * scale;
  }

  std::vector<ir::FunctionResult> state_results;
  double wd = setting(opt, "weight_decay");
  Expr lr = u.of(lr_arg, "lr"), step = u.of(step_arg, "step");
  for (size_t i = 0; i < module.params.size(); ++i) {
    const ir::ParamDecl &p = module.params[i];
    Expr theta = u.of(params[i], p.name), g = grads[i];
    Expr updated;
    if (opt.kind == ir::OptimizerKind::Sgd) { // torch.optim.SGD (dampening 0)
      if (wd > 0) g = g + wd * theta;
      if (double mu = setting(opt, "momentum"); mu > 0) {
        std::string name = "opt." + p.name + ".momentum";
        Expr buf = note(mu * u.of(state.at(name), "velocity") + g, "velocity");
        state_results.push_back({name, buf.value});
        bool nesterov = std::get<bool>(opt.attrs[static_cast<size_t>(ir::find_attr(ir::optimizer_info(opt.kind).attrs, "nesterov"))]);
        g = nesterov ? g + mu * buf.as("velocity") : buf.as("velocity");
      }
      updated = note(theta - lr * g, p.name);
    } else { // torch.optim.Adam / AdamW
      double b1 = setting(opt, "beta1"), b2 = setting(opt, "beta2"), eps = setting(opt, "eps");
      bool decoupled = opt.kind == ir::OptimizerKind::AdamW;
      if (wd > 0 && decoupled) theta = note(theta - lr * wd * theta, p.name).as(p.name);
      if (wd > 0 && !decoupled) g = g + wd * theta;
      std::string m_name = "opt." + p.name + ".m", v_name = "opt." + p.name + ".v";
      Expr m = note(b1 * u.of(state.at(m_name), "m") + (1 - b1) * g, "m");
      Expr v = note(b2 * u.of(state.at(v_name), "v") + (1 - b2) * (g * g), "v");
      // Bias corrections 1 - beta^step, with beta^step = exp(step log beta).
      auto correction = [&](double beta) {
        return (1 - u.call(OpKind::Exp, {step * std::log(beta)})).as(fmt::format("(1 - {:g}^step)", beta));
      };
      Expr m_hat = note(m.as("m") / correction(b1), "m_hat").as("m_hat");
      Expr v_hat = note(v.as("v") / correction(b2), "v_hat").as("v_hat");
      updated = note(theta - lr * m_hat / (u.call(OpKind::Sqrt, {v_hat}) + eps), p.name);
      state_results.push_back({m_name, m.value});
      state_results.push_back({v_name, v.value});
    }
    fn.add_result(p.name, updated.value);
  }
  for (ir::FunctionResult &r : state_results) fn.add_result(std::move(r.name), r.value);
}

} // namespace

ir::Function &build_train_step(ir::Module &module) {
  if (!module.optimizer) throw std::invalid_argument(fmt::format("model '{}' has no optimizer", module.name));
  if (module.find_function("train_step")) throw std::logic_error("the module already has a train_step function");
  const ir::Function *grad = module.find_function("grad");
  if (!grad) grad = &build_grad(module).fn;
  ir::Function &ts = module.add_function("train_step");
  std::unordered_map<const Value *, Value *> map = ts.append_function(*grad);
  ts.add_result("loss", map.at(grad->find_result("loss")->value));
  std::vector<Value *> params, grads;
  for (const ir::ParamDecl &p : module.params) {
    params.push_back(map.at(grad->find_argument(p.name)));
    grads.push_back(map.at(grad->find_result("d_" + p.name)->value));
  }
  append_update(module, ts, params, grads);
  for (const ir::StateDecl &s : module.states) // a batch norm's running statistics
    if (const ir::FunctionResult *r = grad->find_result(s.name)) ts.add_result(s.name, map.at(r->value));
  ts.remove_unused();
  return ts;
}

ir::Function &build_apply_update(ir::Module &module) {
  if (!module.optimizer) throw std::invalid_argument(fmt::format("model '{}' has no optimizer", module.name));
  if (module.find_function("apply_update")) throw std::logic_error("the module already has an apply_update function");
  ir::Function &fn = module.add_function("apply_update");
  std::vector<Value *> params, grads;
  for (const ir::ParamDecl &p : module.params)
    grads.push_back(fn.add_argument(ir::ValueKind::Input, "d_" + p.name, p.type, p.loc));
  for (const ir::ParamDecl &p : module.params) params.push_back(fn.add_argument(ir::ValueKind::Param, p.name, p.type, p.loc));
  append_update(module, fn, params, grads);
  return fn;
}

} // namespace nncc::compiler
