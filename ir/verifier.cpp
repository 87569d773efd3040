#include "ir/verifier.h"

#include "ir/layout.h"
#include "ir/printer.h"

#include <fmt/format.h>
#include <algorithm>
#include <functional>
#include <unordered_set>

namespace nncc::ir {
namespace {

/// Storage orders (ir/layout.h): a blocked value is an f32 image with
/// channels in whole blocks, a fused region is stored in one order, a
/// relayout changes it, every read is in the order its kernel needs, and
/// the caller gets NCHW.
void verify_layouts(const Function &fn, const ValueNames &names, const std::function<void(const Value *, std::string)> &report) {
  auto name = [](Layout l) { return l == Layout::Blocked ? "blocked" : "NCHW"; };
  for (std::span<Value *const> kernel : kernel_spans(fn)) {
    const Value &first = *kernel.front(), &root = *kernel.back();
    for (const Value *v : kernel) {
      if (v->layout == Layout::Blocked && !blockable(v->type))
        report(v, fmt::format("a {} value cannot be stored blocked (f32 images with channels a multiple of {} only)", v->type.str(),
                              kLayoutChannelMultiple));
      if (v->layout != root.layout) report(v, "its fused region is stored in two layouts");
      if (v->op == OpKind::Relayout && v->layout == v->operands[0]->layout) report(v, "relayout does not change the layout");
      if (keeps_input_layout(v->op) && v->layout != v->operands[0]->layout) report(v, "its result is stored in another layout than its input");
      for (size_t o = 0; o < v->operands.size(); ++o) {
        const Value *operand = v->operands[o];
        if (std::find(kernel.begin(), kernel.end(), operand) != kernel.end()) continue; // computed in the same kernel
        LayoutNeed need = layout_need(first, root, *v, o);
        if (need != LayoutNeed::Any && (need == LayoutNeed::Blocked) != (operand->layout == Layout::Blocked))
          report(v, fmt::format("reads {} stored {} where it needs {}", names[operand], name(operand->layout),
                                need == LayoutNeed::Blocked ? "blocked" : "NCHW"));
      }
    }
  }
  for (const FunctionResult &r : fn.results())
    if (r.value && r.value->layout == Layout::Blocked) report(r.value, fmt::format("result '{}' is stored blocked", r.name));
}

void verify_function(const Module &m, const Function &fn, std::vector<std::string> &errors) {
  ValueNames names(fn);
  auto report = [&](const Value *v, std::string msg) {
    errors.push_back(fmt::format("@{}: {}: {}", fn.name(), names[v], msg));
  };
  std::unordered_set<const Value *> defined;
  for (const Value *a : fn.arguments()) {
    if (!defined.insert(a).second) report(a, "argument listed twice");
    if (a->kind == ValueKind::Op) report(a, "an op value cannot be an argument");
    if (a->kind == ValueKind::Param) {
      const ParamDecl *p = m.find_param(a->name);
      if (!p) report(a, fmt::format("no module param '@{}'", a->name));
      else if (p->type != a->type)
        report(a, fmt::format("type {} differs from param '@{}' : {}", a->type.str(), p->name,
                              p->type.str()));
    }
  }
  for (const Value *v : fn.body()) {
    if (v->kind != ValueKind::Op) report(v, "an argument cannot appear in the body");
    for (const Value *operand : v->operands)
      if (!defined.count(operand)) report(v, "uses a value not defined before it in this function");
    const OpInfo &info = v->info();
    bool attrs_ok = v->attrs.size() == info.attrs.size();
    for (size_t i = 0; attrs_ok && i < v->attrs.size(); ++i)
      attrs_ok = coerce_attr(info.attrs[i], v->attrs[i]).has_value();
    if (!attrs_ok) {
      report(v, fmt::format("attributes do not match the spec of '{}'", info.name));
    } else {
      std::vector<Type> types;
      for (const Value *operand : v->operands) types.push_back(operand->type);
      TypeResult r = infer_type(v->op, types, v->attrs);
      if (!r.type) report(v, r.error.message);
      else if (*r.type != v->type)
        report(v, fmt::format("type {} differs from the inferred {}", v->type.str(), r.type->str()));
    }
    // A batch norm's training ops take their statistics from batch_stats of
    // their own x: batch_norm_train's gradient to x counts on it (ops.def).
    if ((v->op == OpKind::BatchNormTrain || v->op == OpKind::BatchNormGradSums || v->op == OpKind::BatchNormGrad) &&
        !(v->operands[1]->op == OpKind::BatchStats && v->operands[1]->kind == ValueKind::Op && v->operands[1]->operands[0] == v->operands[0]))
      report(v, fmt::format("the statistics {} are not batch_stats of {}", names[v->operands[1]], names[v->operands[0]]));
    if (!defined.insert(v).second) report(v, "defined twice");
  }
  verify_layouts(fn, names, report);
  for (const FunctionResult &r : fn.results()) {
    if (!r.value || !defined.count(r.value)) {
      errors.push_back(fmt::format("@{}: result '{}' is not a value of this function", fn.name(), r.name));
    } else if (r.name == "loss" && !(r.value->type.is_scalar() && is_float(r.value->type.dtype))) {
      report(r.value, fmt::format("the loss must be a float scalar, got {}", r.value->type.str()));
    }
  }
}

} // namespace

std::vector<std::string> verify_function(const Module &module, const Function &fn) {
  std::vector<std::string> errors;
  verify_function(module, fn, errors);
  return errors;
}

std::vector<std::string> verify(const Module &module) {
  std::vector<std::string> errors;
  for (const ParamDecl &p : module.params) {
    if (!is_float(p.type.dtype) || p.type.has_symbolic_dims())
      errors.push_back(fmt::format("param '@{}' must have a float type with static shape, got {}",
                                   p.name, p.type.str()));
  }
  for (const auto &fn : module.functions()) verify_function(module, *fn, errors);
  return errors;
}

} // namespace nncc::ir
