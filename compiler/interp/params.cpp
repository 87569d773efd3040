#include "compiler/interp/params.h"

#include "nncc/init.h"

#include <algorithm>

namespace nncc::interp {

std::map<std::string, Tensor> initial_params(const ir::Module &module, uint64_t seed) {
  std::map<std::string, Tensor> out;
  for (const ir::ParamDecl &p : module.params) {
    std::vector<int64_t> shape;
    for (const ir::Dim &d : p.type.shape) shape.push_back(d.size);
    std::vector<double> args;
    for (const ir::AttrValue &a : p.init.attrs) args.push_back(ir::attr_float(a));
    Tensor t = Tensor::zeros(p.type.dtype, shape);
    if (p.type.dtype == ir::DType::F32) {
      std::vector<float> values(t.data.size());
      init::fill<float>(ir::init_info(p.init.kind).name, args, shape, seed, p.name, values);
      t.data.assign(values.begin(), values.end());
    } else {
      init::fill<double>(ir::init_info(p.init.kind).name, args, shape, seed, p.name, t.data);
    }
    out[p.name] = std::move(t);
  }
  for (const ir::StateDecl &st : module.states) { // running statistics start at their initial values
    std::vector<int64_t> shape;
    for (const ir::Dim &d : st.type.shape) shape.push_back(d.size);
    Tensor t = Tensor::zeros(st.type.dtype, shape);
    std::fill(t.data.begin(), t.data.end(), st.initial);
    out[st.name] = std::move(t);
  }
  return out;
}

} // namespace nncc::interp
