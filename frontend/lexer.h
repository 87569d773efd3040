// Splits .nn source into tokens. Reports bad characters, malformed numbers
// and invalid UTF-8 as diagnostics and goes on.
#pragma once
#include "frontend/token.h"
#include "ir/diagnostics.h"

namespace nncc::frontend {

class Lexer {
public:
  Lexer(uint32_t file, const SourceManager &sources, DiagnosticEngine &diags);
  Token next();

private:
  char peek(size_t k = 0) const { return pos_ + k < text_.size() ? text_[pos_ + k] : '\0'; }
  bool at_end() const { return pos_ >= text_.size(); }
  void advance(size_t n = 1);
  Token make(Tok kind, size_t start, Location loc);
  Token lex_number(size_t start, Location loc);
  Token lex_invalid(size_t start, Location loc);

  std::string_view text_;
  uint32_t file_;
  DiagnosticEngine &diags_;
  size_t pos_ = 0;
  uint32_t line_ = 1, col_ = 1;
};

} // namespace nncc::frontend
