#include "compiler/buffers.h"

#include "compiler/pipeline.h"
#include "ir/printer.h"

#include <algorithm>
#include <fmt/format.h>
#include <map>

namespace nncc::compiler {

namespace {

std::unordered_set<const ir::Value *> result_values(const ir::Function &fn) {
  std::unordered_set<const ir::Value *> out;
  for (const ir::FunctionResult &r : fn.results()) out.insert(r.value);
  return out;
}

/// Body position of the kernel computing each op value: its own, or its
/// region's last value's.
std::unordered_map<const ir::Value *, size_t> kernel_positions(const ir::Function &fn) {
  std::unordered_map<const ir::Value *, size_t> pos;
  const auto &body = fn.body();
  for (size_t i = body.size(); i-- > 0;) {
    bool root = !body[i]->region || i + 1 == body.size() || body[i + 1]->region != body[i]->region;
    pos[body[i]] = root ? i : pos.at(body[i + 1]);
  }
  return pos;
}

} // namespace

std::unordered_set<const ir::Value *> folded_transposes(const ir::Function &fn) {
  std::unordered_map<const ir::Value *, std::vector<const ir::Value *>> users;
  for (const ir::Value *v : fn.body())
    for (const ir::Value *o : v->operands) users[o].push_back(v);
  std::unordered_set<const ir::Value *> results = result_values(fn), folded;
  for (const ir::Value *v : fn.body()) {
    if (!v->info().has(ir::opflag::TRANSPOSE) || results.count(v) || users[v].empty()) continue;
    if (std::all_of(users[v].begin(), users[v].end(), [](const ir::Value *u) { return u->info().has(ir::opflag::STRIDED_OPERANDS); }))
      folded.insert(v);
  }
  return folded;
}

bool aliases_operand(const ir::Function &fn, const ir::Value &v) {
  return v.info().lowering == ir::Lowering::Alias || (v.info().has(ir::opflag::IDENTITY_IN_INFERENCE) && is_inference(fn));
}

std::unordered_set<const ir::Value *> immediate_constants(const ir::Function &fn) {
  std::unordered_set<const ir::Value *> out, results = result_values(fn);
  for (const ir::Value *v : fn.body())
    if (v->info().has(ir::opflag::CONSTANT) && !results.count(v)) out.insert(v);
  for (const ir::Value *v : fn.body())
    if (v->info().lowering != ir::Lowering::Loop || aliases_operand(fn, *v))
      for (const ir::Value *o : v->operands) out.erase(o);
  return out;
}

namespace {

/// Op values computed by a kernel of their own or as a region's root.
std::vector<const ir::Value *> kernel_values(const ir::Function &fn) {
  std::unordered_set<const ir::Value *> folded = folded_transposes(fn), immediate = immediate_constants(fn);
  auto pos = kernel_positions(fn);
  std::vector<const ir::Value *> out;
  for (size_t i = 0; i < fn.body().size(); ++i) {
    const ir::Value *v = fn.body()[i];
    if (pos.at(v) == i && !folded.count(v) && !immediate.count(v) && !aliases_operand(fn, *v)) out.push_back(v);
  }
  return out;
}

} // namespace

std::vector<const ir::Value *> scratch_values(const ir::Function &fn) {
  std::unordered_set<const ir::Value *> results = result_values(fn);
  std::vector<const ir::Value *> out;
  for (const ir::Value *v : kernel_values(fn))
    if (!results.count(v)) out.push_back(v);
  return out;
}

std::unordered_map<const ir::Value *, Lifetime> scratch_lifetimes(const ir::Function &fn) {
  auto pos = kernel_positions(fn);
  std::unordered_map<const ir::Value *, size_t> last;
  for (const ir::FunctionResult &r : fn.results()) last[r.value] = Lifetime::kEnd;
  const auto &body = fn.body();
  for (size_t i = body.size(); i-- > 0;) {
    const ir::Value *v = body[i];
    for (const ir::Value *o : v->operands) last[o] = std::max(last[o], pos.at(v));
    // An alias or a folded transpose is read where its operand's memory is.
    if (aliases_operand(fn, *v) || v->info().has(ir::opflag::TRANSPOSE)) last[v->operands[0]] = std::max(last[v->operands[0]], last[v]);
  }
  std::unordered_map<const ir::Value *, Lifetime> out;
  for (const ir::Value *v : scratch_values(fn)) out[v] = {pos.at(v), std::max(last[v], pos.at(v))};
  return out;
}

std::string memory_report(const ir::Function &fn) {
  ir::ValueNames names(fn);
  auto lifetimes = scratch_lifetimes(fn);
  std::vector<ir::ByteSize> unplanned;
  std::map<int, std::vector<const ir::Value *>> by_slot;
  for (const ir::Value *v : scratch_values(fn)) {
    unplanned.push_back(ir::byte_size(v->type));
    by_slot[v->slot].push_back(v);
  }
  std::vector<const ir::Value *> kernels = kernel_values(fn);
  auto regions = std::count_if(kernels.begin(), kernels.end(), [](const ir::Value *v) { return v->region != 0; });
  auto calls = std::count_if(fn.body().begin(), fn.body().end(), [](const ir::Value *v) { return v->info().lowering == ir::Lowering::Primitive; });
  std::string out = fmt::format("  # @{}: {} ops in {} kernels ({} fused regions, {} primitive calls)\n", fn.name(), fn.body().size(),
                                kernels.size(), regions, calls);
  out += fmt::format("  #   {} values in scratch: {} bytes with one buffer each\n", unplanned.size(), ir::format_byte_sum(unplanned));
  const auto &slots = fn.arena_slots();
  if (slots.empty()) return out + "  #   no memory plan (plan_memory did not run): each value is allocated on its own\n";
  out += fmt::format("  #   planned arena: {} slots, peak {} bytes\n", slots.size(), ir::format_byte_sum(slots));
  auto span = [](const Lifetime &l) { return l.last == Lifetime::kEnd ? fmt::format("{}..end", l.first) : fmt::format("{}..{}", l.first, l.last); };
  for (const auto &[slot, values] : by_slot) {
    std::vector<std::string> held;
    for (const ir::Value *v : values) held.push_back(fmt::format("{} [{}]", names[v], span(lifetimes.at(v))));
    if (slot < 0) out += fmt::format("  #   unplanned: {}\n", fmt::join(held, ", "));
    else out += fmt::format("  #   slot {:>2} {:>12} bytes: {}\n", slot, slots[static_cast<size_t>(slot)].str(), fmt::join(held, ", "));
  }
  return out;
}

} // namespace nncc::compiler
