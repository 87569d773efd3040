// layouts: decides which images are stored in oneDNN's blocked layout
// (ir::Layout) and places the relayouts, so that a step converts between
// NCHW and blocked where its data flow needs it — once per value — rather
// than inside every convolution call.
//
// A convolution (forward, or backward to its input) writes its result
// blocked when it has a multiple of 16 channels; a pooling, a batch norm
// (and their gradients) keep the layout of their x; an elementwise kernel
// (relu's mask in the backward pass, say) stays blocked when every
// full-size operand it reads is blocked and the rest are scalars, since it
// walks all of them in the same order. What each op reads in which layout
// is in ir/layout.h: a reader that needs the other one — reshapes,
// reductions, matmuls — gets a relayout inserted before its kernel
// (shared by later readers), and a blocked result is relaid before it is
// returned. Runs after fuse (kernels are known) and before plan_memory.
#include "compiler/passes/pass_registry.h"
#include "ir/layout.h"

#include <algorithm>
#include <map>
#include <span>
#include <unordered_set>

namespace nncc::compiler {

namespace {

using ir::Layout;
using ir::OpKind;
using ir::Value;

class LayoutPlanner {
public:
  explicit LayoutPlanner(ir::Function &fn) : fn_(fn) {
    for (std::span<Value *const> k : ir::kernel_spans(fn)) kernels_.emplace_back(k.begin(), k.end());
    for (const ir::FunctionResult &r : fn.results()) results_.insert(r.value);
  }

  int run() {
    for (const auto &k : kernels_) {
      Layout l = decide(k);
      for (Value *m : k) m->layout = l;
    }
    for (const auto &k : kernels_) relay_reads(k);
    for (size_t i = 0; i < fn_.results().size(); ++i) {
      Value *v = fn_.results()[i].value;
      if (v->layout == Layout::Blocked) fn_.set_result_value(i, relayout(v, Layout::Plain, nullptr));
    }
    return relayouts_;
  }

private:
  using Kernel = std::vector<Value *>;

  /// The values a kernel reads from outside it (constants included).
  static std::vector<Value *> outside_reads(const Kernel &k) {
    std::vector<Value *> reads;
    for (Value *m : k)
      for (Value *o : m->operands)
        if (std::find(k.begin(), k.end(), o) == k.end()) reads.push_back(o);
    return reads;
  }

  Layout decide(const Kernel &k) const {
    Value &first = *k.front(), &root = *k.back();
    if (!ir::blockable(root.type)) return Layout::Plain;
    // A region whose inner value is returned stores it in the caller's order.
    for (Value *m : std::span(k).first(k.size() - 1))
      if (results_.count(m)) return Layout::Plain;
    if (first.op == OpKind::Relayout) return first.layout; // placed by an earlier run
    if (first.op == OpKind::Conv2d || first.op == OpKind::Conv2dGradInput) return Layout::Blocked;
    if (ir::keeps_input_layout(first.op)) return first.operands[0]->layout;
    bool elementwise = std::all_of(k.begin(), k.end(), [](const Value *m) {
      return m->info().lowering == ir::Lowering::Loop && !m->info().has(ir::opflag::RANDOM); // a draw depends on its position
    });
    if (!elementwise) return Layout::Plain;
    bool any_full = false;
    for (const Value *r : outside_reads(k)) {
      if (r->type.shape == root.type.shape) {
        if (r->layout != Layout::Blocked) return Layout::Plain;
        any_full = true;
      } else if (!ir::single_element(r->type)) {
        return Layout::Plain;
      }
    }
    return any_full ? Layout::Blocked : Layout::Plain;
  }

  void relay_reads(const Kernel &k) {
    for (Value *m : k)
      for (size_t i = 0; i < m->operands.size(); ++i) {
        Value *o = m->operands[i];
        if (std::find(k.begin(), k.end(), o) != k.end()) continue;
        ir::LayoutNeed n = ir::layout_need(*k.front(), *k.back(), *m, i);
        if (n == ir::LayoutNeed::Any || (n == ir::LayoutNeed::Blocked) == (o->layout == Layout::Blocked)) continue;
        m->operands[i] = relayout(o, n == ir::LayoutNeed::Blocked ? Layout::Blocked : Layout::Plain, k.front());
      }
  }

  /// `v` in layout `to`, converted once before `before` (null: at the end).
  Value *relayout(Value *v, Layout to, const Value *before) {
    auto [it, fresh] = relaid_.try_emplace({v, to}, nullptr);
    if (!fresh) return it->second;
    it->second = before ? fn_.insert_before(before, OpKind::Relayout, {v}, {}, v->type, v->loc)
                        : fn_.append(OpKind::Relayout, {v}, {}, v->type, {}, v->loc);
    it->second->layout = to;
    ++relayouts_;
    return it->second;
  }

  ir::Function &fn_;
  std::vector<Kernel> kernels_;
  std::unordered_set<const Value *> results_;
  std::map<std::pair<const Value *, Layout>, Value *> relaid_;
  int relayouts_ = 0;
};

} // namespace

void run_layouts(ir::Function &fn, PassContext &ctx) {
  int relayouts = LayoutPlanner(fn).run();
  int blocked = static_cast<int>(std::count_if(fn.body().begin(), fn.body().end(), [](const Value *v) {
    return v->layout == Layout::Blocked && v->op != OpKind::Relayout;
  }));
  ctx.fired("blocked-value", blocked);
  ctx.fired("relayout", relayouts);
}

} // namespace nncc::compiler
