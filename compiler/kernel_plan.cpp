#include "compiler/kernel_plan.h"

#include "compiler/pipeline.h"
#include "ir/layout.h"
#include "ir/printer.h"

#include <algorithm>
#include <fmt/format.h>
#include <map>

namespace nncc::compiler {

namespace {

using Kind = Storage::Kind;

bool is_constant_op(const ir::Value &v) { return !v.is_argument() && v.info().has(ir::opflag::CONSTANT); }

/// Builds the plan in one walk over the body: a value's operands are placed
/// before the value.
class Planner {
public:
  explicit Planner(const ir::Function &fn) : fn_(fn), inference_(is_inference(fn)) {
    for (size_t i = 0; i < fn.results().size(); ++i) result_index_.try_emplace(fn.results()[i].value, static_cast<int>(i));
    for (const ir::Value *v : fn.body()) {
      for (const ir::Value *o : v->operands) users_[o].push_back(v);
      if (v->region) regions_[v->region].push_back(v);
    }
  }

  KernelPlan run() {
    for (size_t i = 0; i < fn_.arguments().size(); ++i) plan_.storage[fn_.arguments()[i]] = {Kind::Argument, static_cast<int>(i)};
    for (const ir::Value *v : fn_.body()) place(*v);
    for (size_t i = 0; i < fn_.results().size(); ++i) {
      const ir::Value *v = fn_.results()[i].value;
      const Storage &s = plan_.where(v);
      if (s.kind != Kind::Result || s.index != static_cast<int>(i)) plan_.result_copies.emplace_back(i, v);
    }
    compute_lifetimes();
    return std::move(plan_);
  }

private:
  bool is_result(const ir::Value &v) const { return result_index_.count(&v) != 0; }

  bool aliases_operand(const ir::Value &v) const {
    return v.info().lowering == ir::Lowering::Alias || (v.info().has(ir::opflag::IDENTITY_IN_INFERENCE) && inference_);
  }

  /// The operand an alias is: the first, or the second in inference for MODE_SELECT.
  const ir::Value *aliased_operand(const ir::Value &v) const {
    return v.info().has(ir::opflag::MODE_SELECT) && inference_ ? v.operands[1] : v.operands[0];
  }

  std::span<const ir::Value *const> users(const ir::Value &v) const {
    auto it = users_.find(&v);
    return it == users_.end() ? std::span<const ir::Value *const>{} : it->second;
  }

  /// A region's inner value that a later kernel reads (fuse's
  /// row-epilogue: the row op's result, for the backward pass).
  bool read_after_region(const ir::Value &v) const {
    auto us = users(v);
    return std::any_of(us.begin(), us.end(), [&](const ir::Value *u) { return u->region != v.region; });
  }

  /// A transpose read only by ops that take transposed operands as strides.
  bool folds_into_readers(const ir::Value &v) const {
    auto us = users(v);
    return v.info().has(ir::opflag::TRANSPOSE) && !is_result(v) && !us.empty() &&
           std::all_of(us.begin(), us.end(), [](const ir::Value *u) { return u->info().has(ir::opflag::STRIDED_OPERANDS); });
  }

  /// A scalar constant read only by loops, which compile it in.
  bool is_immediate(const ir::Value &v) const {
    auto us = users(v);
    return is_constant_op(v) && !is_result(v) && std::all_of(us.begin(), us.end(), [&](const ir::Value *u) {
             return u->info().lowering == ir::Lowering::Loop && !aliases_operand(*u);
           });
  }

  void place(const ir::Value &v) {
    const ir::Value *self = &v;
    std::span<const ir::Value *const> values(&self, 1);
    if (v.region) values = regions_.at(v.region);
    if (values.back() != &v) { // inside a region: its root's kernel computes it (and stores it for later readers)
      if (is_result(v)) {
        plan_.storage[&v] = {Kind::Result, result_index_.at(&v)};
      } else if (read_after_region(v)) {
        plan_.storage[&v] = {Kind::Scratch, v.slot};
        plan_.scratch.push_back(&v);
      } else {
        plan_.storage[&v] = {Kind::Register};
      }
      return;
    }
    if (folds_into_readers(v)) {
      plan_.storage[&v] = {Kind::Transposed, -1, v.operands[0]};
      return;
    }
    if (is_immediate(v)) {
      plan_.storage[&v] = {Kind::Immediate};
      return;
    }
    // A primitive with its epilogue is one call; a chain with its reduction one reduction
    // (and a blocked image's channel sums a runtime call: ir/layout.h); a
    // row op with the chain after it one row kernel.
    ir::Lowering kind = values.front()->info().lowering == ir::Lowering::Primitive || ir::sums_blocked_channels(v) ? ir::Lowering::Primitive
                                                                                                                 : v.info().lowering;
    if (std::any_of(values.begin(), values.end(), [](const ir::Value *m) { return m->info().lowering == ir::Lowering::Row; }))
      kind = ir::Lowering::Row;
    Kernel k{kind, {values.begin(), values.end()}, {}, {}};
    if (aliases_operand(v)) {
      k.kind = ir::Lowering::Alias;
      k.reads = {aliased_operand(v)};
      plan_.storage[&v] = {Kind::Alias, -1, aliased_operand(v)};
      plan_.kernels.push_back(std::move(k));
      return;
    }
    if (k.kind == ir::Lowering::Loop || values.size() > 1) {
      // A loop region reads each outside operand once; constants are compiled in.
      for (const ir::Value *m : values)
        for (const ir::Value *o : m->operands)
          if (std::find(values.begin(), values.end(), o) == values.end() && !is_constant_op(*o) &&
              std::find(k.reads.begin(), k.reads.end(), o) == k.reads.end())
            k.reads.push_back(o);
    } else {
      k.reads.assign(v.operands.begin(), v.operands.end());
    }
    if (is_result(v)) {
      plan_.storage[&v] = {Kind::Result, result_index_.at(&v)};
    } else {
      plan_.storage[&v] = {Kind::Scratch, v.slot};
      plan_.scratch.push_back(&v);
    }
    k.writes.push_back(&v);
    for (const ir::Value *m : values.first(values.size() - 1))
      if (plan_.where(m).kind != Kind::Register) k.writes.push_back(m);
    plan_.kernels.push_back(std::move(k));
  }

  void compute_lifetimes() {
    std::unordered_map<const ir::Value *, size_t> written, last_read;
    for (size_t k = 0; k < plan_.kernels.size(); ++k) {
      const Kernel &kernel = plan_.kernels[k];
      if (kernel.kind == ir::Lowering::Alias) continue; // its readers read the operand's memory
      for (const ir::Value *w : kernel.writes) written[w] = k;
      for (const ir::Value *r : kernel.reads) last_read[plan_.memory_of(r)] = k;
    }
    for (const auto &[i, v] : plan_.result_copies) last_read[plan_.memory_of(v)] = Lifetime::kEnd;
    for (const ir::Value *v : plan_.scratch) {
      size_t first = written.at(v);
      auto last = last_read.find(v);
      plan_.lifetimes[v] = {first, last == last_read.end() ? first : std::max(first, last->second)};
    }
  }

  const ir::Function &fn_;
  bool inference_;
  std::unordered_map<const ir::Value *, int> result_index_; // the first result each value is
  std::unordered_map<const ir::Value *, std::vector<const ir::Value *>> users_;
  std::unordered_map<int, std::vector<const ir::Value *>> regions_; // fuse's regions, in body order
  KernelPlan plan_;
};

std::string_view family_name(ir::Lowering lowering) {
  switch (lowering) {
  case ir::Lowering::Loop: return "loop";
  case ir::Lowering::Reduce: return "reduce";
  case ir::Lowering::Row: return "row";
  case ir::Lowering::Loss: return "loss";
  case ir::Lowering::Move: return "move";
  case ir::Lowering::Primitive: return "primitive";
  case ir::Lowering::Alias: return "alias";
  }
  return "?";
}

} // namespace

const ir::Value *KernelPlan::memory_of(const ir::Value *v) const {
  for (const Storage *s = &where(v); s->kind == Kind::Alias || s->kind == Kind::Transposed; s = &where(v)) v = s->of;
  return v;
}

KernelPlan plan_kernels(const ir::Function &fn) { return Planner(fn).run(); }

std::string format_kernel_plan(const ir::Function &fn) {
  ir::ValueNames names(fn);
  KernelPlan plan = plan_kernels(fn);
  auto place = [&](const ir::Value *v) -> std::string {
    const Storage &s = plan.where(v);
    switch (s.kind) {
    case Kind::Argument: return fmt::format("{} [arg]", names[v]);
    case Kind::Result: return fmt::format("{} [result {}]", names[v], fn.results()[static_cast<size_t>(s.index)].name);
    case Kind::Scratch: return s.index < 0 ? fmt::format("{} [own buffer]", names[v]) : fmt::format("{} [slot {}]", names[v], s.index);
    case Kind::Alias: return fmt::format("{} [memory of {}]", names[v], names[s.of]);
    case Kind::Transposed: return fmt::format("{} [{} transposed]", names[v], names[s.of]);
    case Kind::Immediate:
    case Kind::Register: break;
    }
    return names[v];
  };
  auto list = [&](const std::vector<const ir::Value *> &values) {
    std::vector<std::string> out;
    for (const ir::Value *v : values) out.push_back(place(v));
    return fmt::format("{}", fmt::join(out, ", "));
  };

  std::vector<ir::ByteSize> unplanned;
  std::map<int, std::vector<const ir::Value *>> by_slot;
  for (const ir::Value *v : plan.scratch) {
    unplanned.push_back(ir::byte_size(v->type));
    by_slot[v->slot].push_back(v);
  }
  auto count = [&](auto pred) { return std::count_if(plan.kernels.begin(), plan.kernels.end(), pred); };
  auto regions = count([](const Kernel &k) { return k.values.size() > 1; });
  auto calls = count([](const Kernel &k) { return k.kind == ir::Lowering::Primitive; });
  auto aliases = count([](const Kernel &k) { return k.kind == ir::Lowering::Alias; });
  auto counted = [](long n, std::string_view what, std::string_view plural) { return fmt::format("{} {}{}", n, what, n == 1 ? "" : plural); };
  std::string out = fmt::format("  # @{}: {} ops in {} ({}, {}, {})\n", fn.name(), fn.body().size(), counted(plan.kernels.size(), "kernel", "s"),
                                counted(regions, "fused region", "s"), counted(calls, "primitive call", "s"), counted(aliases, "alias", "es"));
  out += fmt::format("  #   {} values in scratch: {} bytes with one buffer each\n", unplanned.size(), ir::format_byte_sum(unplanned));
  const auto &slots = fn.arena_slots();
  if (slots.empty()) out += "  #   no memory plan (plan_memory did not run): each value is allocated on its own\n";
  else out += fmt::format("  #   planned arena: {} slots, peak {} bytes\n", slots.size(), ir::format_byte_sum(slots));
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const Kernel &kernel = plan.kernels[k];
    std::vector<std::string_view> ops;
    for (const ir::Value *v : kernel.values) ops.push_back(v->info().name);
    std::string what = ops.size() <= 3 ? fmt::format("{} {}", family_name(kernel.kind), fmt::join(ops, "+"))
                                       : fmt::format("{} {}+..+{} ({} ops)", family_name(kernel.kind), ops.front(), ops.back(), ops.size());
    std::string writes = kernel.kind == ir::Lowering::Alias ? place(&kernel.root()) : list(kernel.writes);
    out += fmt::format("  #   k{:<3} {:<26} {} -> {}\n", k, what, kernel.reads.empty() ? "()" : list(kernel.reads), writes);
  }
  for (const auto &[i, v] : plan.result_copies) out += fmt::format("  #   copy {} -> result {}\n", place(v), fn.results()[i].name);
  auto span = [](const Lifetime &l) { return l.last == Lifetime::kEnd ? fmt::format("k{}..end", l.first) : fmt::format("k{}..k{}", l.first, l.last); };
  for (const auto &[slot, values] : by_slot) {
    if (slot < 0) continue;
    std::vector<std::string> held;
    for (const ir::Value *v : values) held.push_back(fmt::format("{} [{}]", names[v], span(plan.lifetimes.at(v))));
    out += fmt::format("  #   slot {:>2} {:>12} bytes: {}\n", slot, slots[static_cast<size_t>(slot)].str(), fmt::join(held, ", "));
  }
  return out;
}

} // namespace nncc::compiler
