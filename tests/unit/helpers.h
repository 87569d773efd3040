// Shared helpers of the unit tests: compile .nn text held in a string.
#pragma once
#include "frontend/frontend.h"
#include "frontend/lexer.h"
#include "frontend/parser.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace nncc::test {

struct Compiled {
  SourceManager sources;
  DiagnosticEngine diags{sources};
  frontend::FrontendResult result;

  std::string errors() const { return diags.render(); }
  ir::Function &forward() const { return *result.module->find_function("forward"); }
};

inline std::unique_ptr<Compiled> compile(const std::string &text, const std::string &name = "t.nn") {
  auto c = std::make_unique<Compiled>();
  uint32_t id = c->sources.add(name, text);
  c->result = frontend::compile_source(id, c->sources, c->diags);
  return c;
}

/// The whole text of a file (examples read by the tests).
inline std::string read_file(const std::filesystem::path &p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A model body wrapped in `model m { ... }`.
inline std::unique_ptr<Compiled> compile_body(const std::string &body) {
  return compile("model m {\n" + body + "\n}\n");
}

} // namespace nncc::test
