// State shared by the checks of a model while it is lowered to IR: the
// global symbols (inputs, params, values, defs), the symbolic dimensions,
// the module under construction and the diagnostics.
#pragma once
#include "frontend/ast.h"
#include "ir/diagnostics.h"
#include "ir/module.h"

#include <map>
#include <string>
#include <vector>

namespace nncc::frontend {

struct Symbol {
  enum class Kind { Input, Param, Value, Def };
  Kind kind;
  std::string name;
  Location loc;                   // where it is declared
  ir::Value *value = nullptr;     // inputs, params, values
  const ast::Stmt *def = nullptr; // defs
  bool def_ok = true;             // false: its body had errors (reported once)
};

struct SemaContext {
  DiagnosticEngine &diags;
  ir::Module &module;
  ir::Function &forward;
  std::map<std::string, Symbol> globals;
  std::map<std::string, Location> dim_symbols; // symbolic dims, where first seen

  const Symbol *find(std::string_view name) const {
    auto it = globals.find(std::string(name));
    return it == globals.end() ? nullptr : &it->second;
  }
  std::vector<std::string> names_of(std::initializer_list<Symbol::Kind> kinds) const;
  /// "'W1' declared here as f32[2, 8]" style note for a symbol.
  void note_declared(const Symbol &s) const;
};

} // namespace nncc::frontend
