// The frontend's entry points: .nn text -> AST -> checked IR module.
#pragma once
#include "frontend/ast.h"
#include "ir/diagnostics.h"
#include "ir/module.h"

#include <memory>
#include <optional>
#include <string>

namespace nncc::frontend {

/// Reads a file into the source manager; reports an unreadable file.
std::optional<uint32_t> load_file(const std::string &path, SourceManager &sources, DiagnosticEngine &diags);

struct FrontendResult {
  std::unique_ptr<ast::Model> ast;   // null if the file has no model
  std::unique_ptr<ir::Module> module; // null if any error was reported
};

/// Parses and checks source `file`.
FrontendResult compile_source(uint32_t file, const SourceManager &sources, DiagnosticEngine &diags);

} // namespace nncc::frontend
