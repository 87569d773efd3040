// A topological walk in reverse: each op value hands dL/d(value) to its
// rule in grad_rules.cpp and accumulates what comes back into its operands.
#include "compiler/passes/autodiff.h"

#include "compiler/passes/expr.h"
#include "compiler/passes/grad_rules.h"
#include "ir/builder.h"

#include <fmt/format.h>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace nncc::compiler {

using ir::Value;

namespace {

/// Copies into `out` the arguments of `fn` and the op values `roots` depend on.
std::unordered_map<const Value *, Value *> clone_for(const ir::Function &fn, const std::vector<const Value *> &roots, ir::Function &out) {
  std::unordered_set<const Value *> needed(roots.begin(), roots.end());
  for (auto it = fn.body().rbegin(); it != fn.body().rend(); ++it)
    if (needed.count(*it))
      for (const Value *o : (*it)->operands) needed.insert(o);
  std::unordered_map<const Value *, Value *> map;
  for (const Value *a : fn.arguments()) map[a] = out.add_argument(a->kind, a->name, a->type, a->loc);
  for (const Value *v : fn.body()) {
    if (!needed.count(v)) continue;
    std::vector<Value *> operands;
    for (const Value *o : v->operands) operands.push_back(map.at(o));
    map[v] = out.append_copy(*v, std::move(operands));
  }
  return map;
}

/// The values that depend on a differentiated argument through ops that
/// pass gradients.
std::unordered_set<const Value *> needing_gradients(const ir::Function &fn, const AutodiffOptions &options) {
  std::unordered_set<const Value *> needs;
  for (const Value *a : fn.arguments())
    if (a->kind == ir::ValueKind::Param || (options.input_gradients && a->kind == ir::ValueKind::Input && ir::is_float(a->type.dtype)))
      needs.insert(a); // state (running statistics) has no gradient
  for (const Value *v : fn.body()) {
    if (v->info().has(ir::opflag::NOT_DIFFERENTIABLE)) continue;
    for (const Value *o : v->operands)
      if (needs.count(o)) {
        needs.insert(v);
        break;
      }
  }
  return needs;
}

} // namespace

GradFunction build_grad(ir::Module &module, const AutodiffOptions &options) {
  const ir::Function *forward = module.find_function("forward");
  const ir::FunctionResult *loss = forward ? forward->find_result("loss") : nullptr;
  if (!loss) throw std::invalid_argument(fmt::format("model '{}' has no loss: there is nothing to differentiate", module.name));
  if (module.find_function("grad")) throw std::logic_error("the module already has a grad function");

  ir::Function &grad = module.add_function("grad");
  // The loss, and the new running statistics (state updates, for train_step).
  std::vector<const Value *> roots{loss->value};
  std::vector<const ir::FunctionResult *> state_updates;
  for (const ir::StateDecl &s : module.states)
    if (const ir::FunctionResult *r = forward->find_result(s.name)) {
      roots.push_back(r->value);
      state_updates.push_back(r);
    }
  auto map = clone_for(*forward, roots, grad);
  std::unordered_set<const Value *> needs = needing_gradients(grad, options);
  ir::Builder b(grad);
  Value *L = map.at(loss->value);

  std::unordered_map<const Value *, Value *> adjoint;
  adjoint[L] = b.constant(1.0, L->type.dtype, L->loc);
  adjoint[L]->note = "dL/dL = 1";
  auto name_gradient = [&](const Value *v) {
    auto it = adjoint.find(v);
    if (it != adjoint.end() && !v->name.empty() && it->second->name.empty()) it->second->name = "d_" + v->name;
  };

  std::vector<Value *> forward_values = grad.body(); // the walk appends to the body
  for (auto it = forward_values.rbegin(); it != forward_values.rend(); ++it) {
    Value *v = *it;
    if (!adjoint.count(v) || !needs.count(v)) continue;
    name_gradient(v); // every user has been visited: dL/dv is complete
    std::vector<Value *> contributions = vjp(b, *v, adjoint[v]);
    for (size_t i = 0; i < v->operands.size(); ++i) {
      Value *o = v->operands[i], *c = contributions[i];
      if (!c || !needs.count(o)) continue;
      if (c->type.shape != o->type.shape) {
        c = b.create(ir::OpKind::SumTo, {c}, {o->type.shape}, v->loc);
        c->note = fmt::format("{} = its share of {}, summed over the broadcast dimensions", gradient_name(notation(o).text),
                              gradient_name(notation(v).text));
      }
      auto [slot, fresh] = adjoint.emplace(o, c);
      if (!fresh) {
        slot->second = b.create(ir::OpKind::Add, {slot->second, c}, {}, o->loc);
        slot->second->note = fmt::format("{} accumulates over its uses", gradient_name(notation(o).text));
      }
    }
  }

  grad.add_result("loss", L);
  for (const ir::FunctionResult *r : state_updates) grad.add_result(r->name, map.at(r->value));
  for (Value *a : grad.arguments()) {
    if (!needs.count(a)) continue;
    name_gradient(a);
    Value *d = adjoint.count(a) ? adjoint[a] : nullptr;
    if (!d) {
      d = b.create(ir::OpKind::ZerosLike, {a}, {}, a->loc, "d_" + a->name);
      d->note = fmt::format("the loss does not depend on {}", a->name);
    }
    grad.add_result("d_" + a->name, d);
  }
  GradFunction out{grad, {}, {}};
  for (const auto &[original, copy] : map) {
    out.copy_of[original] = copy;
    if (auto it = adjoint.find(copy); it != adjoint.end() && needs.count(copy)) out.gradient_of[original] = it->second;
  }
  if (!options.keep_all) {
    grad.remove_unused();
    std::unordered_set<const Value *> kept(grad.body().begin(), grad.body().end());
    std::erase_if(out.gradient_of, [&](const auto &entry) { return !entry.second->is_argument() && !kept.count(entry.second); });
  }
  return out;
}

} // namespace nncc::compiler
