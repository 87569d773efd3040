// plan_memory: assigns every value the kernel plan keeps in scratch memory
// (compiler/kernel_plan.h) to a slot of one arena per call, reusing a slot
// once the values in it are no longer read (linear scan over the kernels
// in order, as register allocators do). Sizes may depend on symbolic dims
// (f32[N, 512] is 2048*N bytes), so only values whose sizes are multiples
// of the same product of dims share a slot, which then has the largest of
// their sizes: the plan holds for every batch size.
// A loop kernel writes its result in place over an input of the same type
// that it is the last to read (element i is read before it is written,
// and nothing else reads it afterwards): rule "in-place". Primitives and
// reductions never do: they read inputs after writing outputs.
#include "compiler/kernel_plan.h"
#include "compiler/passes/pass_registry.h"

#include <algorithm>
#include <map>

namespace nncc::compiler {

void run_plan_memory(ir::Function &fn, PassContext &ctx) {
  std::vector<ir::ByteSize> &slots = fn.arena_slots();
  slots.clear();
  for (ir::Value *v : fn.body()) v->slot = -1;
  KernelPlan plan = plan_kernels(fn);

  std::map<size_t, std::vector<int>> frees_after; // kernel -> slots its reads release
  std::vector<int> free_slots;
  for (const ir::Value *scratch : plan.scratch) {
    ir::Value &v = *const_cast<ir::Value *>(scratch);
    const Lifetime &life = plan.lifetimes.at(&v);
    const Kernel &kernel = plan.kernels[life.first];
    // Slots whose last reader ran before this kernel are free.
    for (auto it = frees_after.begin(); it != frees_after.end() && it->first < life.first; it = frees_after.erase(it))
      free_slots.insert(free_slots.end(), it->second.begin(), it->second.end());
    ir::ByteSize size = ir::byte_size(v.type);
    int slot = -1;
    if (kernel.kind == ir::Lowering::Loop) {
      for (const ir::Value *in : kernel.reads) {
        auto l = plan.lifetimes.find(in);
        if (in->slot < 0 || in->type != v.type || l == plan.lifetimes.end() || l->second.last != life.first) continue;
        auto &at = frees_after[life.first];
        auto released = std::find(at.begin(), at.end(), in->slot);
        if (released == at.end()) continue;
        slot = in->slot;
        at.erase(released); // the slot lives on with v
        ctx.fired("in-place");
        break;
      }
    }
    if (slot < 0) {
      // The smallest free slot of the same product of dims that fits, else the largest one (grown).
      auto best = free_slots.end();
      for (auto it = free_slots.begin(); it != free_slots.end(); ++it) {
        const ir::ByteSize &s = slots[static_cast<size_t>(*it)];
        if (s.symbols != size.symbols) continue;
        if (best == free_slots.end()) best = it;
        const ir::ByteSize &b = slots[static_cast<size_t>(*best)];
        bool fits = s.coef >= size.coef, best_fits = b.coef >= size.coef;
        if ((fits && (!best_fits || s.coef < b.coef)) || (!fits && !best_fits && s.coef > b.coef)) best = it;
      }
      if (best != free_slots.end()) {
        slot = *best;
        free_slots.erase(best);
        ir::ByteSize &s = slots[static_cast<size_t>(slot)];
        s.coef = std::max(s.coef, size.coef);
        ctx.fired("reuse-slot");
      } else {
        slot = static_cast<int>(slots.size());
        slots.push_back(size);
      }
    }
    v.slot = slot;
    if (life.last != Lifetime::kEnd) frees_after[life.last].push_back(slot);
  }
}

} // namespace nncc::compiler
