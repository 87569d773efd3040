// stabilize: rewrites compositions that overflow or underflow in floating
// point into single ops computed stably (Theano's local_logsoftmax and
// friends). log(softmax(x)) is -inf where a probability underflows to 0,
// and its derivative divides by that probability; log_softmax(x) subtracts
// a logsumexp instead. Each rule rewrites the outer value in place, so the
// inner one stays for its other users and dce removes it when it has none.
// The pipeline runs this pass on the forward graph before autodiff, so the
// backward graph is built from the stable forms (cross_entropy's gradient
// is softmax(z) - onehot(y)).
#include "compiler/passes/rewrite_rules.h"

namespace nncc::compiler {

namespace {

using ir::OpKind;
using ir::Value;

/// v becomes `op(operands...)` with `attrs`; its type is unchanged.
Value *becomes(Value &v, OpKind op, std::vector<Value *> operands, ir::Attrs attrs) {
  v.op = op;
  v.operands = std::move(operands);
  v.attrs = std::move(attrs);
  return &v;
}

bool on_last_axis(const Value &v) {
  int64_t axis = std::get<int64_t>(v.info().attr(v.attrs, "axis"));
  return axis == -1 || axis == v.type.rank() - 1;
}

const RewriteRule kRules[] = {
    {"log-of-softmax", OpKind::Log,
     [](ir::Function &, Value &v) -> Value * {
       Value *x = operand_through(v, OpKind::Softmax);
       return x ? becomes(v, OpKind::LogSoftmax, {x}, {v.operands[0]->attrs[0]}) : nullptr;
     }},
    {"nll-of-log-softmax", OpKind::Nll,
     [](ir::Function &, Value &v) -> Value * {
       Value *z = operand_through(v, OpKind::LogSoftmax);
       if (!z || !on_last_axis(*v.operands[0])) return nullptr; // classes are the last axis
       return becomes(v, OpKind::CrossEntropy, {z, v.operands[1]}, {0.0});
     }},
    {"log-of-sigmoid", OpKind::Log,
     [](ir::Function &, Value &v) -> Value * {
       Value *x = operand_through(v, OpKind::Sigmoid);
       return x ? becomes(v, OpKind::LogSigmoid, {x}, {}) : nullptr;
     }},
    {"bce-of-sigmoid", OpKind::Bce,
     [](ir::Function &, Value &v) -> Value * {
       Value *z = operand_through(v, OpKind::Sigmoid);
       return z ? becomes(v, OpKind::BceWithLogits, {z, v.operands[1]}, {}) : nullptr;
     }},
    // exp(log x) is x for x > 0, where log is defined; log(exp(x)) is x
    // where exp does not overflow, and better where it does.
    {"exp-of-log", OpKind::Exp, [](ir::Function &, Value &v) { return operand_through(v, OpKind::Log); }},
    {"log-of-exp", OpKind::Log, [](ir::Function &, Value &v) { return operand_through(v, OpKind::Exp); }},
};

} // namespace

void run_stabilize(ir::Function &fn, PassContext &ctx) { apply_rewrite_rules(fn, ctx, kRules); }

} // namespace nncc::compiler
