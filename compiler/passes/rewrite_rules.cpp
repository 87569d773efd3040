#include "compiler/passes/rewrite_rules.h"

#include <unordered_map>

namespace nncc::compiler {

void apply_rewrite_rules(ir::Function &fn, PassContext &ctx, std::span<const RewriteRule> rules) {
  std::unordered_map<const ir::Value *, ir::Value *> replaced;
  for (size_t i = 0; i < fn.body().size(); ++i) {
    ir::Value *v = fn.body()[i];
    for (ir::Value *&o : v->operands)
      if (auto it = replaced.find(o); it != replaced.end()) o = it->second;
    for (bool again = true; again;) {
      again = false;
      for (const RewriteRule &rule : rules) {
        if (rule.op != ir::OpKind::Const && rule.op != v->op) continue;
        ir::Value *r = rule.apply(fn, *v);
        if (!r) continue;
        ctx.fired(rule.name);
        if (r != v) replaced[v] = r;
        else again = true; // rewritten in place: look at it again
        break;
      }
    }
    while (fn.body()[i] != v) ++i; // skip values a rule inserted before v
  }
  fn.replace_uses(replaced);
  fn.remove_unused();
}

} // namespace nncc::compiler
