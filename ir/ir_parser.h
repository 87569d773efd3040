// Reads the text IR written by ir/printer.h back into a Module.
#pragma once
#include "ir/diagnostics.h"
#include "ir/module.h"

#include <memory>

namespace nncc::ir {

/// Parses the text of source `file` (registered in the engine's
/// SourceManager). On a syntax or type error reports it and returns null.
std::unique_ptr<Module> parse_module(uint32_t file, const SourceManager &sources,
                                     DiagnosticEngine &diags);

} // namespace nncc::ir
