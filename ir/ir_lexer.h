// Tokens of the text IR (.nnir).
#pragma once
#include "ir/source.h"

#include <string>
#include <string_view>
#include <vector>

namespace nncc::ir {

enum class IrTok { End, Error, Ident, ValueRef, Symbol, Integer, Float, String, Punct };

struct IrToken {
  IrTok kind = IrTok::End;
  std::string text; // identifier / name without sigil / unescaped string / punct
  Location loc;
};

class IrLexer {
public:
  IrLexer(std::string_view text, uint32_t file) : text_(text), file_(file) {}
  IrToken next();

  struct Comment {
    uint32_t line;
    std::string text;
  };
  /// The comments skipped before the token last returned by next().
  const std::vector<Comment> &skipped_comments() const { return comments_; }

private:
  char peek(size_t k = 0) const { return pos_ + k < text_.size() ? text_[pos_ + k] : '\0'; }
  void advance();

  std::string_view text_;
  uint32_t file_;
  size_t pos_ = 0;
  uint32_t line_ = 1, col_ = 1;
  std::vector<Comment> comments_;
};

} // namespace nncc::ir
