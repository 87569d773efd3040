#include "ir/module.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

namespace nncc::ir {
namespace {

template <typename Kind> std::vector<DeclKindInfo<Kind>> make_table(
    std::initializer_list<std::pair<std::string_view, const char *>> rows) {
  std::vector<DeclKindInfo<Kind>> table;
  int i = 0;
  for (auto [name, attrs] : rows) table.push_back({static_cast<Kind>(i++), name, parse_attr_specs(attrs)});
  return table;
}

const std::vector<DeclKindInfo<InitKind>> &init_table() {
  static const auto table = make_table<InitKind>({
#define INIT(Enum, spelling, attrs) {spelling, attrs},
#include "ir/initializers.def"
  });
  return table;
}

const std::vector<DeclKindInfo<OptimizerKind>> &optimizer_table() {
  static const auto table = make_table<OptimizerKind>({
#define OPTIMIZER(Enum, spelling, attrs) {spelling, attrs},
#include "ir/optimizers.def"
  });
  return table;
}

} // namespace

std::span<const DeclKindInfo<InitKind>> all_initializers() { return init_table(); }
std::span<const DeclKindInfo<OptimizerKind>> all_optimizers() { return optimizer_table(); }
const DeclKindInfo<InitKind> &init_info(InitKind k) { return init_table()[static_cast<size_t>(k)]; }
const DeclKindInfo<OptimizerKind> &optimizer_info(OptimizerKind k) {
  return optimizer_table()[static_cast<size_t>(k)];
}

std::string_view value_kind_name(ValueKind kind) {
  switch (kind) {
  case ValueKind::Input: return "input";
  case ValueKind::Param: return "param";
  case ValueKind::State: return "state";
  case ValueKind::Op: return "op";
  }
  return "?";
}

Value *Function::add_argument(ValueKind kind, std::string name, Type type, Location loc) {
  auto v = std::make_unique<Value>();
  v->kind = kind;
  v->name = std::move(name);
  v->type = std::move(type);
  v->loc = loc;
  args_.push_back(v.get());
  storage_.push_back(std::move(v));
  return args_.back();
}

Value *Function::append(OpKind op, std::vector<Value *> operands, Attrs attrs, Type type,
                        std::string name, Location loc) {
  auto v = std::make_unique<Value>();
  v->kind = ValueKind::Op;
  v->op = op;
  v->operands = std::move(operands);
  v->attrs = std::move(attrs);
  v->type = std::move(type);
  v->name = std::move(name);
  v->loc = loc;
  body_.push_back(v.get());
  storage_.push_back(std::move(v));
  return body_.back();
}

Value *Function::insert_before(const Value *position, OpKind op, std::vector<Value *> operands, Attrs attrs,
                                Type type, Location loc) {
  Value *v = append(op, std::move(operands), std::move(attrs), std::move(type), {}, loc);
  body_.pop_back();
  body_.insert(std::find(body_.begin(), body_.end(), position), v);
  return v;
}

void Function::reorder_body(std::vector<Value *> order) {
  std::unordered_set<const Value *> defined(args_.begin(), args_.end());
  for (const Value *v : order) {
    for (const Value *o : v->operands)
      if (!defined.count(o)) throw std::logic_error("reorder_body: an operand would follow its user");
    defined.insert(v);
  }
  if (order.size() != body_.size() || defined.size() != args_.size() + body_.size())
    throw std::logic_error("reorder_body: not a permutation of the body");
  body_ = std::move(order);
}

Value *Function::append_copy(const Value &v, std::vector<Value *> operands) {
  Value *copy = append(v.op, std::move(operands), v.attrs, v.type, v.name, v.loc);
  copy->note = v.note;
  return copy;
}

Value *Function::find_argument(std::string_view arg_name) const {
  for (Value *v : args_)
    if (v->name == arg_name) return v;
  return nullptr;
}

const FunctionResult *Function::find_result(std::string_view result_name) const {
  for (const FunctionResult &r : results_)
    if (r.name == result_name) return &r;
  return nullptr;
}

std::unordered_map<const Value *, Value *> Function::append_function(const Function &src) {
  std::unordered_map<const Value *, Value *> map;
  for (const Value *a : src.arguments()) map[a] = add_argument(a->kind, a->name, a->type, a->loc);
  for (const Value *v : src.body()) {
    std::vector<Value *> operands;
    for (const Value *o : v->operands) operands.push_back(map.at(o));
    map[v] = append_copy(*v, std::move(operands));
  }
  return map;
}

void Function::remove_unused(bool unused_inputs_too) {
  std::unordered_set<const Value *> live;
  for (const FunctionResult &r : results_) live.insert(r.value);
  for (auto it = body_.rbegin(); it != body_.rend(); ++it)
    if (live.count(*it))
      for (const Value *o : (*it)->operands) live.insert(o);
  auto dead = [&](const Value *v) {
    return !live.count(v) && (!v->is_argument() || (unused_inputs_too && v->kind == ValueKind::Input));
  };
  std::erase_if(body_, dead);
  std::erase_if(args_, dead);
  std::erase_if(storage_, [&](const std::unique_ptr<Value> &v) { return dead(v.get()); });
}

void Function::replace_uses(const std::unordered_map<const Value *, Value *> &with) {
  auto target = [&](Value *v) {
    for (auto it = with.find(v); it != with.end(); it = with.find(v)) v = it->second;
    return v;
  };
  for (Value *v : body_)
    for (Value *&o : v->operands) o = target(o);
  for (FunctionResult &r : results_) r.value = target(r.value);
}

void Function::remove_result(std::string_view result_name) {
  std::erase_if(results_, [&](const FunctionResult &r) { return r.name == result_name; });
}

Function &Module::add_function(std::string fn_name) {
  functions_.push_back(std::make_unique<Function>(std::move(fn_name)));
  return *functions_.back();
}

Function *Module::find_function(std::string_view fn_name) const {
  for (const auto &f : functions_)
    if (f->name() == fn_name) return f.get();
  return nullptr;
}

const StateDecl *Module::find_state(std::string_view state_name) const {
  for (const StateDecl &s : states)
    if (s.name == state_name) return &s;
  return nullptr;
}

const ParamDecl *Module::find_param(std::string_view param_name) const {
  for (const ParamDecl &p : params)
    if (p.name == param_name) return &p;
  return nullptr;
}

} // namespace nncc::ir
