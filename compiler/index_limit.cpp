#include "compiler/index_limit.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace nncc::compiler {

using ir::OpKind;

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
      switch (user->op) {
      case OpKind::Reshape:
      case OpKind::Slice:
      case OpKind::Concat:
      case OpKind::BroadcastTo:
      case OpKind::Transpose: work.push_back(user); break;
      case OpKind::CrossEntropy:
      case OpKind::CrossEntropyGrad:
      case OpKind::Nll:
        if (operand == 1) tighten(user->operands[0]->type.shape.back());
        break;
      case OpKind::Onehot: tighten(user->type.shape.back()); break;
      case OpKind::Embedding: tighten(user->operands[0]->type.shape.front()); break;
      case OpKind::EmbeddingGrad: tighten(user->type.shape.front()); break;
      default: break;
      }
    }
  }
  return limit;
}

} // namespace nncc::compiler
