// fuse: groups values into regions that code generation compiles as one
// kernel each, so intermediate values stay in registers instead of memory:
//  - matmul-epilogue: a matmul or a convolution, the bias added along its
//    columns or channels and a relu, tanh or sigmoid after it become one
//    oneDNN call (bias + eltwise post-op); a batch norm in training and a
//    relu after it, one pass of the runtime's loops;
//  - matmul-batch-sum: a batched matmul and the sum_to over its batch axes
//    that follows it (a weight's gradient) are one product;
//  - elementwise-loop: a chain of elementwise ops of one type whose
//    intermediate values nothing else reads is one loop (the Adam update of
//    a param, relu's backward mask and product, ...); values of the chain
//    that are results of the function are stored by the same loop;
//  - reduction-prologue: a sum, mean, max or sum_to whose operand is such a
//    chain reduces it as it is computed (the bias gradient sum_to(g * mask),
//    the squared error of mse);
//  - row-prologue: softmax, log_softmax or layernorm computes such a chain
//    of its operand's shape in each pass over a row (attention's scaled,
//    masked scores);
//  - row-epilogue: an elementwise chain that reads such a row op's result
//    is computed in the row op's last pass (layernorm(x) * g + b, dropout of
//    attention weights), the row op's own result stored too when later
//    kernels read it (the backward pass does).
// A value joins a region only when every user is in the region, so nothing
// outside a region reads its intermediates before the region is computed —
// except a row-epilogue's row op, whose other readers all come after the
// region, so its kernel stores it for them.
// Regions are made contiguous (members moved to just before their last
// value, the root) and numbered in order.
#include "compiler/passes/pass_registry.h"
#include "compiler/pipeline.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace nncc::compiler {

namespace {

using ir::Value;

class Fusion {
public:
  Fusion(ir::Function &fn, PassContext &ctx) : fn_(fn), ctx_(ctx), inference_(is_inference(fn)) {
    for (Value *v : fn.body()) {
      position_[v] = position_.size();
      for (const Value *o : v->operands) users_[o].push_back(v);
    }
    for (const ir::FunctionResult &r : fn.results()) results_.insert(r.value);
  }

  void run() {
    for (Value *v : fn_.body())
      if (v->info().has(ir::opflag::TAKES_EPILOGUE) || v->info().has(ir::opflag::TAKES_RELU)) fuse_epilogue(v);
    const auto &body = fn_.body();
    for (auto it = body.rbegin(); it != body.rend(); ++it) {
      Value *v = *it;
      if (region_.count(v)) continue;
      if (is_reduction(v)) fuse_reduction(v);
      else if (takes_row_prologue(v)) fuse_row_prologue(v);
      else if (in_loop(v)) fuse_loop(v);
    }
    make_contiguous();
  }

private:
  /// Ops a fused loop computes element by element.
  bool in_loop(const Value *v) const {
    return !v->is_argument() && v->info().lowering == ir::Lowering::Loop && !(inference_ && v->info().has(ir::opflag::IDENTITY_IN_INFERENCE));
  }
  static bool is_reduction(const Value *v) { return !v->is_argument() && v->info().lowering == ir::Lowering::Reduce; }
  /// p may be computed inside region r: only r's values read it. A result
  /// may be too (when `results_too`): the kernel also stores it, as the
  /// fused Adam update stores the new m, v and param from one loop.
  bool internal_to(const Value *p, int r, bool results_too = false) const {
    if ((results_.count(p) && !results_too) || region_.count(p)) return false;
    auto it = users_.find(p);
    if (it == users_.end()) return results_.count(p) > 0;
    return std::all_of(it->second.begin(), it->second.end(), [&](const Value *u) {
      auto ru = region_.find(u);
      return ru != region_.end() && ru->second == r;
    });
  }
  /// The only user of v, when it has exactly one and v is no result.
  const Value *single_user(const Value *v) const {
    auto it = users_.find(v);
    return !results_.count(v) && it != users_.end() && it->second.size() == 1 ? it->second[0] : nullptr;
  }

  /// A new region of `members`, computed at `root` (the last of them).
  int open(std::vector<Value *> members, const Value *root) {
    int r = static_cast<int>(members_.size()) + 1;
    for (Value *m : members) region_[m] = r;
    members_.push_back(std::move(members));
    roots_.push_back(root);
    return r;
  }
  /// Adds the loop ops of `type` that only region r reads, until none is left.
  void grow(int r, const ir::Type &type) {
    for (bool grew = true; grew;) {
      grew = false;
      for (size_t m = 0; m < members_[r - 1].size(); ++m)
        for (Value *p : members_[r - 1][m]->operands)
          if (in_loop(p) && p->type == type && internal_to(p, r, /*results_too=*/true)) {
            region_[p] = r;
            members_[r - 1].push_back(p);
            grew = true;
          }
    }
  }
  /// Regions of one value are no regions.
  void close(int r, const char *rule) {
    if (members_[r - 1].size() > 1) return ctx_.fired(rule);
    region_.erase(members_[r - 1][0]);
    members_[r - 1].clear();
  }

  /// The primitive's only user, when the op table says it may run as
  /// `role` (an activation: any but None and Bias) in the same call.
  const Value *epilogue_user(const Value *last, const Value *primitive, bool bias) const {
    const Value *u = single_user(last);
    if (!u || u->type != primitive->type) return nullptr;
    ir::Epilogue role = u->info().epilogue;
    return (bias ? role == ir::Epilogue::Bias : role != ir::Epilogue::None && role != ir::Epilogue::Bias) ? u : nullptr;
  }

  /// A bias the primitive adds itself: one value per index of axis 1 of
  /// its result, broadcast along the others ([n] or [1, n] for a matmul,
  /// [O, 1, 1] or [1, O, 1, 1] for a convolution).
  static bool is_channel_bias(const ir::Shape &bias, const ir::Shape &result) {
    if (bias.size() + 1 < result.size() || bias.size() > result.size()) return false;
    size_t offset = result.size() - bias.size();
    for (size_t i = 0; i < bias.size(); ++i)
      if (!(i + offset == 1 ? bias[i] == result[1] : bias[i].is_one())) return false;
    return true;
  }

  /// A sum_to of a batched product that keeps its last two axes (the
  /// matrices) and sums batch axes only: the gradient of a weight shared by
  /// every row block, sum over n of h[n]ᵀ @ g[n]. The runtime computes it as
  /// one product whose contraction runs over the summed axes too (N·T rows of
  /// [N, T, D] against [N, T, E]), never storing the batch of products.
  static bool sums_batch_axes_only(const Value &sum, const Value &mm) {
    const ir::Shape &to = sum.type.shape, &from = mm.type.shape;
    return sum.op == ir::OpKind::SumTo && to.size() >= 2 && to[to.size() - 1] == from.back() && to[to.size() - 2] == from[from.size() - 2];
  }

  void fuse_epilogue(Value *mm) {
    if (mm->type.rank() < 2 || region_.count(mm)) return;
    // A batched product has no bias or activation epilogue (its bias would
    // not be a row vector of a matrix), but it may sum its batch axes.
    if (mm->op == ir::OpKind::Matmul && std::any_of(mm->operands.begin(), mm->operands.end(), [](const Value *o) { return o->type.rank() > 2; })) {
      if (const Value *u = single_user(mm); u && sums_batch_axes_only(*u, *mm))
        close(open({mm, const_cast<Value *>(u)}, u), "matmul-batch-sum");
      return;
    }
    std::vector<Value *> members{mm};
    Value *last = mm;
    bool relu_only = !mm->info().has(ir::opflag::TAKES_EPILOGUE);
    if (const Value *u = relu_only ? nullptr : epilogue_user(last, mm, /*bias=*/true)) {
      const Value *bias = u->operands[0] == last ? u->operands[1] : u->operands[0];
      if (is_channel_bias(bias->type.shape, mm->type.shape) && bias != last) members.push_back(last = const_cast<Value *>(u));
    }
    if (const Value *u = epilogue_user(last, mm, /*bias=*/false); u && (!relu_only || u->info().epilogue == ir::Epilogue::Relu))
      members.push_back(const_cast<Value *>(u));
    const Value *root = members.back();
    close(open(std::move(members), root), "matmul-epilogue");
  }

  void fuse_loop(Value *root) {
    int r = open({root}, root);
    grow(r, root->type);
    close(r, take_row_epilogue(r) ? "row-epilogue" : "elementwise-loop");
  }

  /// Region r (of one root) takes the chain computing the root's operand;
  /// false when the operand is no loop only the root reads.
  bool take_operand_chain(int r, Value *root) {
    Value *x = root->operands[0];
    if (!in_loop(x) || !internal_to(x, r)) return false;
    region_[x] = r;
    members_[r - 1].push_back(x);
    grow(r, x->type);
    return true;
  }

  /// The reduction is the root; its operand's chain is the loop it reduces.
  void fuse_reduction(Value *reduce) {
    int r = open({reduce}, reduce);
    take_operand_chain(r, reduce);
    close(r, "reduction-prologue");
  }

  /// Row ops that read their one operand element by element in each pass.
  static bool takes_row_prologue(const Value *v) {
    return v->op == ir::OpKind::Softmax || v->op == ir::OpKind::LogSoftmax || v->op == ir::OpKind::Layernorm;
  }

  /// The row op is the root; the chain computing its operand is evaluated
  /// in each of its passes instead of stored — softmax(tril(s * c, fill =
  /// -inf)) reads the scores once per pass and never writes the scaled,
  /// masked copy.
  void fuse_row_prologue(Value *row) {
    int r = open({row}, row);
    take_row_prologue(r, row);
    close(r, "row-prologue");
  }

  static bool is_immediate(const Value *o) { return o->type.rank() == 0 && !o->is_argument() && o->info().has(ir::opflag::CONSTANT); }

  /// Region r takes the chain computing the row op's operand. Only chains
  /// whose inputs are all of the operand's shape (or immediates), none of
  /// them a result, so an element is found at the row's own index.
  bool take_row_prologue(int r, Value *row) {
    auto &members = members_[r - 1];
    size_t before = members.size();
    const Value *x = row->operands[0];
    if (!take_operand_chain(r, row)) return false;
    bool aligned = std::all_of(members.begin() + static_cast<std::ptrdiff_t>(before), members.end(), [&](const Value *m) {
      return !results_.count(m) && std::all_of(m->operands.begin(), m->operands.end(), [&](const Value *o) {
               return region_.count(o) || o->type.shape == x->type.shape || is_immediate(o);
             });
    });
    if (aligned) return true;
    for (size_t i = before; i < members.size(); ++i) region_.erase(members[i]);
    members.resize(before);
    return false;
  }

  /// An operand a row op's last pass finds at the row's own index, or at
  /// its index in the row (a vector along the last axis, broadcast), or
  /// anywhere (a scalar).
  static bool aligned_with_row(const ir::Shape &operand, const ir::Shape &row) {
    if (operand == row || std::all_of(operand.begin(), operand.end(), [](const ir::Dim &d) { return d.is_one(); })) return true;
    return !operand.empty() && operand.size() <= row.size() && operand.back() == row.back() &&
           std::all_of(operand.begin(), operand.end() - 1, [](const ir::Dim &d) { return d.is_one(); });
  }

  /// Region r (an elementwise chain) takes a row op along the last axis of
  /// its type that it reads, and that op's prologue, when every input of
  /// the chain is aligned with the rows and every other reader of the row
  /// op comes after the chain's root (the kernel stores the row op's
  /// result for them).
  bool take_row_epilogue(int r) {
    auto &members = members_[r - 1];
    const Value *root = roots_[r - 1];
    Value *row = nullptr;
    for (const Value *m : members)
      for (Value *o : m->operands)
        if (!row && !o->is_argument() && takes_row_prologue(o) && !region_.count(o) && o->type == root->type && along_last_axis(*o)) row = o;
    if (!row) return false;
    for (const Value *m : members)
      for (const Value *o : m->operands)
        if (o != row && !region_.count(o) && !aligned_with_row(o->type.shape, root->type.shape)) return false;
    auto &readers = users_[row];
    if (!std::all_of(readers.begin(), readers.end(), [&](const Value *u) {
          auto ru = region_.find(u);
          return (ru != region_.end() && ru->second == r) || position_.at(u) > position_.at(root);
        }))
      return false;
    region_[row] = r;
    members.push_back(row);
    if (take_row_prologue(r, row)) ctx_.fired("row-prologue");
    return true;
  }

  static bool along_last_axis(const Value &row) {
    if (row.op == ir::OpKind::Layernorm) return true;
    int64_t axis = row.int_attr("axis");
    return axis == -1 || axis == static_cast<int64_t>(row.type.rank()) - 1;
  }

  /// Members move to just before their root (their users are all in the
  /// region, so none is read earlier); regions are numbered in body order.
  void make_contiguous() {
    std::unordered_map<const Value *, const Value *> root_of;
    for (size_t r = 0; r < members_.size(); ++r)
      for (const Value *m : members_[r]) root_of[m] = roots_[r];
    std::unordered_map<const Value *, std::vector<Value *>> pending;
    std::vector<Value *> order;
    int next = 1;
    for (Value *v : fn_.body()) {
      auto it = root_of.find(v);
      if (it == root_of.end()) {
        v->region = 0;
        order.push_back(v);
        continue;
      }
      pending[it->second].push_back(v);
      if (it->second != v) continue;
      for (Value *m : pending[v]) {
        m->region = next;
        order.push_back(m);
      }
      ++next;
    }
    fn_.reorder_body(std::move(order));
  }

  ir::Function &fn_;
  PassContext &ctx_;
  bool inference_;
  std::unordered_map<const Value *, std::vector<Value *>> users_;
  std::unordered_map<const Value *, size_t> position_; // in the body as given
  std::unordered_set<const Value *> results_;
  std::unordered_map<const Value *, int> region_;
  std::vector<std::vector<Value *>> members_; // region r's values at r - 1
  std::vector<const Value *> roots_;
};

} // namespace

void run_fuse(ir::Function &fn, PassContext &ctx) { Fusion(fn, ctx).run(); }

} // namespace nncc::compiler
