// promote-f64: turns every f32 value, constant and param into f64, so that
// gradients can be checked against finite differences in double precision.
#include "compiler/passes/pass_registry.h"

namespace nncc::compiler {

namespace {
void promote(ir::Type &t) {
  if (t.dtype == ir::DType::F32) t.dtype = ir::DType::F64;
}
} // namespace

void run_promote_f64(ir::Function &fn, PassContext &ctx) {
  for (ir::ParamDecl &p : ctx.module.params) promote(p.type);
  for (ir::StateDecl &s : ctx.module.states) promote(s.type);
  for (ir::Value *a : fn.arguments()) promote(a->type);
  for (ir::Value *v : fn.body()) {
    promote(v->type);
    for (ir::AttrValue &a : v->attrs)
      if (auto *d = std::get_if<ir::DType>(&a); d && *d == ir::DType::F32) *d = ir::DType::F64;
  }
}

} // namespace nncc::compiler
