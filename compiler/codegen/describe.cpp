// The ModelDesc of a module: everything a Session needs to own the model's
// buffers and check a call, without the IR.
#include "compiler/codegen/codegen.h"

#include "compiler/index_limit.h"
#include "compiler/kernel_plan.h"
#include "compiler/pipeline.h"
#include <fmt/format.h>
#include <map>

namespace nncc::codegen {


namespace {

DType public_dtype(ir::DType d) {
  switch (d) {
  case ir::DType::F32: return DType::F32;
  case ir::DType::F64: return DType::F64;
  case ir::DType::I32: return DType::I32;
  case ir::DType::BF16: break; // (never an argument or a result: only products read it)
  }
  return DType::F32;
}

std::vector<int64_t> static_shape(const ir::Type &t) {
  std::vector<int64_t> shape;
  for (const ir::Dim &d : t.shape) shape.push_back(d.size);
  return shape;
}

uint64_t fnv1a(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

} // namespace

std::string entry_symbol(const ir::Module &module, const std::string &fn) { return fmt::format("nncc_{}_{}", module.name, fn); }

ModelDesc describe(const ir::Module &module) {
  ModelDesc desc;
  desc.name = module.name;
  std::map<std::string, int> symbol_index;
  auto dims = [&](const ir::Type &t) {
    std::vector<DimDesc> out;
    for (const ir::Dim &d : t.shape) {
      if (!d.is_symbolic()) {
        out.push_back({d.size, -1});
        continue;
      }
      auto [it, fresh] = symbol_index.try_emplace(d.symbol, static_cast<int>(desc.symbols.size()));
      if (fresh) desc.symbols.push_back(d.symbol);
      out.push_back({0, it->second});
    }
    return out;
  };
  std::string signature = module.name;
  for (const ir::ParamDecl &p : module.params) {
    const auto &info = ir::init_info(p.init.kind);
    std::vector<double> args;
    for (const ir::AttrValue &a : p.init.attrs) args.push_back(ir::attr_float(a));
    desc.params.push_back({p.name, public_dtype(p.type.dtype), static_shape(p.type), std::string(info.name), args});
    signature += fmt::format(";param {}:{}", p.name, p.type.str());
  }
  for (const ir::StateDecl &st : module.states) { // a batch norm's running statistics
    desc.states.push_back({st.name, public_dtype(st.type.dtype), static_shape(st.type), st.initial});
    signature += fmt::format(";state {}:{}", st.name, st.type.str());
  }
  for (const ir::Function *fn : compiler::entry_points(module)) {
    FunctionDesc f;
    f.name = fn->name();
    for (const ir::Value *a : fn->arguments()) {
      ArgDesc arg;
      static_cast<TensorDesc &>(arg) = {a->name, public_dtype(a->type.dtype), dims(a->type)};
      arg.kind = a->kind == ir::ValueKind::Input ? ArgKind::Input : a->kind == ir::ValueKind::Param ? ArgKind::Param : ArgKind::State;
      if (a->type.dtype == ir::DType::I32 && a->kind == ir::ValueKind::Input) arg.index_limit = compiler::index_limit(*fn, a);
      f.args.push_back(arg);
      if (a->kind == ir::ValueKind::State && fn->name() == "train_step" && !module.find_state(a->name)) { // the optimizer's
        double initial = 0;
        if (a->name == "lr") initial = ir::attr_float(module.optimizer->attrs[static_cast<size_t>(
                                 ir::find_attr(ir::optimizer_info(module.optimizer->kind).attrs, "lr"))]);
        desc.states.push_back({a->name, public_dtype(a->type.dtype), static_shape(a->type), initial});
        signature += fmt::format(";state {}:{}", a->name, a->type.str());
      }
    }
    for (const ir::FunctionResult &r : fn->results()) f.results.push_back({r.name, public_dtype(r.value->type.dtype), dims(r.value->type)});
    for (const compiler::Kernel &k : compiler::plan_kernels(*fn).kernels) desc.primitive_sites += k.kind == ir::Lowering::Primitive;
    desc.functions.push_back(std::move(f));
  }
  desc.signature = fmt::format("{:016x}", fnv1a(signature));
  desc.check_nan = module.check_nan;
  return desc;
}

} // namespace nncc::codegen
