// cse: values computed twice from the same operands by the same op with the
// same attributes and type become one (e.g. the forward values the backward
// graph recomputes, the constants each derivative rule makes). Every op is
// a pure function of its operands and attributes — dropout too, its mask
// is keyed by an attribute — so any two such values are equal.
#include "compiler/passes/pass_registry.h"

#include <fmt/format.h>
#include <unordered_map>

namespace nncc::compiler {

namespace {

std::string key_of(const ir::Value &v) {
  std::string key = fmt::format("{}|{}", static_cast<int>(v.op), v.type.str());
  for (const ir::Value *o : v.operands) key += fmt::format("|{}", static_cast<const void *>(o));
  for (const ir::AttrValue &a : v.attrs) key += "|" + ir::format_attr(a);
  return key;
}

} // namespace

void run_cse(ir::Function &fn, PassContext &ctx) {
  std::unordered_map<std::string, ir::Value *> seen;
  std::unordered_map<const ir::Value *, ir::Value *> replaced;
  for (ir::Value *v : fn.body()) {
    for (ir::Value *&o : v->operands)
      if (auto it = replaced.find(o); it != replaced.end()) o = it->second;
    auto [it, fresh] = seen.try_emplace(key_of(*v), v);
    if (fresh) continue;
    // Keep the first one's name unless it is a temporary.
    if (it->second->name.empty()) it->second->name = v->name;
    replaced[v] = it->second;
  }
  fn.replace_uses(replaced);
  fn.remove_unused();
  ctx.fired("common-subexpression", static_cast<int>(replaced.size()));
}

} // namespace nncc::compiler
