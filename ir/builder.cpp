#include "ir/builder.h"

#include <fmt/format.h>
#include <stdexcept>

namespace nncc::ir {

BuildResult Builder::try_create(OpKind op, std::vector<Value *> operands, Attrs attrs,
                                Location loc, std::string name) {
  if (attrs.empty()) attrs = default_attrs(op_info(op).attrs);
  std::vector<Type> types;
  for (Value *v : operands) types.push_back(v->type);
  TypeResult r = infer_type(op, types, attrs);
  if (!r.type) return {nullptr, std::move(r.error)};
  return {fn_.append(op, std::move(operands), std::move(attrs), std::move(*r.type), std::move(name), loc), {}};
}

Value *Builder::create(OpKind op, std::vector<Value *> operands, Attrs attrs, Location loc,
                       std::string name) {
  BuildResult r = try_create(op, std::move(operands), std::move(attrs), loc, std::move(name));
  if (!r.value)
    throw std::logic_error(fmt::format("ill-typed '{}': {}", op_info(op).name, r.error.message));
  return r.value;
}

Value *Builder::constant(double value, DType dtype, Location loc) {
  return create(OpKind::Const, {}, Attrs{value, dtype}, loc);
}

} // namespace nncc::ir
