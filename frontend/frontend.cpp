#include "frontend/frontend.h"

#include "frontend/parser.h"
#include "frontend/sema.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace nncc::frontend {

std::optional<uint32_t> load_file(const std::string &path, SourceManager &sources, DiagnosticEngine &diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error({}, fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    diags.error({}, fmt::format("cannot read '{}'", path));
    return std::nullopt;
  }
  return sources.add(path, text.str());
}

FrontendResult compile_source(uint32_t file, const SourceManager &sources, DiagnosticEngine &diags) {
  FrontendResult r;
  r.ast = parse_model(file, sources, diags);
  if (r.ast && !diags.should_stop()) {
    // Sema runs even after syntax errors so that one run reports both; the
    // module is only returned for an error-free file.
    auto module = check_model(*r.ast, sources.name(file), diags);
    if (!diags.has_errors()) {
      r.module = std::move(module);
      r.module->source_text = sources.text(file);
    }
  }
  return r;
}

} // namespace nncc::frontend
