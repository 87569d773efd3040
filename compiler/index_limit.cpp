#include "compiler/index_limit.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace nncc::compiler {

int64_t index_limit(const ir::Function &fn, const ir::Value *arg) {
  std::unordered_map<const ir::Value *, std::vector<std::pair<const ir::Value *, size_t>>> users;
  for (const ir::Value *v : fn.body())
    for (size_t i = 0; i < v->operands.size(); ++i) users[v->operands[i]].push_back({v, i});
  int64_t limit = 0;
  auto tighten = [&](const ir::Dim &d) {
    if (!d.is_symbolic()) limit = limit == 0 ? d.size : std::min(limit, d.size);
  };
  std::vector<const ir::Value *> work{arg};
  while (!work.empty()) {
    const ir::Value *v = work.back();
    work.pop_back();
    for (auto [user, operand] : users[v]) {
      const ir::OpInfo &info = user->info();
      if (info.has(ir::opflag::COPIES_VALUES)) work.push_back(user);
      if (!info.index || info.index->operand != static_cast<int>(operand)) continue;
      const ir::Type &bound = info.index->bound_by < 0 ? user->type : user->operands[static_cast<size_t>(info.index->bound_by)]->type;
      tighten(bound.shape[ir::axis_index(info.index->axis, bound.rank())]);
    }
  }
  return limit;
}

} // namespace nncc::compiler
