// Semantic analysis: walks a model's statements in order, checks names
// (each defined once, before use), declarations, types and shapes, and
// builds the IR `forward` function as it goes.
#pragma once
#include "frontend/ast.h"
#include "ir/diagnostics.h"
#include "ir/module.h"

#include <memory>

namespace nncc::frontend {

/// The checked model as an IR module with one function, `forward`, whose
/// results are the outputs (in `output` order) and then `loss`. Returns null
/// when any error was reported.
std::unique_ptr<ir::Module> check_model(const ast::Model &model, const std::string &source_file,
                                        DiagnosticEngine &diags);

} // namespace nncc::frontend
