// Module-level declarations: params with their initializers, and the
// optimizer. Both kinds are tables (initializers.def, optimizers.def).
#pragma once
#include "ir/attributes.h"
#include "ir/source.h"
#include "ir/types.h"

#include <span>
#include <string>
#include <string_view>

namespace nncc::ir {

enum class InitKind {
#define INIT(Enum, spelling, attrs) Enum,
#include "ir/initializers.def"
};

enum class OptimizerKind {
#define OPTIMIZER(Enum, spelling, attrs) Enum,
#include "ir/optimizers.def"
};

/// A named kind with attribute specs: an initializer or an optimizer.
template <typename Kind> struct DeclKindInfo {
  Kind kind;
  std::string_view name;
  std::vector<AttrSpec> attrs;
};

std::span<const DeclKindInfo<InitKind>> all_initializers();
std::span<const DeclKindInfo<OptimizerKind>> all_optimizers();
const DeclKindInfo<InitKind> &init_info(InitKind kind);
const DeclKindInfo<OptimizerKind> &optimizer_info(OptimizerKind kind);

/// The entry named `name` in `table`, or nullptr.
template <typename Kind>
const DeclKindInfo<Kind> *find_decl_kind(std::span<const DeclKindInfo<Kind>> table,
                                         std::string_view name) {
  for (const auto &info : table)
    if (info.name == name) return &info;
  return nullptr;
}

struct Initializer {
  InitKind kind = InitKind::Zeros;
  Attrs attrs;
};

struct ParamDecl {
  std::string name;
  Type type;
  Initializer init;
  Location loc;
};

/// Module state that is not trained: a batch norm's running statistics.
/// Entry points take it as a state argument; train_step returns its new
/// value as a result of the same name; checkpoints hold it.
struct StateDecl {
  std::string name;
  Type type;
  double initial = 0; // every element
  Location loc;
};

struct OptimizerDecl {
  OptimizerKind kind = OptimizerKind::Sgd;
  Attrs attrs;
  Location loc;
};

} // namespace nncc::ir
