// Recursive-descent parser for .nn files. Each parse function documents the
// grammar rule it implements. Errors are reported and the parser resumes at
// the next statement, so one run reports independent errors together.
#pragma once
#include "frontend/ast.h"
#include "frontend/lexer.h"

#include <memory>

namespace nncc::frontend {

/// Parses a whole file. Returns the model (possibly partial when errors were
/// reported), or null when there is no model at all.
std::unique_ptr<ast::Model> parse_model(uint32_t file, const SourceManager &sources,
                                        DiagnosticEngine &diags);

} // namespace nncc::frontend
