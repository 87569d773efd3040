// bf16-products (--precision bf16): every matrix product and convolution
// of f32 operands reads them cast to bf16 and still produces f32 — oneDNN
// multiplies bf16 pairs and accumulates in f32 (AMX tiles, or avx512_bf16's
// dot products). Everything else stays f32: params (the master
// weights), the optimizer's state and update, losses, activations and their
// gradients. Each value is cast once, before its first product, so a weight
// cast for the forward product serves the backward one too. A transposed
// operand is cast before the transpose, which stays a strided view.
#include "compiler/passes/pass_registry.h"

#include <unordered_map>

namespace nncc::compiler {

using ir::OpKind;
using ir::Value;

namespace {

class Bf16Products {
public:
  explicit Bf16Products(ir::Function &fn) : fn_(fn) {}

  int run() {
    std::vector<Value *> body = fn_.body(); // the pass inserts into it
    int products = 0;
    for (Value *v : body) {
      if (!is_product(v->op) || v->operands[0]->type.dtype != ir::DType::F32) continue;
      for (Value *&o : v->operands) o = in_bf16(o, v);
      ++products;
    }
    return products;
  }

private:
  /// Ops whose two operands are multiplied pairwise and summed: oneDNN
  /// matmuls and convolutions (forward, and backward to input and weights).
  static bool is_product(OpKind op) {
    return op == OpKind::Matmul || op == OpKind::Conv2d || op == OpKind::Conv2dGradInput || op == OpKind::Conv2dGradWeight;
  }

  /// `x` in bf16, computed once before `user` (its first reader).
  Value *in_bf16(Value *x, const Value *user) {
    auto [it, fresh] = cast_.try_emplace(x, nullptr);
    if (!fresh) return it->second;
    ir::Type type{ir::DType::BF16, x->type.shape};
    if (!x->is_argument() && x->op == OpKind::Transpose)
      it->second = fn_.insert_before(user, OpKind::Transpose, {in_bf16(x->operands[0], x)}, x->attrs, type, x->loc);
    else
      it->second = fn_.insert_before(user, OpKind::Cast, {x}, {ir::DType::BF16}, type, x->loc);
    return it->second;
  }

  ir::Function &fn_;
  std::unordered_map<const Value *, Value *> cast_;
};

} // namespace

void run_bf16_products(ir::Function &fn, PassContext &ctx) { ctx.fired("product-in-bf16", Bf16Products(fn).run()); }

} // namespace nncc::compiler
